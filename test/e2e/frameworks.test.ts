// The React wrapper under <StrictMode> (demo/react) and the element in a Vue 3 SFC (demo/vue).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { demoAndBrowser } from '../helpers/app.js'
import { addGenerated, record, setInputFiles, waitForEvents, uploadsStarted, writeTestFile } from '../helpers/page.js'

describe('React: HoistUploader under StrictMode', () => {
  const t = demoAndBrowser()
  const dir = mkdtempSync(join(tmpdir(), 'hoist-react-'))
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('uploads each file exactly once through one Uppy instance, and the typed props fire once per file', async () => {
    const page = await t.browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const signing: string[] = []
    // Each upload starts with one plan (the Companion routes, were they used, would count too).
    page.on('request', (r) => signing.push(...uploadsStarted(r)))
    await page.goto(`${t.app.url}/react/`)
    await record(page)
    const paths = ['a.txt', 'b.txt', 'c.txt'].map((n, i) => {
      const p = join(dir, n)
      writeTestFile(p, 1000 + i)
      return p
    })
    const big = join(dir, 'big.bin')
    writeTestFile(big, 7 * 1024 * 1024)
    await setInputFiles(page, [...paths, big])
    await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
    const [done] = await waitForEvents(page, 'all-complete', 1)
    assert.equal(done.detail.successful.length, 4)
    await page.waitForFunction(() => document.querySelector('[data-testid=stored-count]')?.textContent === '4')
    // Give any duplicate upload a moment to show itself.
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(await page.locator('[data-testid=stored-count]').textContent(), '4', 'onUploadComplete fired once per file')
    assert.deepEqual(signing.sort(), ['plan:a.txt', 'plan:b.txt', 'plan:big.bin', 'plan:c.txt'], 'one plan per file, nothing else started an upload')
    assert.equal(await page.evaluate(() => document.querySelectorAll('hoist-uploader').length), 1)
    assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.opts.id), 'hoist-1', 'no second Uppy instance was ever made')
    const meta = done.detail.successful[0].meta
    assert.equal(meta.source, 'react-demo', 'the meta prop reached the element as a property')
    assert.deepEqual(errors, [])
  })
})

describe('Vue 3: <hoist-uploader> in a single-file component (demo/vue)', () => {
  const t = demoAndBrowser()

  it('renders the custom element, passes meta as a property and fires @upload-complete', async () => {
    const page = await t.browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => {
      if (m.type() === 'warning' && /Failed to resolve component/.test(m.text())) errors.push(m.text())
    })
    await page.goto(`${t.app.url}/vue/`)
    await record(page)
    // max-file-size="2GB" reached the element as a property string and still became bytes.
    assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.opts.restrictions.maxFileSize), 2e9)
    await addGenerated(page, [{ name: 'from-vue.txt', size: 2048, type: 'text/plain' }])
    await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
    const [done] = await waitForEvents(page, 'all-complete', 1)
    assert.equal(done.detail.successful.length, 1)
    assert.equal(done.detail.successful[0].meta.source, 'vue-demo')
    await page.waitForFunction(() => document.querySelector('[data-testid=stored-count]')?.textContent === '1')
    assert.equal(await page.getByRole('link', { name: 'from-vue.txt' }).count(), 1)
    assert.deepEqual(errors, [])
  })
})
