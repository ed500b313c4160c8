// The element in Chromium against the demo server (`npm run demo`), on disk storage and on Ceph RGW.
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { FileInfo } from '../../src/index.js'
import { startDemo, type Running } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addGenerated, addJpeg, batchItems, events, isEndpointCall, record, setInputFiles, storedSha, upload, waitForEvents, writeTestFile } from '../helpers/page.js'
import { emptyBucket, makeBucket, openUploads } from '../helpers/s3.js'

const MiB = 1024 * 1024
const files = mkdtempSync(join(tmpdir(), 'hoist-e2e-files-'))
const big23 = join(files, 'video-23MiB.bin')
const big23Sha = writeTestFile(big23, 23 * MiB, 23)
const big48 = join(files, 'archive-48MiB.bin')
const big48Sha = writeTestFile(big48, 48 * MiB, 48)

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(async () => {
  await browser?.close()
  rmSync(files, { recursive: true, force: true })
})

interface Backend {
  name: string
  start: () => Promise<Running>
  openUploads: () => Promise<number>
  /** What is open, for a failure message. */
  openDetail: () => Promise<string>
  storedNames: () => Promise<string[]>
  /** The error code a page can see when storage refuses a lying upload. */
  lieCode: RegExp
  cleanup: () => Promise<void>
}

function diskBackend(): Backend {
  let app: Running
  return {
    name: 'disk storage',
    start: async () => (app = await startDemo()),
    openUploads: async () => readdirSync(join(app.dir, 'multipart')).length,
    openDetail: async () => JSON.stringify(readdirSync(join(app.dir, 'multipart'), { recursive: true })),
    storedNames: async () => readdirSync(join(app.dir, 'objects'), { recursive: true }).map(String),
    lieCode: /^length_mismatch$/,
    cleanup: async () => {},
  }
}

function rgwBackend(): Backend {
  let s3: Awaited<ReturnType<typeof makeBucket>>
  return {
    name: 'Ceph RGW',
    start: async () => {
      s3 = await makeBucket('e2e')
      return startDemo({ bucket: s3.bucket })
    },
    openUploads: async () => (await openUploads(s3.client, s3.bucket)).length,
    openDetail: async () => JSON.stringify((await openUploads(s3.client, s3.bucket)).map((u) => u.Key)),
    storedNames: async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key!),
    // RGW answers a refused PUT or form (400/403) without CORS headers, so the page sees only a failed request.
    lieCode: /^(storage_[a-z_]+|network_error)$/,
    cleanup: async () => emptyBucket(s3.client, s3.bucket),
  }
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000, detail?: () => Promise<string>) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  assert.fail(`timed out waiting for ${what}${detail ? `: ${await detail()}` : ''}`)
}

// Both transports run the same suite: Hoist's own (the default) and stock @uppy/aws-s3.
for (const [transport, backend] of (['hoist', 'uppy-aws-s3'] as const).flatMap((t) => [diskBackend(), rgwBackend()].map((b) => [t, b] as const))) {
  describe(`e2e: <hoist-uploader transport=${transport}> on the demo with ${backend.name}`, () => {
    let app: Running
    let page: Page
    const pageErrors: string[] = []

    before(async () => {
      app = await backend.start()
    })
    after(async () => {
      await app?.stop()
      await backend.cleanup()
    })

    async function openPage() {
      await page?.close()
      page = await browser.newPage()
      page.on('pageerror', (e) => pageErrors.push(e.message))
      await page.goto(app.url)
      await record(page)
      await page.evaluate((t) => (document.querySelector('hoist-uploader')!.transport = t), transport)
    }

    it('uploads a 200 KB JPEG in one request; FileInfo is complete and its url serves identical bytes', async () => {
      await openPage()
      const jpeg = await addJpeg(page, 'photo.jpg', 200)
      const result = await upload(page)
      assert.equal(result.failed.length, 0, JSON.stringify(result.failed))
      const [info] = result.successful
      assert.equal(info.name, 'photo.jpg')
      assert.equal(info.size, jpeg.size)
      assert.equal(info.type, 'image/jpeg')
      assert.equal(info.extension, 'jpg')
      assert.equal(info.width, 640)
      assert.equal(info.height, 480)
      assert.equal(info.multipart, false)
      assert.equal(info.parts, 1)
      // The demo's user has the id "demo": its files live under its own prefix.
      assert.match(info.key, /^uploads\/demo\/\d{4}\/\d{2}\/[0-9a-f-]{36}\/photo\.jpg$/)
      assert.match(info.etag, /^[0-9a-f]{32}$/)
      assert.ok(Date.parse(info.finishedAt) >= Date.parse(info.startedAt))
      assert.equal(info.durationMs, Date.parse(info.finishedAt) - Date.parse(info.startedAt))
      assert.equal(await storedSha(info), jpeg.sha)
      const complete = await events(page, 'upload-complete')
      assert.deepEqual(complete.map((e) => e.detail.file.key), [info.key])
      assert.equal((await events(page, 'upload-start')).length, 1)
      assert.ok((await events(page, 'upload-progress')).length >= 1)
      assert.deepEqual(pageErrors, [])
    })

    it('uploads a 23 MiB file picked from disk as multipart; stored sha256 matches', async () => {
      await openPage()
      await setInputFiles(page, [big23])
      const result = await upload(page)
      assert.equal(result.failed.length, 0, JSON.stringify(result.failed))
      const [info] = result.successful
      assert.equal(info.multipart, true)
      assert.equal(info.parts, 5)
      assert.equal(info.size, 23 * MiB)
      assert.match(info.etag, /-5$/)
      assert.equal(info.width, null)
      assert.equal(await storedSha(info), big23Sha)
      assert.equal(await backend.openUploads(), 0)
    })

    it('uploads 20 files at once, a 0-byte file and "résumé 📄 ../../x.pdf"', async () => {
      await openPage()
      const specs = [
        ...Array.from({ length: 20 }, (_, i) => ({ name: `batch-${i}.txt`, size: 30_000 + i * 997, type: 'text/plain' })),
        { name: 'empty.txt', size: 0, type: 'text/plain' },
        { name: 'résumé 📄 ../../x.pdf', size: 4321, type: 'application/pdf' },
      ]
      const shas = await addGenerated(page, specs)
      const result = await upload(page)
      assert.equal(result.failed.length, 0, JSON.stringify(result.failed))
      assert.equal(result.successful.length, 22)
      const byName = new Map(result.successful.map((f: FileInfo) => [f.name, f]))
      for (const spec of specs) {
        const info = byName.get(spec.name)!
        assert.ok(info, `no FileInfo for ${spec.name}`)
        assert.equal(info.size, spec.size)
        assert.equal(await storedSha(info), shas[spec.name], `sha256 of ${spec.name}`)
      }
      assert.match(byName.get('résumé 📄 ../../x.pdf')!.key, /\/x\.pdf$/)
      assert.equal(new Set(result.successful.map((f: FileInfo) => f.key)).size, 22)
      assert.equal((await events(page, 'upload-complete')).length, 22)
    })

    it('cancelling mid-upload leaves no incomplete multipart upload', async () => {
      await openPage()
      await setInputFiles(page, [big48])
      await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
      await until(async () => (await backend.openUploads()) === 1, 'the multipart upload to start')
      await waitForEvents(page, 'upload-progress', 1)
      const refused: string[] = []
      page.on('response', (r) => r.status() >= 400 && refused.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`))
      await page.evaluate(() => document.querySelector('hoist-uploader')!.cancelAll())
      await until(async () => (await backend.openUploads()) === 0, 'no incomplete multipart uploads', 15_000, async () => `open ${await backend.openDetail()}, refused ${JSON.stringify(refused)}, errors ${JSON.stringify(pageErrors)}`)
      assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length), 0)
      assert.ok(!(await backend.storedNames()).some((n) => n.endsWith('archive-48MiB.bin')))
    })

    it('pausing then resuming completes with identical bytes', async () => {
      await openPage()
      await setInputFiles(page, [big48])
      await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
      await page.waitForFunction(() => {
        const ev = (window as unknown as { __events: { type: string; detail: { bytesUploaded: number } }[] }).__events
        return ev.some((e) => e.type === 'upload-progress' && e.detail.bytesUploaded > 6 * 1024 * 1024)
      }, undefined, { timeout: 30_000 })
      await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.pauseAll())
      const progressed = async () => (await events(page, 'upload-progress')).reduce((m, e) => Math.max(m, e.detail.bytesUploaded), 0)
      await new Promise((r) => setTimeout(r, 300))
      const paused = await progressed()
      await new Promise((r) => setTimeout(r, 1000))
      assert.equal(await progressed(), paused, 'no bytes move while paused')
      assert.equal((await events(page, 'all-complete')).length, 0)
      await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.resumeAll())
      const [done] = await waitForEvents(page, 'all-complete', 1)
      assert.equal(done.detail.failed.length, 0, JSON.stringify(done.detail.failed))
      assert.equal(await storedSha(done.detail.successful[0]), big48Sha)
      assert.equal(await backend.openUploads(), 0)
    })

    it('a failed upload can be retried from the Dashboard and completes', async () => {
      await openPage()
      // Storage refuses the first write outright (no retry helps a 400); the user's retry then succeeds.
      let refusals = 1
      await page.route('**/*', (route) => {
        const req = route.request()
        if (['PUT', 'POST'].includes(req.method()) && !isEndpointCall(req) && refusals > 0) {
          refusals--
          const body = '<Error><Code>BadDigest</Code><Message>The Content-MD5 you specified did not match what was received.</Message></Error>'
          return route.fulfill({ status: 400, headers: { 'access-control-allow-origin': '*', 'content-type': 'application/xml' }, body })
        }
        return route.continue()
      })
      const shas = await addGenerated(page, [{ name: 'flaky.txt', size: 80_000, type: 'text/plain' }])
      const first = await upload(page)
      assert.equal(first.successful.length, 0)
      assert.equal(first.failed[0].error.code, 'storage_bad_digest')
      assert.equal(refusals, 0)
      await page.locator('hoist-uploader .uppy-StatusBar-actionBtn--retry').click()
      const [, second] = await waitForEvents(page, 'all-complete', 2)
      assert.equal(second.detail.failed.length, 0, JSON.stringify(second.detail.failed))
      assert.equal(await storedSha(second.detail.successful[0]), shas['flaky.txt'])
      await page.unroute('**/*')
    })

    if (transport === 'hoist') {
      it('retries the finish call that checks and describes single uploads when its connection is cut', async () => {
        await openPage()
        const calls: string[][] = []
        await page.route('**/api/uploads/finish', (route) => {
          calls.push(batchItems(route.request().postDataJSON()).map((f) => f.token))
          return calls.length === 1 ? route.abort('connectionreset') : route.continue()
        })
        await addGenerated(page, [{ name: 'one.txt', size: 100 }, { name: 'two.txt', size: 200 }])
        const result = await upload(page)
        const [cut, ...after] = calls
        const askedAgain = new Set(after.flat())
        assert.ok(cut.length >= 1 && cut.every((token) => askedAgain.has(token)), 'every file of the cut call was asked again')
        assert.equal(new Set(calls.flat()).size, 2, 'one finish token per file')
        assert.deepEqual(result.failed, [])
        assert.equal(result.successful.length, 2)
        await page.unroute('**/api/uploads/finish')
      })
    } else {
      it('asks again for the stored file’s info when the answer is lost (the file is stored by then)', async () => {
        await openPage()
        let resets = 0
        await page.route('**/api/uploads/object?**', (route) => (resets++ < 2 ? route.abort('connectionreset') : route.continue()))
        const shas = await addGenerated(page, [{ name: 'one.txt', size: 100 }, { name: 'two.txt', size: 200 }])
        const result = await upload(page)
        assert.deepEqual(result.failed, [])
        assert.ok(resets > 2, 'the lost read-backs were asked again')
        for (const info of result.successful) assert.equal(await storedSha(info), shas[info.name])
        await page.unroute('**/api/uploads/object?**')
      })
    }

    it('rejects files whose declared size is a lie and keeps uploading the others', async () => {
      await openPage()
      // A tampered client declares sizes one byte short of the truth, whatever transport sent them.
      await page.route('**/api/uploads/**', (route) => {
        const req = route.request()
        const url = new URL(req.url())
        if (req.method() === 'POST' && url.pathname.endsWith('/plan')) {
          const body = req.postDataJSON()
          for (const file of batchItems(body)) if (file.filename.startsWith('liar')) file.size -= 1
          return route.continue({ postData: JSON.stringify(body) })
        }
        if (req.method() === 'GET' && url.pathname.endsWith('/s3/params') && url.searchParams.get('filename')!.startsWith('liar')) {
          url.searchParams.set('metadata[declaredSize]', String(Number(url.searchParams.get('metadata[declaredSize]')) - 1))
          return route.continue({ url: url.href })
        }
        if (req.method() === 'POST' && url.pathname.endsWith('/s3/multipart')) {
          const body = req.postDataJSON()
          if (body.filename.startsWith('liar')) body.metadata.declaredSize -= 1
          return route.continue({ postData: JSON.stringify(body) })
        }
        return route.continue()
      })
      // RGW refuses without CORS headers, which looks like a network failure: keep the retries short.
      await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getPlugin('HoistTransport')?.setOptions({ retry: { retries: 1, baseDelay: 50 } } as never))
      await addGenerated(page, [
        { name: 'liar-small.bin', size: 100_000 },
        { name: 'liar-big.bin', size: 12 * MiB },
        { name: 'honest.bin', size: 50_000 },
      ])
      const result = await upload(page)
      assert.deepEqual(result.successful.map((f: FileInfo) => f.name), ['honest.bin'])
      assert.deepEqual(result.failed.map((f) => f.file.name).sort(), ['liar-big.bin', 'liar-small.bin'])
      for (const f of result.failed) {
        assert.match(f.error.code, backend.lieCode, JSON.stringify(f.error))
        assert.ok(f.error.message.length > 10)
      }
      const errors = await events(page, 'upload-error')
      assert.equal(errors.length, 2)
      const stored = await backend.storedNames()
      assert.ok(!stored.some((n) => n.includes('liar')), `stored: ${stored.join(', ')}`)
      await page.unroute('**/api/uploads/**')
    })
  })
}

describe('e2e: transport=hoist against an endpoint that wants a bearer token (disk storage)', () => {
  let app: Running
  before(async () => {
    app = await startDemo(undefined, { HOIST_DEMO_TOKEN: 's3cret' })
  })
  after(async () => {
    await app?.stop()
  })

  async function open(init?: string) {
    const page = await browser.newPage()
    if (init) await page.addInitScript(init)
    const auth: (string | undefined)[] = []
    page.on('request', (r) => {
      if (isEndpointCall(r)) auth.push(r.headers().authorization)
    })
    await page.goto(app.url)
    await record(page)
    return { page, auth }
  }

  it('is refused without the header, and sends it on every endpoint call once `headers` is set', async () => {
    const { page, auth } = await open()
    await addGenerated(page, [{ name: 'note.txt', size: 100 }])
    const refused = await upload(page)
    assert.deepEqual(refused.failed.map((f) => f.error.code), ['unauthorized'])
    await page.evaluate(() => {
      const el = document.querySelector('hoist-uploader')!
      el.reset()
      el.headers = async () => ({ authorization: 'Bearer s3cret' })
    })
    auth.length = 0
    // One PUT (its info read back by the element) and a multipart upload (create, sign, complete).
    await setInputFiles(page, [big23])
    await addGenerated(page, [{ name: 'note.txt', size: 100 }])
    const result = await upload(page)
    assert.equal(result.failed.length, 0, JSON.stringify(result.failed))
    assert.equal(result.successful.length, 2)
    assert.equal(await storedSha(result.successful.find((f) => f.multipart)!), big23Sha)
    assert.ok(auth.length >= 3, `endpoint calls seen: ${auth.length}`)
    assert.deepEqual(new Set(auth), new Set(['Bearer s3cret']))
    await page.close()
  })

  it('uploads multipart from a page without Web Crypto (plain http on a non-local address)', async () => {
    const { page } = await open("Object.defineProperty(crypto, 'subtle', { value: undefined })")
    assert.equal(await page.evaluate(() => crypto.subtle), undefined)
    await page.evaluate(() => (document.querySelector('hoist-uploader')!.headers = { authorization: 'Bearer s3cret' }))
    await setInputFiles(page, [big48])
    const result = await upload(page)
    assert.equal(result.failed.length, 0, JSON.stringify(result.failed))
    assert.equal(await storedSha(result.successful[0]), big48Sha)
    await page.close()
  })
})
