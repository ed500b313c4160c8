// Fault injection, end to end: the element's default transport in Chromium, through a fault proxy in
// front of storage (disk storage behind the demo, and Ceph RGW), plus going offline. Reloads: resume.test.ts.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { Fault } from '../helpers/fault-proxy.js'
import { setInputFiles, storedSha, waitForEvents, writeTestFile } from '../helpers/page.js'
import { chromiumFor, openPage as open, STORAGES, trial } from '../helpers/setups.js'

const MiB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'hoist-faults-'))
const file = (name: string, size: number, seed: number) => ({ path: join(dir, name), size, sha: writeTestFile(join(dir, name), size, seed) })
const big = [file('a-23MiB.bin', 23 * MiB, 1), file('b-23MiB.bin', 23 * MiB, 2), file('c-23MiB.bin', 23 * MiB, 3), file('d-48MiB.bin', 48 * MiB, 4)]
const small = Array.from({ length: 6 }, (_, i) => file(`small-${i}.txt`, 80_000 + i, 10 + i))

const chromium = chromiumFor(dir)

const startUpload = (page: Page) => page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())

const openPage = (url: string, props: Record<string, unknown> = {}) => open(chromium.browser, url, props)

for (const [name, setup] of STORAGES) {
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
