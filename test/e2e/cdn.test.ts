// A plain HTML page with only the one-file CDN build and the element uploads to `hoist-uploader serve`.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { cdnBuild, startCli, startSite, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { storedSha, writeTestFile } from '../helpers/page.js'

describe('script tag: dist/cdn/hoist-uploader.js alone', () => {
  let cli: Running
  let site: Site
  const dir = mkdtempSync(join(tmpdir(), 'hoist-cdn-'))

  before(async () => {
    cli = await startCli([])
    const html = `<!doctype html><meta charset="utf-8">
<script type="module" src="/hoist-uploader.js"></script>
<hoist-uploader endpoint="${cli.url}"></hoist-uploader>`
    // Like a CDN: the entry file and the chunks beside it.
    site = await startSite(html, cdnBuild)
  })
  after(async () => {
    site?.close()
    await cli?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('registers the tag and uploads a picked file, single and multipart', async () => {
    const small = join(dir, 'note.txt')
    writeFileSync(small, 'uploaded from a page with one script tag\n')
    const big = join(dir, 'clip.bin')
    const bigSha = writeTestFile(big, 7 * 1024 * 1024, 7)
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(site.url)
      await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
      await page.locator('hoist-uploader input[type=file]').first().setInputFiles([small, big])
      const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
      assert.deepEqual(result.failed, [])
      const byName = Object.fromEntries(result.successful.map((f) => [f.name, f]))
      assert.equal(await storedSha(byName['note.txt']), (await import('node:crypto')).createHash('sha256').update(readFileSync(small)).digest('hex'))
      assert.equal(byName['clip.bin'].multipart, true)
      assert.equal(await storedSha(byName['clip.bin']), bigSha)
      // A language arrives as its own chunk, only when asked for.
      assert.doesNotMatch(readFileSync('dist/cdn/hoist-uploader.js', 'utf8'), /Dateien hinzufügen/)
      const chunkRequests: string[] = []
      page.on('request', (r) => r.url().includes('/chunks/') && chunkRequests.push(r.url()))
      await page.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('locale', 'de-DE'))
      await page.waitForFunction(() => /Dateien|Datei/.test(document.querySelector('hoist-uploader')!.shadowRoot!.textContent ?? ''))
      assert.ok(chunkRequests.length >= 1, 'the German strings came from a chunk')
      assert.deepEqual(errors, [])
    } finally {
      await browser.close()
    }
  })
})
