// Signing throughput on one core: the built CLI (`hoist-uploader serve`, S3 storage on Ceph RGW) pinned to
// core 0 with taskset, one multipart upload created, then part URLs signed as fast as the endpoint answers,
// (a) in batches, as Hoist's transport asks, and (b) one URL per request, as stock Uppy clients ask.
// The client runs as a script of its own (`node --import tsx bench/signing.ts URL…`) pinned to core 1, so
// its own work does not take the endpoint's core. Every run is bounded in time and in requests.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, spawnServer, type Running } from '../test/helpers/app.js'
import { emptyBucket, makeBucket } from '../test/helpers/s3.js'
import { usage } from './proc.js'

const MiB = 1024 * 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)

/** How one run asks: `batch` part numbers per request (1 is the one-URL route). */
export interface SigningMode {
  label: string
  batch: number
}

/** Hoist's transport signs 24 parts per call (its `signBatch` default); stock Uppy asks for one URL per call. */
export const SIGNING_MODES: SigningMode[] = [
  { label: 'batch route, 24 parts per request (Hoist\'s transport)', batch: 24 },
  { label: 'one URL per request (stock Uppy clients)', batch: 1 },
]

/** Requests in flight, the measured time, and the requests one run may make. */
export const SIGNING = {
  concurrency: 8,
  warmupMs: 500,
  measureMs: 5000,
  // The CLI's default rate limit is 2,000 requests a minute per client: each run gets a fresh instance
  // and stays under it, so no answer is a 429.
  maxRequests: 1800,
  // Declared so that every part number the client asks for exists: 1,000 parts of 5 MiB (under 5 GiB).
  parts: 1000,
  partSize: 5 * MiB,
}

export interface SigningRun {
  urls: number
  requests: number
  seconds: number
  /** CPU seconds the endpoint's process used over the measured time (utime + stime from /proc). */
  cpu: number
}

export interface SigningResult {
  mode: SigningMode
  runs: SigningRun[]
}

interface ClientArgs {
  url: string
  key: string
  uploadId: string
  batch: number
  concurrency: number
  warmupMs: number
  measureMs: number
  maxRequests: number
  parts: number
}

/** The client: signs for `warmupMs` unmeasured, then for `measureMs` (or until `maxRequests`), `concurrency` at a time. */
async function client(a: ClientArgs): Promise<{ urls: number; requests: number; seconds: number }> {
  const id = encodeURIComponent(a.uploadId)
  let next = 0
  const numbers = () => Array.from({ length: a.batch }, () => (next++ % a.parts) + 1)
  const ask = async () => {
    const n = numbers()
    const path = a.batch === 1 ? `${id}/${n[0]}?${new URLSearchParams({ key: a.key })}` : `${id}/batch?${new URLSearchParams({ key: a.key, partNumbers: n.join(',') })}`
    const r = await fetch(`${a.url}/s3/multipart/${path}`, { signal: AbortSignal.timeout(30_000) })
    const body = (await r.json()) as { url?: string; presignedUrls?: Record<string, string> }
    if (!r.ok) throw new Error(`signing answered ${r.status}: ${JSON.stringify(body)}`)
    const got = a.batch === 1 ? (body.url ? 1 : 0) : Object.keys(body.presignedUrls ?? {}).length
    if (got !== new Set(n).size) throw new Error(`asked for ${n.length} URLs, got ${got}`)
    return got
  }
  let requests = 0
  const loop = async (until: number, counted: { urls: number }) => {
    await Promise.all(
      Array.from({ length: a.concurrency }, async () => {
        while (performance.now() < until && requests < a.maxRequests) {
          requests++
          const got = await ask()
          counted.urls += got
        }
      }),
    )
  }
  await loop(performance.now() + a.warmupMs, { urls: 0 })
  // Tells the parent to read the endpoint's CPU time: the measured window starts now.
  process.stdout.write('measuring\n')
  const measured = { urls: 0 }
  const before = requests
  const t0 = performance.now()
  await loop(t0 + a.measureMs, measured)
  return { urls: measured.urls, requests: requests - before, seconds: (performance.now() - t0) / 1000 }
}

/** Runs the client in its own process on core 1; `mark()` is called as its measured window starts and ends. */
function runClient(args: ClientArgs, mark: () => void): Promise<{ urls: number; requests: number; seconds: number }> {
  const child = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  let lines = 0
  child.stdout.on('data', (d) => {
    out += d
    for (const n = out.split('\n').length - 1; lines < n; lines++) mark()
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1])) : reject(new Error(`the signing client exited with ${code}`))))
  })
}

/** The built CLI on core 0, with S3 storage in `bucket`. */
async function startPinned(bucket: string): Promise<Running> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'hoist-signing-'))
  const args = ['-c', '0', 'node', 'bin/hoist-uploader.js', 'serve', '--port', String(port), '--dir', dir]
  return spawnServer('taskset', args, { S3_BUCKET: bucket, S3_FORCE_PATH_STYLE: 'true' }, /Hoist upload server: /, dir, `http://127.0.0.1:${port}`)
}

async function once(bucket: string, mode: SigningMode): Promise<SigningRun> {
  const server = await startPinned(bucket)
  try {
    const declared = { declaredSize: SIGNING.parts * SIGNING.partSize, partSize: SIGNING.partSize }
    const r = await fetch(`${server.url}/s3/multipart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'signing.bin', type: 'application/octet-stream', metadata: declared }) })
    if (!r.ok) throw new Error(`create answered ${r.status}: ${await r.text()}`)
    const { key, uploadId } = (await r.json()) as { key: string; uploadId: string }
    const marks: number[] = []
    const run = await runClient({ url: server.url, key, uploadId, batch: mode.batch, ...SIGNING }, () => marks.push(usage(server.pid)?.cpu ?? NaN))
    const aborted = await fetch(`${server.url}/s3/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`, { method: 'DELETE' })
    if (!aborted.ok) throw new Error(`abort answered ${aborted.status}`)
    return { ...run, cpu: marks[1] - marks[0] }
  } finally {
    await server.stop()
  }
}

/** RUNS rounds, the modes interleaved, each run on a fresh instance. */
export async function signingThroughput(): Promise<SigningResult[]> {
  const s3 = await makeBucket('bench-signing')
  const results = SIGNING_MODES.map((mode) => ({ mode, runs: [] as SigningRun[] }))
  try {
    for (let round = 0; round < RUNS; round++) {
      for (const r of results) {
        const run = await once(s3.bucket, r.mode)
        r.runs.push(run)
        console.error(`  signing, ${r.mode.label} #${round + 1}: ${(run.urls / run.seconds).toFixed(0)} URLs/s (${run.requests} requests in ${run.seconds.toFixed(1)} s)`)
      }
    }
  } finally {
    await emptyBucket(s3.client, s3.bucket)
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  console.log(JSON.stringify(await client(JSON.parse(process.argv[2]) as ClientArgs)))
}
