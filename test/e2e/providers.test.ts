// The five hosted upload APIs, end to end: a page that loads only dist/cdn uploads through
// `hoist-uploader serve --storage <name>` to each API's contract fake, in Chromium.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { cdnBuild, startCli, startSite, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { setInputFiles, sha256, testBytes, upload } from '../helpers/page.js'
import { png } from '../helpers/png.js'
import { startHosted, type HostedSetup } from '../helpers/providers.js'

const MiB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'hoist-hosted-'))
const photo = png(260, 260, 7)
const big = testBytes(23 * MiB, 5)
const files = {
  photo: { path: join(dir, 'photo.png'), sha: sha256(photo) },
  big: { path: join(dir, 'clip.mp4'), sha: sha256(big) },
}
writeFileSync(files.photo.path, photo)
writeFileSync(files.big.path, big)
writeFileSync(join(dir, 'notes.pdf'), testBytes(50_000, 9))

/** Everything the page sent and received, as text, to look for secrets in. */
function wiretap(page: Page): string[] {
  const seen: string[] = []
  page.on('request', (r) => seen.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postDataBuffer()?.toString('latin1') ?? ''}`))
  page.on('response', async (r) => {
    seen.push(`${r.url()} ${JSON.stringify(await r.allHeaders().catch(() => ({})))}`)
    if (/json|text/.test(r.headers()['content-type'] ?? '')) seen.push(await r.text().catch(() => ''))
  })
  return seen
}

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

for (const name of ['viesus', 'upscayl', 'luw', 'uploadcare', 'cloudinary'] as const) {
  describe(`hosted API: ${name}`, () => {
    let hosted: HostedSetup
    let cli: Running
    let site: Site
    before(async () => {
      hosted = await startHosted(name)
      cli = await startCli(['--storage', name], undefined, { env: hosted.env })
      site = await startSite(`<!doctype html><meta charset="utf-8"><script type="module" src="/hoist-uploader.js"></script><hoist-uploader endpoint="${cli.url}"></hoist-uploader>`, cdnBuild)
    })
    after(async () => {
      site?.close()
      await cli?.stop()
      await hosted?.fake.close()
    })

    async function open(): Promise<{ page: Page; seen: string[] }> {
      const page = await browser.newPage()
      const seen = wiretap(page)
      await page.goto(site.url)
      await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
      return { page, seen }
    }

    it('a 200 KB PNG and a 23 MiB file arrive byte-identical, and upload-complete carries the provider id; no secret reaches the page', async () => {
      const { page, seen } = await open()
      try {
        const completes: unknown[] = []
        await page.exposeFunction('__complete', (d: unknown) => completes.push(d))
        await page.evaluate(() => document.querySelector('hoist-uploader')!.addEventListener('upload-complete', (e) => (window as unknown as { __complete: (d: unknown) => void }).__complete((e as CustomEvent).detail)))
        await setInputFiles(page, [files.photo.path, files.big.path])
        const result = await upload(page)
        assert.deepEqual(result.failed, [])
        assert.equal(result.successful.length, 2)
        assert.equal(completes.length, 2)
        for (const info of result.successful) {
          const want = info.name === 'photo.png' ? files.photo : files.big
          assert.equal(info.provider?.name, name)
          const stored = hosted.fake.stored.get(info.provider!.id)
          assert.ok(stored, `${name} holds ${info.name} under the id upload-complete reported (${info.provider!.id})`)
          assert.equal(sha256(stored.bytes), want.sha, `${info.name} arrived byte-identical`)
          assert.equal(info.key, info.provider!.id)
          assert.equal(info.size, stored.bytes.length)
          assert.ok(info.provider!.raw && typeof info.provider!.raw === 'object', 'the provider\'s own answer comes as it came')
        }
        const p = result.successful.find((f) => f.name === 'photo.png')!
        assert.deepEqual([p.width, p.height], [260, 260])
        // Parts or chunks where the provider has them.
        const b = result.successful.find((f) => f.name === 'clip.mp4')!
        if (name !== 'viesus' && name !== 'luw') assert.ok(b.parts > 1, `${name} took the 23 MiB file in ${b.parts} requests`)
        // The API routes, which carry the key, are only ever called by the server.
        for (const r of hosted.fake.requests) {
          const text = `${r.path}?${r.query} ${JSON.stringify(r.headers)}`
          if (r.fromBrowser) for (const s of hosted.secrets) assert.ok(!text.includes(s), `the page sent a secret to ${r.method} ${r.path}`)
        }
        assert.ok(hosted.fake.requests.some((r) => r.fromBrowser), 'the page sent the bytes straight to the provider')
        for (const line of seen) for (const s of hosted.secrets) assert.ok(!line.includes(s), `a secret reached the page: ${line.slice(0, 200)}`)
      } finally {
        await page.close()
      }
    })

    if (name === 'upscayl' || name === 'cloudinary') {
      it('pausing mid-upload and resuming completes byte-identical, sending only what storage had not acknowledged', async () => {
        const { page } = await open()
        try {
          // Hold the second chunk (Cloudinary) or part 3 (Upscayl) at the network until the upload is paused.
          const held = name === 'cloudinary' ? (u: URL, h: Record<string, string>) => /^bytes [1-9]/.test(h['content-range'] ?? '') : (u: URL) => /\/s3\/[^/]+\/3$/.test(u.pathname)
          let holding: (() => void) | undefined
          const reached = new Promise<void>((resolve) => {
            void page.route(`${hosted.fake.url}/**`, async (route) => {
              const r = route.request()
              if (r.method() !== 'OPTIONS' && !holding && held(new URL(r.url()), r.headers())) {
                holding = () => void route.abort().catch(() => {})
                resolve()
                return
              }
              await route.continue()
            })
          })
          // What storage acknowledged before the pause, as the page saw it.
          const keyOf = (url: URL, h: Record<string, string>) => (name === 'cloudinary' ? String(h['content-range']).split('-')[0] : url.pathname.split('/').pop()!)
          const acked: string[] = []
          let pausedAt = Infinity
          page.on('requestfinished', async (r) => {
            const u = new URL(r.url())
            if (u.origin !== hosted.fake.url || r.method() === 'OPTIONS' || Date.now() > pausedAt || (await r.response())?.status() !== 200) return
            if (name === 'cloudinary' ? u.pathname.endsWith('/upload') : u.pathname.startsWith('/s3/')) acked.push(keyOf(u, r.headers()))
          })
          await setInputFiles(page, [files.big.path])
          await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
          await reached
          await new Promise((r) => setTimeout(r, 300)) // the other parts finish meanwhile
          await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.pauseAll())
          pausedAt = Date.now()
          holding!()
          await page.unroute(`${hosted.fake.url}/**`)
          const before = hosted.fake.requests.length
          await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.resumeAll())
          await page.waitForFunction(() => (document.querySelector('hoist-uploader')!.uppy!.getFiles()[0]?.progress.uploadComplete ?? false) === true, undefined, { timeout: 60_000 })
          const info = await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getFiles()[0].response!.body as unknown as { provider: { id: string } })
          assert.equal(sha256(hosted.fake.stored.get(info.provider.id)!.bytes), files.big.sha)
          // Resuming sends what was held back and what had not finished, never what storage had acknowledged.
          const later = hosted.fake.requests
            .slice(before)
            .filter((r) => r.method !== 'OPTIONS' && (name === 'cloudinary' ? r.path.endsWith('/upload') : r.path.startsWith('/s3/')))
            .map((r) => keyOf(new URL(r.path, hosted.fake.url), r.headers as Record<string, string>))
          assert.ok(acked.length >= 1, 'storage acknowledged something before the pause')
          assert.deepEqual(later.filter((k) => acked.includes(k)), [], `sent again after resuming: ${later.join(', ')} (acknowledged before: ${acked.join(', ')})`)
          assert.ok(later.includes(name === 'cloudinary' ? 'bytes 20000000' : '3'), 'the held request was sent again')
        } finally {
          await page.close()
        }
      })
    }

    it('a documented provider error fails that file with a clear upload-error, and the other file finishes', async () => {
      const { page } = await open()
      try {
        const broken = hosted.breakNext()
        await setInputFiles(page, broken.name ? [join(dir, broken.name), files.photo.path] : [files.photo.path, files.big.path])
        const result = await upload(page)
        assert.equal(result.failed.length, 1, JSON.stringify(result.failed))
        assert.equal(result.failed[0].error.code, broken.code)
        assert.ok(result.failed[0].error.message.length > 10)
        for (const s of hosted.secrets) assert.ok(!result.failed[0].error.message.includes(s))
        assert.equal(result.successful.length, 1)
        const ok = result.successful[0]
        assert.equal(sha256(hosted.fake.stored.get(ok.provider!.id)!.bytes), ok.name === 'photo.png' ? files.photo.sha : files.big.sha)
      } finally {
        await page.close()
      }
    })
  })
}
