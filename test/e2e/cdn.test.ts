// A plain HTML page with only the one-file CDN build and the element uploads to `hoist-uploader serve`,
// with the lazy chunks beside it and without them.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { FileInfo } from '../../src/index.js'
import { cdnBuild, cdnEntryAlone, startCli, startSite, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { fileSha, storedSha, writeTestFile } from '../helpers/page.js'
import { buildExifSegment, jpegWithExif } from '../helpers/exif.js'
import jpeg from 'jpeg-js'

/** A page of `site` in a new browser, with the page errors it throws; the browser closes after `fn`. */
async function onPage(site: Site, fn: (page: Page, errors: string[]) => Promise<void>, watch?: (page: Page) => void): Promise<void> {
  const browser: Browser = await launchChromium()
  try {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    watch?.(page)
    await page.goto(site.url)
    await fn(page, errors)
    assert.deepEqual(errors, [])
  } finally {
    await browser.close()
  }
}

/** Picks `paths` in the element `selector` and uploads them; each is stored byte for byte. Returns them by name. */
async function uploadChecked(page: Page, paths: string[], selector = 'hoist-uploader'): Promise<Record<string, FileInfo>> {
  await page.locator(`${selector} input[type=file]`).first().setInputFiles(paths)
  const result = await page.evaluate((s) => document.querySelector<HTMLElementTagNameMap['hoist-uploader']>(s)!.upload(), selector)
  assert.deepEqual(result.failed, [])
  const byName = Object.fromEntries(result.successful.map((f) => [f.name, f]))
  for (const path of paths) assert.equal(await storedSha(byName[path.split('/').pop()!]), fileSha(path), path)
  return byName
}

describe('script tag: dist/cdn/hoist-uploader.js', () => {
  let cli: Running
  const dir = mkdtempSync(join(tmpdir(), 'hoist-cdn-'))
  const pageHtml = () => `<!doctype html><meta charset="utf-8">
<script type="module" src="/hoist-uploader.js" onerror="window.__entryFailed = true"></script>
<hoist-uploader endpoint="${cli.url}"></hoist-uploader>`
  const small = join(dir, 'note.txt')
  const big = join(dir, 'clip.bin')

  before(async () => {
    cli = await startCli([])
    writeFileSync(small, 'uploaded from a page with one script tag\n')
    writeTestFile(big, 7 * 1024 * 1024, 7)
  })
  after(async () => {
    await cli?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  describe('with chunks/ beside it', () => {
    let site: Site
    // Like a CDN: the entry file and the chunks beside it.
    before(async () => (site = await startSite(pageHtml(), cdnBuild)))
    after(() => site?.close())

    it('registers the tag and uploads a picked file, single and multipart', async () => {
      await onPage(site, async (page) => {
        await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
        const byName = await uploadChecked(page, [small, big])
        assert.equal(byName['clip.bin'].multipart, true)
        // A language arrives as its own chunk, only when asked for.
        assert.doesNotMatch(readFileSync('dist/cdn/hoist-uploader.js', 'utf8'), /Dateien hinzufügen/)
        const chunkRequests: string[] = []
        page.on('request', (r) => r.url().includes('/chunks/') && chunkRequests.push(r.url()))
        await page.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('locale', 'de-DE'))
        await page.waitForFunction(() => /Dateien|Datei/.test(document.querySelector('hoist-uploader')!.shadowRoot!.textContent ?? ''))
        assert.ok(chunkRequests.length >= 1, 'the German strings came from a chunk')
      })
    })

    it('fetches stock aws-s3 and Golden Retriever from chunks/ when asked for, each working on its own', async () => {
      const chunks: string[] = []
      await onPage(
        site,
        async (page) => {
          await page.evaluate((endpoint) => document.body.insertAdjacentHTML('beforeend', `<hoist-uploader id="stock" transport="uppy-aws-s3" restore endpoint="${endpoint}"></hoist-uploader>`), cli.url)
          await page.waitForFunction(() => !!document.querySelector<HTMLElement & { uppy?: { getPlugin: (id: string) => unknown } }>('#stock')?.uppy?.getPlugin('GoldenRetriever'))
          await uploadChecked(page, [small], '#stock')
          assert.ok(chunks.some((c) => c.startsWith('/chunks/aws-s3-')), `stock aws-s3 came from its chunk (${chunks.join(', ')})`)
          assert.ok(chunks.some((c) => c.startsWith('/chunks/golden-retriever-')), `Golden Retriever came from its chunk (${chunks.join(', ')})`)
        },
        (page) => page.on('response', (r) => r.ok() && r.url().includes('/chunks/') && chunks.push(new URL(r.url()).pathname)),
      )
    })
  })

  describe('copied alone, without chunks/', () => {
    let site: Site
    before(async () => (site = await startSite(pageHtml(), cdnEntryAlone())))
    after(() => site?.close())

    it('a photo uploads as picked, with a warning that its location stayed; an image to resize is refused with the reason', async () => {
      const photo = join(dir, 'located.jpg')
      const pixels = { data: Buffer.alloc(64 * 48 * 4, 200), width: 64, height: 48 }
      writeFileSync(photo, jpegWithExif(jpeg.encode(pixels, 90).data, buildExifSegment({ order: 'II', gps: { lat: 48.8584, lon: 2.2945 } })))
      const warnings: string[] = []
      await onPage(
        site,
        async (page) => {
          await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
          const byName = await uploadChecked(page, [photo])
          assert.equal(byName['located.jpg'].processing, undefined)
          assert.equal(warnings.filter((w) => /located\.jpg is uploaded with its location data/.test(w)).length, 1, warnings.join('\n'))
          await page.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('resize-images', '32'))
          const refused = page.evaluate(() => new Promise<{ error: { code: string; message: string } }>((resolve) => document.querySelector('hoist-uploader')!.addEventListener('restriction-failed', (e) => resolve(e.detail), { once: true })))
          await page.evaluate(async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
            await document.querySelector('hoist-uploader')!.addFiles([new File([bytes], 'to-resize.jpg', { type: 'image/jpeg' })])
          }, readFileSync(photo).toString('base64'))
          const { error } = await refused
          assert.equal(error.code, 'prepare_failed')
          assert.match(error.message, /^to-resize\.jpg could not be prepared: /)
        },
        (page) => page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text())),
      )
    })

    it('registers the tag and uploads, single and multipart; a missing language falls back to English with one warning', async () => {
      const warnings: string[] = []
      const missing: string[] = []
      await onPage(
        site,
        async (page) => {
          // A static import the entry cannot fetch fails the module: the script's error event says so.
          const loaded = await page.waitForFunction(() => ((window as { __entryFailed?: boolean }).__entryFailed ? 'failed' : document.querySelector('hoist-uploader')?.uppy && 'ran'))
          assert.equal(await loaded.jsonValue(), 'ran', `the entry file did not run alone; it asked for ${missing.join(', ') || 'nothing missing'}`)
          assert.equal(missing.join(', '), '', 'nothing but the entry file is fetched before the first upload')

          // The empty Dashboard's strings, each time from French ones set as an object, so English is what
          // the fallback brings.
          const shows = (pattern: string) =>
            page.waitForFunction((p) => new RegExp(p).test(document.querySelector('hoist-uploader')!.shadowRoot!.textContent ?? ''), pattern)
          for (const tag of ['de-DE', 'xx_YY']) {
            // As source text: tsx would wrap a function written here in a helper the page lacks.
            await page.evaluate(`document.querySelector('hoist-uploader').locale = { strings: { dropPasteFiles: 'Déposez ici, ou %{browseFiles}', browseFiles: 'parcourez' }, pluralize: (n) => (n === 1 ? 0 : 1) }`)
            await shows('Déposez ici')
            const warned = page.waitForEvent('console', (m) => m.type() === 'warning' && m.text().includes(`"${tag}"`))
            await page.evaluate((t) => document.querySelector('hoist-uploader')!.setAttribute('locale', t), tag)
            await warned
            await shows('Drop files here')
            assert.equal(warnings.filter((w) => w.includes(`"${tag}"`)).length, 1, `one warning names "${tag}"`)
          }
          assert.ok(missing.some((p) => p.startsWith('/chunks/de_DE-')), 'the German strings were asked for, beside the entry')

          // Multipart too: the MD5 code the part ledger asks for is missing, and the upload goes on without it.
          const byName = await uploadChecked(page, [small, big])
          assert.equal(byName['clip.bin'].multipart, true)
        },
        (page) => {
          page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()))
          page.on('response', (r) => r.status() === 404 && missing.push(new URL(r.url()).pathname))
        },
      )
    })
  })
})
