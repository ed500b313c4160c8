// Capture tabs and the image editor from a plain page with the script tag (dist/cdn), with Chromium's
// fake camera, microphone and screen: what is captured is stored byte for byte as the element had it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import jpeg from 'jpeg-js'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { FileInfo } from '../../src/index.js'
import { cdnElementPage, startCli, type Running, type Site } from '../helpers/app.js'
import { CHROME_ARGS, chromePath } from '../helpers/browser.js'
import { axe, serious } from '../helpers/axe.js'
import { sha256 } from '../helpers/page.js'

// Chromium's fake devices stand in for the camera, the microphone and the screen, and its fake UI grants them.
const CAPTURE_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']

const el = 'hoist-uploader'
const button = (page: Page, title: string) => page.locator(`${el} button[title="${title}"]`)

/** The sha256 of each listed file's bytes, as the element holds them, by name. */
const listedShas = (page: Page): Promise<Record<string, string>> =>
  page.evaluate(async () => {
    const out: Record<string, string> = {}
    for (const file of document.querySelector('hoist-uploader')!.uppy!.getFiles()) {
      const digest = await crypto.subtle.digest('SHA-256', await (file.data as Blob).arrayBuffer())
      out[file.name ?? ''] = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
    }
    return out
  })

async function stored(info: FileInfo): Promise<Buffer> {
  const r = await fetch(info.url)
  assert.equal(r.status, 200)
  return Buffer.from(await r.arrayBuffer())
}

/** The focused element's names (inside the shadow root too): its aria-label, title and text. */
const focusedNames = (page: Page): Promise<string[]> =>
  page.evaluate(() => {
    let active = document.activeElement
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement
    return [active?.getAttribute('aria-label') ?? '', active?.getAttribute('title') ?? '', active?.textContent?.trim() ?? '']
  })

/** Presses Tab until the focused element is named `name`; at most 40 presses. */
async function tabTo(page: Page, name: string): Promise<void> {
  const seen: string[] = []
  for (let i = 0; i < 40; i++) {
    const names = await focusedNames(page)
    if (names.includes(name)) return
    seen.push(names.find(Boolean) ?? '?')
    await page.keyboard.press('Tab')
  }
  throw new Error(`"${name}" was not reached with the Tab key; focus went: ${seen.join(' → ')}`)
}

describe('capture tabs and the image editor (script tag, fake devices)', () => {
  let cli: Running
  let browser: Browser
  const sites: Site[] = []

  before(async () => {
    cli = await startCli([])
    browser = await chromium.launch({ executablePath: chromePath(), args: [...CHROME_ARGS, ...CAPTURE_ARGS], headless: true })
  })
  after(async () => {
    for (const site of sites) site.close()
    await browser?.close()
    await cli?.stop()
  })

  const pageWith = (attributes: string) => cdnElementPage(browser, sites, cli.url, attributes)


  const openTab = async (page: Page, name: string) => {
    const more = page.locator(`${el} .uppy-DashboardContent-addMore`)
    if (await more.isVisible()) await more.click()
    await page.locator(`${el} .uppy-DashboardTab-btn`, { hasText: name }).click()
  }

  it('a photo, a video and a sound clip from the fake camera and microphone, and a screen recording, are stored as captured', async () => {
    const { page, errors } = await pageWith('sources="camera screen audio"')
    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.shadowRoot!.querySelectorAll('.uppy-DashboardTab-btn').length === 4)
    assert.deepEqual(await page.locator(`${el} .uppy-DashboardTab-btn`).allTextContents(), ['My Device', 'Camera', 'Screencast', 'Audio'])

    /** Opens a tab, checks it with axe, records for 1.2 s (or presses `start` alone for a photo) and adds what was captured. */
    const capture = async (tab: string, start: string, stop?: string) => {
      await openTab(page, tab)
      await button(page, start).waitFor()
      assert.deepEqual(serious(await axe(page)), [], `the ${tab} tab`)
      await button(page, start).click()
      if (stop) {
        await page.waitForTimeout(1200)
        await button(page, stop).click()
      }
      await button(page, 'Submit recorded file').click()
    }
    await capture('Camera', 'Take a picture')
    await capture('Camera', 'Begin video recording', 'Stop video recording')
    await capture('Audio', 'Begin audio recording', 'Stop audio recording')
    await capture('Screencast', 'Begin screen capturing', 'Stop screen capturing')

    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length === 4)
    const shas = await listedShas(page)
    const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    assert.deepEqual(result.failed, [])
    const byKind = Object.fromEntries(result.successful.map((f) => [f.name.split('-')[0], f]))
    assert.deepEqual(Object.keys(byKind).sort(), ['audio', 'cam', 'screencap', 'webcam'])
    assert.equal(byKind.cam.type, 'image/jpeg')
    assert.ok(byKind.cam.width! > 0 && byKind.cam.height! > 0)
    assert.match(byKind.webcam.type, /^video\/webm/)
    assert.match(byKind.audio.type, /^audio\/webm/)
    assert.match(byKind.screencap.type, /^video\/webm/)
    for (const info of result.successful) {
      assert.ok(info.size > 1000, `${info.name} has content (${info.size} B)`)
      assert.equal(sha256(await stored(info)), shas[info.name], `${info.name} is stored byte for byte`)
    }
    assert.deepEqual(errors, [])
  })

  it('the camera tab works from the keyboard alone', async () => {
    const { page } = await pageWith('sources="camera"')
    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.shadowRoot!.querySelectorAll('.uppy-DashboardTab-btn').length === 2)
    await tabTo(page, 'Camera')
    await page.keyboard.press('Enter')
    await tabTo(page, 'Take a picture')
    await page.keyboard.press('Enter')
    await tabTo(page, 'Submit recorded file')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length === 1)
  })

  it('crop-aspect="1/1" opens the editor on an added image; saving from the keyboard stores a square', async () => {
    const { page, errors } = await pageWith('image-editor crop-aspect="1/1"')
    await page.waitForFunction(() => !!document.querySelector('hoist-uploader')!.uppy!.getPlugin('Hoist-editor-1'))
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(600, 400)
      const context = canvas.getContext('2d')!
      context.fillStyle = '#ff0000'
      context.fillRect(0, 0, 300, 400)
      context.fillStyle = '#0000ff'
      context.fillRect(300, 0, 300, 400)
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 })
      await document.querySelector('hoist-uploader')!.addFiles([new File([blob], 'wide.jpg', { type: 'image/jpeg' })])
    })
    await page.locator(`${el} .uppy-DashboardContent-save`).waitFor()
    await page.waitForFunction(() => !!document.querySelector('hoist-uploader')!.shadowRoot!.querySelector('.cropper-crop-box'))
    assert.deepEqual(serious(await axe(page)), [], 'the image editor')
    const saved = page.evaluate(() => new Promise((resolve) => document.querySelector('hoist-uploader')!.uppy!.once('file-editor:complete' as never, resolve as never)))
    await tabTo(page, 'Save')
    await page.keyboard.press('Enter')
    // The editor encodes the crop after its panel closes.
    await saved
    const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    assert.deepEqual(result.failed, [])
    const [info] = result.successful
    const image = jpeg.decode(await stored(info), { useTArray: true })
    assert.equal(image.width, image.height, `stored ${image.width} × ${image.height}`)
    assert.deepEqual([info.width, info.height], [image.width, image.height])
    assert.ok(image.width >= 350 && image.width <= 400, `the square is the image's height: ${image.width}`)
    assert.equal(info.size, (await stored(info)).length)
    assert.deepEqual(errors, [])
  })
})
