// Image preparation from a plain page with the script tag (dist/cdn): resized in a worker, upright,
// location removed by default or kept, and HEIC photos arriving as JPEGs. The stored bytes are read
// back with an EXIF reader of their own (exifr) and decoded (jpeg-js).
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import exifr from 'exifr'
import jpeg from 'jpeg-js'
import type { Browser, Page } from 'playwright-core'
import type { FileInfo } from '../../src/index.js'
import { cdnElementPage, startCli, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { buildExifSegment, jpegWithExif } from '../helpers/exif.js'

const GPS = { lat: 48.8584, lon: 2.2945 }

/** A JPEG drawn by the browser: left half red, right half blue, `width` × `height` as stored. */
async function drawnJpeg(page: Page, width: number, height: number): Promise<Uint8Array> {
  const base64 = await page.evaluate(
    async ([w, h]) => {
      const canvas = new OffscreenCanvas(w, h)
      const context = canvas.getContext('2d')!
      context.fillStyle = '#ff0000'
      context.fillRect(0, 0, w / 2, h)
      context.fillStyle = '#0000ff'
      context.fillRect(w / 2, 0, w / 2, h)
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer())
      let text = ''
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      return btoa(text)
    },
    [width, height],
  )
  return new Uint8Array(Buffer.from(base64, 'base64'))
}

async function stored(info: FileInfo): Promise<Buffer> {
  const r = await fetch(info.url)
  assert.equal(r.status, 200)
  return Buffer.from(await r.arrayBuffer())
}

/** Red or blue, whichever the pixel at (x, y) is closer to. */
function colourAt(image: { data: Uint8Array; width: number }, x: number, y: number): 'red' | 'blue' {
  const i = (y * image.width + x) * 4
  return image.data[i] > image.data[i + 2] ? 'red' : 'blue'
}

describe('image preparation (script tag)', () => {
  let cli: Running
  let browser: Browser
  const dir = mkdtempSync(join(tmpdir(), 'hoist-prepare-'))
  const sites: Site[] = []

  before(async () => {
    cli = await startCli([])
    browser = await launchChromium()
  })
  after(async () => {
    for (const site of sites) site.close()
    await browser?.close()
    await cli?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A fresh page with the element and `attributes`, and the page errors it throws. */
  const pageWith = (attributes: string) => cdnElementPage(browser, sites, cli.url, attributes)


  async function uploadPaths(page: Page, paths: string[]): Promise<FileInfo[]> {
    await page.locator('hoist-uploader input[type=file]').first().setInputFiles(paths)
    const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    assert.deepEqual(result.failed, [])
    return result.successful
  }

  /** A 6000 × 4000 photo stored sideways (EXIF orientation 6) with a GPS position, as phones write them. */
  async function sidewaysPhoto(page: Page, name: string): Promise<{ path: string; size: number }> {
    const exif = buildExifSegment({ order: 'MM', orientation: 6, make: 'Hoist Test Camera', dateTime: '2026:12:02 10:00:00', gps: GPS, pixelSize: { width: 6000, height: 4000 } })
    const bytes = jpegWithExif(await drawnJpeg(page, 6000, 4000), exif)
    const path = join(dir, name)
    writeFileSync(path, bytes)
    return { path, size: bytes.length }
  }

  it('resize-images="2048" stores a 6000 × 4000 sideways photo upright at 2048 px, without its GPS tags', async () => {
    const { page, errors } = await pageWith('resize-images="2048"')
    const photo = await sidewaysPhoto(page, 'sideways.jpg')
    const [info] = await uploadPaths(page, [photo.path])
    const bytes = await stored(info)
    // Upright: the stored image is portrait, and what was the left (red) is now at the top.
    const image = jpeg.decode(bytes, { useTArray: true })
    assert.deepEqual([image.width, image.height, info.width, info.height], [1365, 2048, 1365, 2048])
    assert.equal(colourAt(image, 680, 100), 'red')
    assert.equal(colourAt(image, 680, 1900), 'blue')
    const tags = await exifr.parse(bytes, { gps: true, tiff: true, exif: true, translateValues: false })
    assert.equal(await exifr.gps(bytes), undefined)
    assert.equal(tags.latitude, undefined)
    assert.equal(tags.Make, 'Hoist Test Camera', 'the rest of the EXIF is kept')
    assert.equal(tags.Orientation ?? 1, 1, 'no orientation left to turn it again')
    assert.equal(info.size, bytes.length)
    assert.equal(info.originalSize, photo.size)
    assert.ok(info.size < info.originalSize)
    assert.deepEqual(info.processing?.resized, { from: { width: 4000, height: 6000 }, to: { width: 1365, height: 2048 } })
    assert.deepEqual(info.processing?.removed, ['GPS position (EXIF)'])
    assert.deepEqual(errors, [])
  })

  it('previews are drawn by Hoist (280 px wide, upright), not by the Dashboard\'s thumbnail generator', async () => {
    const { page } = await pageWith('')
    const photo = await sidewaysPhoto(page, 'preview.jpg')
    await page.locator('hoist-uploader input[type=file]').first().setInputFiles([photo.path])
    await page.waitForFunction(() => !!document.querySelector('hoist-uploader')!.uppy!.getFiles()[0]?.preview)
    const preview = await page.evaluate(async () => {
      const uppy = document.querySelector('hoist-uploader')!.uppy!
      const plugins: string[] = []
      uppy.iteratePlugins((p: { id: string }) => plugins.push(p.id))
      const bitmap = await createImageBitmap(await (await fetch(uppy.getFiles()[0].preview!)).blob())
      return { width: bitmap.width, height: bitmap.height, plugins }
    })
    assert.deepEqual([preview.width, preview.height], [280, 420], 'the sideways photo previews upright')
    assert.ok(!preview.plugins.some((id) => /Thumbnail/.test(id)), preview.plugins.join(', '))
  })

  it('with keep-metadata, the resized photo still has its GPS tags', async () => {
    const { page } = await pageWith('resize-images="2048" keep-metadata')
    const photo = await sidewaysPhoto(page, 'kept.jpg')
    const [info] = await uploadPaths(page, [photo.path])
    const bytes = await stored(info)
    const gps = await exifr.gps(bytes)
    assert.ok(gps && Math.abs(gps.latitude - GPS.lat) < 1e-4 && Math.abs(gps.longitude - GPS.lon) < 1e-4, `GPS kept: ${JSON.stringify(gps)}`)
    assert.deepEqual([info.width, info.height], [1365, 2048])
    assert.deepEqual(info.processing?.removed, [])
  })

  it('by default, a photo keeps every byte but its location: no re-encoding when nothing else changes it', async () => {
    const { page } = await pageWith('')
    const original = jpegWithExif(await drawnJpeg(page, 800, 600), buildExifSegment({ order: 'II', make: 'Hoist Test Camera', gps: GPS }))
    const path = join(dir, 'holiday.jpg')
    writeFileSync(path, original)
    const [info] = await uploadPaths(page, [path])
    const bytes = await stored(info)
    assert.equal(bytes.length, original.length, 'the same length: the location is zeroed in place')
    const scan = original.indexOf(0xda, original.findIndex((b, i) => b === 0xff && original[i + 1] === 0xda))
    assert.deepEqual(bytes.subarray(scan), Buffer.from(original.subarray(scan)), 'the image data is untouched')
    assert.equal(await exifr.gps(bytes), undefined)
    assert.equal((await exifr.parse(bytes)).Make, 'Hoist Test Camera')
    assert.deepEqual(info.processing, { removed: ['GPS position (EXIF)'] })
    assert.equal(info.originalSize, original.length)
  })

  it('a photo without location is uploaded as picked, with no processing reported', async () => {
    const { page } = await pageWith('')
    const original = jpegWithExif(await drawnJpeg(page, 400, 300), buildExifSegment({ order: 'II', make: 'Hoist Test Camera' }))
    const path = join(dir, 'plain.jpg')
    writeFileSync(path, original)
    const [info] = await uploadPaths(page, [path])
    assert.deepEqual(await stored(info), Buffer.from(original))
    assert.equal(info.processing, undefined)
    assert.equal(info.originalSize, info.size)
  })

  it('convert-heic turns a HEIC photo (given no type by the browser) into an upright JPEG of its size', async () => {
    const { page, errors } = await pageWith('convert-heic')
    // Browsers often give .heic files no type: the element is given the file as such.
    const heic = readFileSync('test/e2e/fixtures/photo.heic')
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      await document.querySelector('hoist-uploader')!.addFiles([new File([bytes], 'IMG_0001.HEIC', { type: '' })])
    }, heic.toString('base64'))
    // The Dashboard previews the JPEG it became.
    await page.waitForFunction(() => !!document.querySelector('hoist-uploader')!.uppy!.getFiles()[0]?.preview)
    const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    assert.deepEqual(result.failed, [])
    const [info] = result.successful
    assert.equal(info.name, 'IMG_0001.jpg')
    assert.equal(info.type, 'image/jpeg')
    const image = jpeg.decode(await stored(info), { useTArray: true })
    assert.deepEqual([image.width, image.height, info.width, info.height], [640, 480, 640, 480])
    assert.equal(info.originalSize, heic.length)
    assert.equal(info.processing?.convertedFrom, 'image/heic')
    assert.deepEqual(errors, [])
  })

  it('a file that cannot be prepared is taken out with the reason, and the others upload', async () => {
    const { page } = await pageWith('convert-heic')
    await page.evaluate(async () => {
      const el = document.querySelector('hoist-uploader')!
      const failures: unknown[] = ((window as unknown as { failures: unknown[] }).failures = [])
      el.addEventListener('restriction-failed', (e) => failures.push(e.detail))
      await el.addFiles([new File([new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63, 1, 2, 3])], 'broken.heic'), new File(['a note'], 'note.txt', { type: 'text/plain' })])
    })
    const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
    assert.deepEqual(result.successful.map((f) => f.name), ['note.txt'])
    const failures = await page.evaluate(() => (window as unknown as { failures: { file: { name: string }; error: { code: string; message: string } }[] }).failures)
    assert.equal(failures.length, 1)
    assert.equal(failures[0].file.name, 'broken.heic')
    assert.equal(failures[0].error.code, 'prepare_failed')
    assert.match(failures[0].error.message, /^broken\.heic could not be prepared: /)
  })
})
