// Accessibility in Chromium: axe-core on the widget in four states, the live region, and a
// keyboard-only session (tab in, open the picker, start, pause, cancel, remove).
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { FileChooser } from 'playwright-core'
import { demoAndBrowser } from '../helpers/app.js'
import { axe, serious } from '../helpers/axe.js'
import { addGenerated, record, waitForEvents, writeTestFile } from '../helpers/page.js'

describe('accessibility', () => {
  const t = demoAndBrowser()
  const dir = mkdtempSync(join(tmpdir(), 'hoist-a11y-'))
  const big = join(dir, 'big.bin')
  writeTestFile(big, 40 * 1024 * 1024)
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
  })

  async function open() {
    const page = await t.browser.newPage()
    await page.goto(t.app.url)
    await record(page)
    return page
  }

  it('axe finds no serious or critical violation when idle, with files added, uploading, and failed', async () => {
    const page = await open()
    assert.deepEqual(serious(await axe(page)), [], 'idle')
    await addGenerated(page, [{ name: 'one.pdf', size: 1000, type: 'application/pdf' }])
    assert.deepEqual(serious(await axe(page)), [], 'one file added')
    await addGenerated(page, [{ name: 'two.txt', size: 10, type: 'text/plain' }])
    assert.deepEqual(serious(await axe(page)), [], 'two files added')
    await page.evaluate(() => document.querySelector('hoist-uploader')!.reset())
    await page.locator('hoist-uploader input[type=file]').first().setInputFiles([big])
    await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
    await waitForEvents(page, 'upload-progress', 1)
    assert.deepEqual(serious(await axe(page)), [], 'uploading')
    await waitForEvents(page, 'all-complete', 1)
    await page.close()

    const failing = await open()
    // Storage refuses the file outright (a 400 is not retried).
    await failing.route('**/disk/put**', (route) => route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":{"code":"length_mismatch","message":"Refused."}}' }))
    await addGenerated(failing, [{ name: 'fails.txt', size: 100, type: 'text/plain' }])
    await failing.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
    await waitForEvents(failing, 'all-complete', 1, 30_000)
    assert.deepEqual(serious(await axe(failing)), [], 'failed')
    // The live region said what happened.
    await failing.waitForFunction(() => /Upload failed: fails\.txt/.test(document.querySelector('hoist-uploader')!.shadowRoot!.querySelector('[role=status]')!.textContent ?? ''))
    await failing.close()
  })

  it('announces progress and completion in a polite live region', async () => {
    const page = await open()
    const texts: string[] = []
    await page.exposeFunction('heard', (t: string) => texts.push(t))
    await page.evaluate(() => {
      const region = document.querySelector('hoist-uploader')!.shadowRoot!.querySelector('[role=status]')!
      new MutationObserver(() => region.textContent && (window as unknown as { heard: (t: string) => void }).heard(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true })
    })
    assert.equal(await page.locator('hoist-uploader [role=status]').getAttribute('aria-live'), 'polite')
    await addGenerated(page, [{ name: 'a.txt', size: 10 }, { name: 'b.txt', size: 20 }])
    await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    await page.waitForFunction(() => /Upload complete/.test(document.querySelector('hoist-uploader')!.shadowRoot!.querySelector('[role=status]')!.textContent ?? ''))
    assert.ok(texts.some((t) => /Uploading 2 files/.test(t)), texts.join(' | '))
    // Progress is told as files end (at most every few seconds), then completion.
    assert.ok(texts.some((t) => /1 of 2 files uploaded/.test(t)), texts.join(' | '))
    await page.close()
  })

  it('works from the keyboard alone: tab in, pick files, start, pause, cancel, remove', async () => {
    const page = await open()
    // Listen for file pickers from the start: Playwright intercepts them only once a listener exists.
    const choosers: FileChooser[] = []
    page.on('filechooser', (c) => choosers.push(c))
    async function enterOpensPicker(what: string): Promise<FileChooser> {
      const before = choosers.length
      await page.keyboard.press('Enter')
      for (let i = 0; i < 50 && choosers.length === before; i++) await page.waitForTimeout(100)
      return choosers[before] ?? assert.fail(`Enter on “browse files” opened no file picker (${what})`)
    }
    const focused = () => page.evaluate(() => {
      const a = document.querySelector('hoist-uploader')!.shadowRoot!.activeElement as HTMLElement | null
      return a ? `${a.className} ${a.getAttribute('aria-label') ?? a.textContent ?? ''}` : ''
    })
    // The Dashboard re-renders when focus enters it; pausing as a person would before the next key
    // keeps Enter from landing while the button it reached is being replaced.
    async function tabTo(pattern: RegExp, limit = 40) {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press('Tab')
        if (pattern.test(await focused())) return page.waitForTimeout(100)
      }
      assert.fail(`Tab never reached ${pattern}; focus is on "${await focused()}"`)
    }
    const fileCount = () => page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length)

    // Tab into the widget and open the picker with Enter.
    await page.locator('hoist-uploader .uppy-Dashboard-AddFiles').waitFor()
    await tabTo(/uppy-Dashboard-browse/)
    await (await enterOpensPicker('first time')).setFiles([big])
    assert.equal(await fileCount(), 1)

    // Start, then pause.
    await tabTo(/actionBtn--upload/)
    await page.keyboard.press('Enter')
    await waitForEvents(page, 'upload-progress', 1)
    await tabTo(/actionBtn--pause|Pause/)
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => Object.values(document.querySelector('hoist-uploader')!.uppy!.getState().files).every((f) => f.isPaused))

    // Cancel: everything stops and the list empties; no upload is left open in storage.
    await tabTo(/actionBtn--cancel|Cancel/)
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length === 0)
    for (let i = 0; i < 50 && readdirSync(join(t.app.dir, 'multipart')).length > 0; i++) await new Promise((r) => setTimeout(r, 100))
    assert.deepEqual(readdirSync(join(t.app.dir, 'multipart')), [])

    // Pick two files, remove one with the keyboard — once the empty drop zone has settled, since the
    // Dashboard replaces its buttons while it re-renders.
    await page.locator('hoist-uploader .uppy-Dashboard-AddFiles').waitFor()
    await page.waitForTimeout(500)
    await page.keyboard.press('Shift+Tab')
    await tabTo(/uppy-Dashboard-browse/)
    const small = join(dir, 'small.txt')
    writeTestFile(small, 100)
    await (await enterOpensPicker('after cancel')).setFiles([small, big])
    assert.equal(await fileCount(), 2)
    await tabTo(/Item-action--remove/)
    await page.keyboard.press('Enter')
    assert.equal(await fileCount(), 1)
    assert.equal((await waitForEvents(page, 'file-removed', 1)).length >= 1, true)
    await page.close()
  })
  it('the Link tab (sources="url") is clean for axe, with and without an error, and works from the keyboard', async () => {
    const page = await open()
    await page.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('sources', 'url'))
    const focused = () => page.evaluate(() => (document.querySelector('hoist-uploader')!.shadowRoot!.activeElement as HTMLElement | null)?.outerHTML.slice(0, 120) ?? '')
    await page.locator('hoist-uploader [data-uppy-acquirer-id="HoistLink"] button').waitFor()
    assert.deepEqual(serious(await axe(page)), [], 'with the Link tab')
    let reached = false
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = /HoistLink/.test(await focused())
    }
    assert.ok(reached, 'Tab reaches the Link tab')
    await page.keyboard.press('Enter')
    const input = page.locator('hoist-uploader input[name=url]')
    await input.waitFor()
    await input.focus()
    await page.keyboard.type('ftp://files.test/a.png')
    await page.keyboard.press('Enter')
    await page.locator('hoist-uploader .hoist-Link-error').waitFor()
    assert.deepEqual(serious(await axe(page)), [], 'showing an error')
    await input.fill('')
    await input.focus()
    await page.keyboard.type('https://files.test/report.pdf')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length === 1)
    await page.close()
  })
})
