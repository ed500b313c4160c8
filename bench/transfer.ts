// Upload throughput in real Chromium to Ceph RGW: the `hoist` transport vs stock `@uppy/aws-s3`
// (transport="uppy-aws-s3") vs the raw ceiling (the same browser PUTting the same bytes to presigned
// URLs, 6 at a time, no widget, signing done beforehand). Runs are interleaved; medians of BENCH_RUNS.
// Also: endpoint requests per GiB, JS heap growth while uploading 2 GiB, and the longest main-thread
// task while adding 1,000 files. bench/wan.ts runs the same over an emulated far link.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type Running } from '../test/helpers/app.js'
import { launchChromium } from '../test/helpers/browser.js'
import { isEndpointCall, writeTestFile } from '../test/helpers/page.js'
import { emptyBucket, makeBucket } from '../test/helpers/s3.js'

export type Mode = 'hoist' | 'uppy-aws-s3' | 'raw'
export const MODES: Mode[] = ['hoist', 'uppy-aws-s3', 'raw']
const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)

export interface Scenario {
  name: string
  files: { path: string; size: number }[]
}

export function makeScenario(dir: string, name: string, count: number, size: number): Scenario {
  const files = Array.from({ length: count }, (_, i) => {
    const path = join(dir, `${name.replace(/\W+/g, '-')}-${i}.bin`)
    writeTestFile(path, size, i + 1)
    return { path, size }
  })
  return { name, files }
}

export interface Run {
  seconds: number
  requests: number
  /** Main-thread task time of the page over the run (CDP Performance.getMetrics TaskDuration), in seconds. */
  mainThread?: number
}

/** The demo in a fresh page, once the widget is ready; `requests()` counts its endpoint calls. */
export async function openPage(browser: Browser, app: Running): Promise<{ page: Page; requests: () => number }> {
  const page = await browser.newPage()
  await page.addInitScript('globalThis.__name = (f) => f')
  let requests = 0
  page.on('request', (r) => {
    if (isEndpointCall(r)) requests++
  })
  await page.goto(app.url, { timeout: 120_000 })
  // Over the 100 ms link the demo's dev server sends each of its modules in a round trip or more.
  await page.waitForFunction(() => document.querySelector('hoist-uploader')?.uppy, undefined, { timeout: 120_000 })
  return { page, requests: () => requests }
}

/** Presigns every PUT of a scenario through the endpoint, as the widget would, before the clock starts. */
async function presign(app: Running, s: Scenario) {
  const api = `${app.url}/api/uploads`
  const plans: { urls: string[]; partSize: number; headers: Record<string, string>; done: (etags: string[]) => Promise<void> }[] = []
  for (const f of s.files) {
    const name = f.path.split('/').pop()!
    if (f.size <= 5 * MiB) {
      const q = new URLSearchParams({ filename: name, type: 'application/octet-stream', method: 'PUT', 'metadata[declaredSize]': String(f.size) })
      const p = await (await fetch(`${api}/s3/params?${q}`)).json()
      plans.push({ urls: [p.url], partSize: f.size, headers: p.headers, done: async () => {} })
    } else {
      const partSize = 5 * MiB
      const created = await (await fetch(`${api}/s3/multipart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: name, type: 'application/octet-stream', metadata: { declaredSize: f.size, partSize } }) })).json()
      const count = Math.ceil(f.size / partSize)
      const numbers = Array.from({ length: count }, (_, i) => i + 1)
      const id = encodeURIComponent(created.uploadId)
      const signed = await (await fetch(`${api}/s3/multipart/${id}/batch?${new URLSearchParams({ key: created.key, partNumbers: numbers.join(',') })}`)).json()
      plans.push({
        urls: numbers.map((n) => signed.presignedUrls[n]),
        partSize,
        headers: {},
        done: async (etags) => {
          const parts = etags.map((ETag, i) => ({ PartNumber: i + 1, ETag }))
          const r = await fetch(`${api}/s3/multipart/${id}/complete?${new URLSearchParams({ key: created.key })}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts }) })
          if (!r.ok) throw new Error(`raw complete failed: ${r.status} ${await r.text()}`)
        },
      })
    }
  }
  return plans
}

async function runRaw(page: Page, app: Running, s: Scenario): Promise<Run> {
  const plans = await presign(app, s)
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'raw' })
    document.body.append(input)
  })
  await page.locator('#raw').setInputFiles(s.files.map((f) => f.path))
  const out = await page.evaluate(
    async ({ plans, concurrency }) => {
      const files = (document.getElementById('raw') as HTMLInputElement).files!
      const tasks = plans.flatMap((p, fi) => p.urls.map((url, i) => ({ fi, i, url, headers: p.headers, body: files[fi].slice(i * p.partSize, (i + 1) * p.partSize) })))
      const etags = plans.map((p) => p.urls.map(() => ''))
      const t0 = performance.now()
      let next = 0
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < tasks.length) {
            const t = tasks[next++]
            const r = await fetch(t.url, { method: 'PUT', body: t.body, headers: t.headers })
            if (!r.ok) throw new Error(`raw PUT ${r.status}`)
            etags[t.fi][t.i] = (r.headers.get('etag') ?? '').replace(/"/g, '')
          }
        }),
      )
      return { ms: performance.now() - t0, etags }
    },
    { plans: plans.map((p) => ({ urls: p.urls, partSize: p.partSize, headers: p.headers })), concurrency: 6 },
  )
  for (const [i, p] of plans.entries()) await p.done(out.etags[i])
  return { seconds: out.ms / 1000, requests: 0 }
}

async function runWidget(page: Page, requests: () => number, transport: Mode, s: Scenario): Promise<Run> {
  await page.evaluate((t) => (document.querySelector('hoist-uploader')!.transport = t as 'hoist'), transport)
  await page.locator('hoist-uploader input[type=file]').first().setInputFiles(s.files.map((f) => f.path))
  const before = requests()
  const out = await page.evaluate(async () => {
    const t0 = performance.now()
    const r = await document.querySelector('hoist-uploader')!.upload()
    return { ms: performance.now() - t0, failed: r.failed.length, ok: r.successful.length, why: r.failed.map((f) => JSON.stringify((f as { error?: unknown }).error)).join('; ') }
  })
  if (out.failed > 0 || out.ok !== s.files.length) throw new Error(`${transport}: ${out.failed} failed (${out.why}), ${out.ok} of ${s.files.length} stored`)
  return { seconds: out.ms / 1000, requests: requests() - before }
}

/** One measured upload of a scenario in a fresh page. */
export async function measureOnce(browser: Browser, app: Running, mode: Mode, s: Scenario): Promise<Run> {
  const { page, requests } = await openPage(browser, app)
  try {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const taskTime = async () => ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0)
    const before = await taskTime()
    const run = mode === 'raw' ? await runRaw(page, app, s) : await runWidget(page, requests, mode, s)
    // Includes the setup around the timed part (choosing files, signing for the ceiling), for every mode alike.
    return { ...run, mainThread: (await taskTime()) - before }
  } finally {
    await page.close()
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const bytesOf = (s: Scenario) => s.files.reduce((n, f) => n + f.size, 0)

export interface ScenarioResult {
  scenario: string
  bytes: number
  runs: Record<Mode, Run[]>
}

/** Interleaves the modes, RUNS rounds, emptying the bucket between runs. */
export async function compare(browser: Browser, app: Running, s: Scenario, modes: Mode[], cleanup: () => Promise<void>): Promise<ScenarioResult> {
  const runs = Object.fromEntries(modes.map((m) => [m, [] as Run[]])) as Record<Mode, Run[]>
  for (let round = 0; round < RUNS; round++) {
    for (const mode of modes) {
      const run = await measureOnce(browser, app, mode, s)
      runs[mode].push(run)
      console.error(`  ${s.name} ${mode} #${round + 1}: ${(bytesOf(s) / run.seconds / 1e6).toFixed(1)} MB/s, ${run.requests} endpoint requests`)
      await cleanup()
    }
  }
  return { scenario: s.name, bytes: bytesOf(s), runs }
}

export const mbps = (r: ScenarioResult, m: Mode) => r.bytes / median(r.runs[m].map((x) => x.seconds)) / 1e6

export async function withRgw<T>(fn: (app: Running, cleanup: () => Promise<void>) => Promise<T>): Promise<T> {
  const s3 = await makeBucket('bench')
  // One user's runs back to back: the default rate limit (2,000 calls a minute) would shape the figures.
  const app = await startDemo({ bucket: s3.bucket }, { HOIST_RATE_LIMIT: 'off' })
  try {
    return await fn(app, () => emptyBucket(s3.client, s3.bucket))
  } finally {
    await app.stop()
    await emptyBucket(s3.client, s3.bucket)
  }
}

export { launchChromium, mkdtempSync, rmSync, tmpdir, join }
