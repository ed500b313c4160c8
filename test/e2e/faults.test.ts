// Fault injection, end to end: the element's default transport in Chromium, through a fault proxy in
// front of storage (disk storage behind the demo, and Ceph RGW), plus going offline and reloading.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type Running } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { type Fault, type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js'
import { record, setInputFiles, storedSha, waitForEvents, writeTestFile } from '../helpers/page.js'
import { emptyBucket, makeBucket, openUploads } from '../helpers/s3.js'

const MiB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'hoist-faults-'))
const file = (name: string, size: number, seed: number) => ({ path: join(dir, name), size, sha: writeTestFile(join(dir, name), size, seed) })
const big = [file('a-23MiB.bin', 23 * MiB, 1), file('b-23MiB.bin', 23 * MiB, 2), file('c-23MiB.bin', 23 * MiB, 3), file('d-48MiB.bin', 48 * MiB, 4)]
const small = Array.from({ length: 6 }, (_, i) => file(`small-${i}.txt`, 80_000 + i, 10 + i))
const video = file('e-64MiB.bin', 64 * MiB, 5)

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Setup {
  app: Running
  proxy: FaultProxy
  /** Where the page lives: the proxy for disk storage (its URLs point back at the demo), else the demo. */
  pageUrl: string
  openUploads: () => Promise<number>
  stop: () => Promise<void>
}

async function onDisk(env: Record<string, string> = {}): Promise<Setup> {
  const app = await startDemo(undefined, env)
  const proxy = await startFaultProxy(app.url, (req) => req.method === 'PUT')
  return {
    app,
    proxy,
    pageUrl: proxy.url,
    openUploads: async () => readdirSync(join(app.dir, 'multipart')).length,
    stop: async () => {
      await proxy.close()
      await app.stop()
    },
  }
}

async function onRgw(env: Record<string, string> = {}): Promise<Setup> {
  const s3 = await makeBucket('faults')
  const proxy = await startFaultProxy(process.env.S3_ENDPOINT!, (req) => req.method === 'PUT')
  const app = await startDemo({ bucket: s3.bucket, endpoint: proxy.url }, env)
  return {
    app,
    proxy,
    pageUrl: app.url,
    openUploads: async () => (await openUploads(s3.client, s3.bucket)).length,
    stop: async () => {
      await app.stop()
      await proxy.close()
      await emptyBucket(s3.client, s3.bucket)
    },
  }
}

async function openPage(url: string, props: Record<string, unknown> = {}): Promise<Page> {
  const page = await browser.newPage()
  // tsx names the functions it compiles with a helper the page lacks.
  await page.addInitScript('globalThis.__name = (f) => f')
  await page.goto(url)
  await record(page)
  await page.evaluate((p) => Object.assign(document.querySelector('hoist-uploader')!, p), props)
  return page
}

/** Runs `fn` with a fresh setup, stopping it afterwards whatever happens. */
async function trial(setup: (env: Record<string, string>) => Promise<Setup>, env: Record<string, string>, fn: (s: Setup) => Promise<void>) {
  const s = await setup(env)
  try {
    await fn(s)
  } finally {
    await s.stop()
  }
}

const startUpload = (page: Page) => page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())

for (const [name, setup] of [['disk storage', onDisk], ['Ceph RGW', onRgw]] as const) {
  describe(`faults: the hoist transport on ${name}`, () => {
    it('10 % of PUTs fail (500, 503 SlowDown, reset, stall): every file completes intact, ≤ 1.2 × the bytes', async () => {
      await trial(setup, {}, async (s) => {
        const kinds: Fault[] = ['error500', 'slowDown', 'reset', 'stall']
        // About 35 PUTs in all: the 4th, 13th, 22nd and 31st fail, one of each kind.
        s.proxy.pick = (_req, n) => (n % 9 === 4 ? kinds[Math.floor(n / 9) % kinds.length] : undefined)
        const page = await openPage(s.pageUrl, { stallTimeout: 3000 })
        await setInputFiles(page, [...big, ...small].map((f) => f.path))
        const result = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
        assert.deepEqual(result.failed, [])
        assert.equal(result.successful.length, big.length + small.length)
        for (const f of [...big, ...small]) {
          const info = result.successful.find((i) => i.name === f.path.split('/').pop())!
          assert.equal(await storedSha(info), f.sha, `sha256 of ${info.name}`)
        }
        assert.deepEqual([...new Set(s.proxy.faults)].sort(), ['error500', 'reset', 'slowDown', 'stall'])
        const total = [...big, ...small].reduce((n, f) => n + f.size, 0)
        assert.ok(s.proxy.bytesIn <= 1.2 * total, `${s.proxy.bytesIn} bytes sent for ${total}`)
        assert.equal(await s.openUploads(), 0)
        await page.close()
      })
    })

    it('10 s offline mid-upload: resumes by itself and completes', async () => {
      await trial(setup, {}, async (s) => {
        const page = await openPage(s.pageUrl)
        await setInputFiles(page, [big[3].path])
        await startUpload(page)
        await page.waitForFunction(() => (window as unknown as { __events: { type: string; detail: { bytesUploaded: number } }[] }).__events.some((e) => e.type === 'upload-progress' && e.detail.bytesUploaded > 10 * 1024 * 1024))
        await page.context().setOffline(true)
        await new Promise((r) => setTimeout(r, 10_000))
        await page.context().setOffline(false)
        const [done] = await waitForEvents(page, 'all-complete', 1)
        assert.deepEqual(done.detail.failed, [])
        assert.equal(await storedSha(done.detail.successful[0]), big[3].sha)
        await page.close()
      })
    })

    it('a reload at half of a 64 MiB upload: after restore only the rest is sent (≤ 0.6 × the file)', async () => {
      await trial(setup, {}, async (s) => {
        // Each PUT is held 800 ms, so the reload lands mid-upload rather than after it on a fast loopback.
        s.proxy.pick = () => ({ holdMs: 800 })
        const page = await openPage(s.pageUrl, { restore: true })
        await page.evaluate(() => {
          const w = window as unknown as { __stateAt?: number }
          document.querySelector('hoist-uploader')!.uppy!.on('hoist:multipart-state', (_f, state) => void (state && (w.__stateAt = performance.now())))
        })
        await setInputFiles(page, [video.path])
        await startUpload(page)
        while (s.proxy.bytesStored < video.size / 2) await new Promise((r) => setTimeout(r, 50))
        // Golden Retriever writes its state at most every 500 ms; a reload sooner than that loses it.
        await page.waitForFunction(() => {
          const at = (window as unknown as { __stateAt?: number }).__stateAt
          return at !== undefined && performance.now() - at > 1000
        })
        s.proxy.pick = () => undefined
        await page.reload()
        const before = s.proxy.bytesIn
        await record(page)
        await page.evaluate(() => (document.querySelector('hoist-uploader')!.restore = true))
        // Too big for the browser's cache: the file comes back as a ghost that the user picks again.
        await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().some((f) => f.isGhost))
        // The user picks the file again (a file chooser outside the Dashboard, whose list is showing).
        await page.evaluate(() => {
          const input = Object.assign(document.createElement('input'), { type: 'file', id: 'again' })
          input.addEventListener('change', () => document.querySelector('hoist-uploader')!.addFiles(input.files!))
          document.body.append(input)
        })
        await page.locator('#again').setInputFiles([video.path])
        await page.waitForFunction(() => !document.querySelector('hoist-uploader')!.uppy!.getFiles().some((f) => f.isGhost))
        await page.locator('hoist-uploader .uppy-StatusBar-actionBtn--upload').click()
        const [done] = await waitForEvents(page, 'all-complete', 1, 120_000)
        assert.deepEqual(done.detail.failed, [])
        assert.equal(await storedSha(done.detail.successful[0]), video.sha)
        const after = s.proxy.bytesIn - before
        assert.ok(after <= 0.6 * video.size, `${after} bytes sent after the reload for a ${video.size}-byte file`)
        assert.equal(await s.openUploads(), 0)
        await page.close()
      })
    })

    it('a lying client (another upload\'s id, a key outside its prefix, a forged id, a size past the limit) is refused', async () => {
      await trial(setup, {}, async (s) => {
        const page = await openPage(s.pageUrl)
        const r = await page.evaluate(async () => {
          const call = async (method: string, path: string, body?: unknown) => {
            const res = await fetch(`/api/uploads${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
            return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code }
          }
          const create = async (filename: string) =>
            (await (await fetch('/api/uploads/s3/multipart', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename, type: 'application/octet-stream', metadata: { declaredSize: 6 << 20, partSize: 5 << 20 } }) })).json()) as { key: string; uploadId: string }
          const a = await create('a.bin')
          const b = await create('b.bin')
          const id = (u: string) => encodeURIComponent(u)
          const out = {
            stolen: await call('GET', `/s3/multipart/${id(a.uploadId)}/batch?key=${id(b.key)}&partNumbers=1`),
            outside: await call('POST', `/s3/multipart/${id(a.uploadId)}/complete?key=${id('elsewhere/a.bin')}`, { parts: [{ PartNumber: 1, ETag: 'x' }] }),
            forged: await call('GET', `/s3/multipart/${id(a.uploadId.slice(0, -2) + 'xx')}?key=${id(a.key)}`),
            tooBig: await call('GET', `/s3/params?filename=x.bin&type=application/octet-stream&method=PUT&metadata[declaredSize]=${3 * 1024 ** 3}`),
          }
          await call('DELETE', `/s3/multipart/${id(a.uploadId)}?key=${id(a.key)}`)
          await call('DELETE', `/s3/multipart/${id(b.uploadId)}?key=${id(b.key)}`)
          return out
        })
        assert.deepEqual(r, {
          stolen: { status: 403, code: 'invalid_upload_id' },
          outside: { status: 403, code: 'key_not_allowed' },
          forged: { status: 403, code: 'invalid_token' },
          tooBig: { status: 413, code: 'file_too_large' },
        })
        assert.equal(await s.openUploads(), 0)
        await page.close()
      })
    })

    it('URLs that expire in 3 s, a request held past that and one that stalls: re-signed, completes', async () => {
      await trial(setup, { HOIST_EXPIRES_IN: '3' }, async (s) => {
        s.proxy.pick = (_req, n) => (n === 2 ? { holdMs: 5000 } : n === 4 ? 'stall' : undefined)
        const page = await openPage(s.pageUrl, { stallTimeout: 8000 })
        await setInputFiles(page, [big[0].path])
        await startUpload(page)
        const [done] = await waitForEvents(page, 'all-complete', 1, 120_000)
        assert.deepEqual(done.detail.failed, [])
        assert.equal(await storedSha(done.detail.successful[0]), big[0].sha)
        assert.deepEqual(s.proxy.faults, ['hold 5000 ms', 'stall'])
        await page.close()
      })
    })
  })
}
