// Load and failure: many uploaders at once against two `hoist-uploader serve` instances (the built CLI,
// S3 storage on Ceph RGW, one HOIST_SECRET) behind a round-robin proxy, one of them SIGKILLed mid-run.
// Node clients speak the endpoint's protocol (test/helpers/client.ts); a few Chromium pages upload with
// the element. Every file must be stored byte-identical, with no error but ones that were retried.
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { TransportError } from '../src/transport/errors.js'
import { defaultRetry, withRetries } from '../src/transport/retry.js'
import { cdnBuild, type Running, type Site, startCli, startSite } from '../test/helpers/app.js'
import { completeUpload, endpointClient, type Step, uploadParts, uploadSingle } from '../test/helpers/client.js'
import { sha256, testBytes, writeTestFile } from '../test/helpers/page.js'
import { emptyBucket, makeBucket, objectSha, openUploads } from '../test/helpers/s3.js'
import { LOAD, type LoadResult, PAGE_RATE } from './load-report.js'
import { forkProxy } from './proxy.js'
import { usage } from './proc.js'

const KiB = 1024
const MiB = 1024 * KiB

interface Planned {
  name: string
  size: number
  seed: number
  sha: string
}

/** Samples the instances' memory and CPU every 250 ms (and on `sample()`); a dead one keeps its last figures. */
function meter(servers: Running[]) {
  const start = servers.map((s) => usage(s.pid) ?? { rss: 0, peak: 0, cpu: 0 })
  const last = start.map((u) => ({ ...u }))
  const sample = () =>
    servers.forEach((s, i) => {
      const u = usage(s.pid)
      if (u) last[i] = { ...u, peak: Math.max(last[i].peak, u.peak) }
    })
  const timer = setInterval(sample, 250)
  return { start, last, sample, stop: () => clearInterval(timer) }
}

/** The Node clients' files, the same every run: small ones of 4–256 KiB, big ones of 11–21 MiB (3 to 5 parts). */
function plan(): Planned[] {
  let x = 0x9e3779b9
  const next = () => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32
  const file = (name: string, size: number, seed: number) => ({ name, size, seed, sha: sha256(testBytes(size, seed)) })
  const small = Array.from({ length: LOAD.small }, (_, i) => file(`small-${i}.bin`, Math.round(4 * KiB + next() * 252 * KiB), i))
  const big = Array.from({ length: LOAD.big }, (_, i) => file(`big-${i}.bin`, Math.round(11 * MiB + next() * 10 * MiB), 10_000 + i))
  // Big files spread through the run, so the kill finds some of them mid-upload.
  const every = LOAD.small / LOAD.big
  return small.flatMap((f, i) => (i % every === 0 ? [big[i / every], f] : [f]))
}

/** The pages' files, written to `dir` for the file input: small ones and one 12 MiB file each. */
function pagePlan(dir: string) {
  return Array.from({ length: LOAD.pages }, (_, p) =>
    [...Array.from({ length: LOAD.pageSmall }, (_, i) => ({ name: `page${p}-small-${i}.bin`, size: 64 * KiB + i * 20 * KiB })), { name: `page${p}-big.bin`, size: 12 * MiB }].map((f, i) => {
      const path = join(dir, f.name)
      return { ...f, path, sha: writeTestFile(path, f.size, 20_000 + p * 100 + i) }
    }),
  )
}

export async function runLoad(browser: Browser, dir: string): Promise<LoadResult> {
  const s3 = await makeBucket('bench-load')
  const servers: Running[] = []
  let proxy: Awaited<ReturnType<typeof forkProxy>> | undefined
  let site: Site | undefined
  let usageMeter: ReturnType<typeof meter> | undefined
  try {
    const env = { HOIST_SECRET: randomBytes(32).toString('base64url') }
    for (let i = 0; i < 2; i++) servers.push(await startCli([], { bucket: s3.bucket }, { env }))
    proxy = await forkProxy(servers.map((s) => s.url))
    site = await startSite(`<!doctype html><meta charset="utf-8"><script type="module" src="/hoist-uploader.js"></script><hoist-uploader endpoint="${proxy.url}"></hoist-uploader>`, cdnBuild)
    const endpoint = proxy.url
    const siteUrl = site.url
    const queue = plan()
    const pageFiles = pagePlan(dir)
    const total = queue.length
    const bytes = [...queue, ...pageFiles.flat()].reduce((n, f) => n + f.size, 0)
    const m = (usageMeter = meter(servers))
    const deadline = AbortSignal.timeout(LOAD.timeCapMs)
    // Every request waiting to retry listens to it.
    setMaxListeners(LOAD.clients * 8, deadline)

    const signMs: number[] = []
    const retries: Record<string, number> = {}
    const errors: string[] = []
    const stored: { key: string; sha: string; name: string }[] = []
    let finished = 0
    const loadBefore = loadavg()[0]
    const t0 = performance.now()

    // The pages start once a quarter of the Node clients' files are in; the kill comes as soon as every
    // page is moving bytes (its 12 MiB file, throttled, is then seconds from done).
    const pageMoving = pageFiles.map(() => false)
    const pageUploading = pageFiles.map(() => false)
    let quarterIn = () => {}
    const quarter = new Promise<void>((r) => (quarterIn = r))
    let killed: Promise<void> | undefined
    let killedAt = { seconds: 0, files: 0, pagesUploading: 0 }
    const maybeKill = () => {
      if (finished >= total / 4) quarterIn()
      if (killed || finished < total / 4 || !pageMoving.every(Boolean)) return
      m.sample()
      killedAt = { seconds: (performance.now() - t0) / 1000, files: stored.length, pagesUploading: pageUploading.filter(Boolean).length }
      killed = servers[0].kill()
    }

    const step: Step = (kind, run) =>
      withRetries(
        async () => {
          const started = performance.now()
          const value = await run()
          if (kind === 'sign') signMs.push(performance.now() - started)
          return value
        },
        defaultRetry,
        deadline,
        (err: TransportError) => {
          const why = `${kind}: ${err.code}${err.status ? ` (${err.status})` : ''}`
          retries[why] = (retries[why] ?? 0) + 1
        },
      )

    async function client() {
      const b = endpointClient(endpoint)
      for (let f = queue.shift(); f && !deadline.aborted; f = queue.shift()) {
        const data = testBytes(f.size, f.seed)
        try {
          const key =
            f.size < LOAD.partSize
              ? await uploadSingle(b, f.name, data, step)
              : await uploadParts(b, f.name, data, LOAD.partSize, step).then(async (u) => (await completeUpload(b, u, data.length, step), u.key))
          stored.push({ key, name: f.name, sha: f.sha })
        } catch (err) {
          errors.push(`${f.name}: ${err instanceof TransportError ? `${err.code} ${err.message}` : String(err)}`)
        }
        finished++
        maybeKill()
      }
    }

    /** One page with the element uploads `files`; resolves with the failed requests and 5xx answers it saw. */
    async function inPage(files: ReturnType<typeof pagePlan>[number], p: number): Promise<number> {
      const tab = await browser.newPage()
      let failures = 0
      tab.on('requestfailed', () => failures++)
      tab.on('response', (r) => void (r.status() >= 500 || r.status() === 429 ? failures++ : 0))
      try {
        await tab.addInitScript('globalThis.__name = (f) => f')
        await tab.exposeFunction('__moving', () => {
          pageMoving[p] = true
          maybeKill()
        })
        await tab.goto(siteUrl)
        await tab.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
        await tab.evaluate(() => {
          const el = document.querySelector('hoist-uploader')!
          const moving = (e: CustomEvent<{ bytesUploaded: number }>) => {
            if (e.detail.bytesUploaded === 0) return
            el.removeEventListener('upload-progress', moving)
            void (window as unknown as { __moving: () => Promise<void> }).__moving()
          }
          el.addEventListener('upload-progress', moving)
        })
        const cdp = await tab.context().newCDPSession(tab)
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: PAGE_RATE })
        await tab.locator('hoist-uploader input[type=file]').first().setInputFiles(files.map((f) => f.path))
        await quarter
        pageUploading[p] = true
        const result = await tab.evaluate(async () => {
          const r = await document.querySelector('hoist-uploader')!.upload()
          return { ok: r.successful.map((f) => ({ name: f.name, key: f.key })), failed: r.failed.map((f) => `${f.file.name}: ${f.error.code} ${f.error.message}`) }
        })
        pageUploading[p] = false
        errors.push(...result.failed)
        for (const f of result.ok) stored.push({ key: f.key, name: f.name, sha: files.find((x) => x.name === f.name)!.sha })
        return failures
      } finally {
        await tab.close()
      }
    }

    const capped = new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(new Error(`the load run did not finish within ${LOAD.timeCapMs / 1000} s`))))
    const work = Promise.all([Promise.all(Array.from({ length: LOAD.clients }, client)), Promise.all(pageFiles.map(inPage))])
    const [, pageFailures] = await Promise.race([work, capped])
    const seconds = (performance.now() - t0) / 1000
    if (!killed) errors.push('the run ended before the instance was killed')
    await killed
    m.sample()

    const mismatched: string[] = []
    const check = [...stored]
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let s = check.shift(); s; s = check.shift()) if ((await objectSha(s3.client, s3.bucket, s.key)) !== s.sha) mismatched.push(s.name)
      }),
    )
    const missing = total + pageFiles.flat().length - stored.length - errors.length
    if (missing > 0) errors.push(`${missing} files neither stored nor failed`)
    return {
      files: stored.length,
      pageFiles: pageFiles.flat().length,
      bytes,
      seconds,
      killedAt,
      signMs,
      retries,
      pageFailures: pageFailures.reduce((a, b) => a + b, 0),
      proxy: await proxy.stats(),
      rssStart: m.start.map((u) => u.rss),
      rssPeak: m.last.map((u) => u.peak),
      cpuSeconds: m.last.map((u, i) => u.cpu - m.start[i].cpu),
      errors,
      mismatched,
      leftOpen: (await openUploads(s3.client, s3.bucket)).length,
      load: [loadBefore, loadavg()[0]],
    }
  } finally {
    usageMeter?.stop()
    site?.close()
    await proxy?.close()
    await Promise.all(servers.map((s) => s.stop()))
    await emptyBucket(s3.client, s3.bucket)
  }
}
