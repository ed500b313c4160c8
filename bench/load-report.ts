// What the load and failure run (bench/load.ts) measured, its bar, and its section of bench/RESULTS.md.
import { cpus } from 'node:os'
import type { ProxyStats } from './proxy.js'

const MiB = 1024 * 1024
/** A fixed amount of work, and a time cap on all of it. */
export const LOAD = { clients: 24, small: 480, big: 24, pages: 3, pageSmall: 8, timeCapMs: 240_000, partSize: 5 * MiB }
/** The pages' upload rate (Chromium's own throttling): their 12 MiB file then takes at least 12 s, so the kill finds it mid-upload. */
export const PAGE_RATE = 1 * MiB
/** Bound on each instance's peak resident memory. */
export const RSS_LIMIT = 256 * MiB
/** From a CPU profile (--cpu-prof) of one instance signing 2,000 PUTs, 8 at a time, in a side run. */
const PROFILE =
  "What an answer costs an instance is in the CPU rows; in a side run's CPU profile of one instance signing 2,000 PUTs, 8 at a time, about 40 % of its CPU went to the AWS SDK's presigning pipeline (`@smithy/core` middleware, `getSignedUrl`, SigV4), which costs about 2 ms of CPU per URL on this machine."

export interface LoadResult {
  files: number
  pageFiles: number
  bytes: number
  seconds: number
  /** When the first instance was killed: seconds into the run, files stored by then, pages still uploading. */
  killedAt: { seconds: number; files: number; pagesUploading: number }
  /** Latency of each signing call the Node clients made (params, create, batch), ms, as they saw it (their own queueing included). */
  signMs: number[]
  /** Retries the Node clients made, by what was retried and why. */
  retries: Record<string, number>
  /** Failed requests and 5xx/429 answers the pages saw (their transport retried them). */
  pageFailures: number
  proxy: ProxyStats
  rssStart: number[]
  rssPeak: number[]
  /** CPU seconds each instance used during the run (the killed one until its end). */
  cpuSeconds: number[]
  /** Files that failed for good, and files whose stored bytes differ. */
  errors: string[]
  mismatched: string[]
  /** Multipart uploads left open in the bucket (a create whose answer was lost with the killed instance). */
  leftOpen: number
  /** The machine's 1-minute load average before and after: others' work shares its cores. */
  load: [number, number]
}

/** Whether the run met its bar: every file stored and byte-identical, no error but retried ones, memory within bounds. */
export const loadPassed = (r: LoadResult) => r.errors.length === 0 && r.mismatched.length === 0 && r.rssPeak.every((p) => p < RSS_LIMIT)

const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN

export function loadReport(r: LoadResult, written: string): string {
  const mb = (n: number) => `${(n / MiB).toFixed(0)} MiB`
  const ms = (xs: number[]) => `${percentile(xs, 0.5).toFixed(1)} / ${percentile(xs, 0.99).toFixed(1)} ms over ${xs.length} calls`
  const retried = Object.entries(r.retries).map(([why, n]) => `${n} × ${why}`).join(', ') || 'none'
  const latency = { sign: 'Signing', complete: 'Complete and finish', read: 'Read-back (`GET /object`)' } as const
  const rows = [
    ['Files stored, byte-identical (sha256 of what RGW holds)', `${r.files - r.mismatched.length} of ${LOAD.small + LOAD.big + r.pageFiles}${r.mismatched.length ? ` (**${r.mismatched.length} differ**)` : ''}`],
    ['Errors other than retried ones', r.errors.length ? `**${r.errors.length}**: ${r.errors.slice(0, 5).join('; ')}` : '0'],
    ['Files per second', (r.files / r.seconds).toFixed(1)],
    ['Throughput', `${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s (${mb(r.bytes)} in ${r.seconds.toFixed(1)} s)`],
    ...Object.entries(latency)
      .filter(([route]) => r.proxy.latency[route as keyof typeof latency].length > 0)
      .map(([route, name]) => [`${name} latency at the proxy, p50 / p99`, ms(r.proxy.latency[route as keyof typeof latency])]),
    ['Signing latency at the Node clients, p50 / p99 (their own queueing included)', ms(r.signMs)],
    ['Instance killed (SIGKILL)', `at ${r.killedAt.seconds.toFixed(1)} s, ${r.killedAt.files} files in, ${r.killedAt.pagesUploading} of ${LOAD.pages} pages uploading`],
    ["Node clients' retries", retried],
    ["Pages' failed requests and 5xx answers (retried by the transport)", String(r.pageFailures)],
    ['Proxy: answered per instance / rerouted from the dead one / 502 for requests lost with it', `${r.proxy.answered.join(' + ')} / ${r.proxy.rerouted} / ${r.proxy.badGateway}`],
    ...r.rssPeak.map((peak, i) => [`Instance ${i + 1}${i === 0 ? ' (killed)' : ''}: resident memory at start → peak`, `${mb(r.rssStart[i])} → ${mb(peak)} (bound ${mb(RSS_LIMIT)}: ${peak < RSS_LIMIT ? 'met' : '**missed**'})`]),
    ...r.cpuSeconds.map((c, i) => [`Instance ${i + 1}: CPU time over the run`, `${c.toFixed(1)} s for ${r.proxy.answered[i]} answers (${((c * 1000) / Math.max(1, r.proxy.answered[i])).toFixed(1)} ms each)`]),
    ['Multipart uploads left open (creates whose answer died with the instance)', `${r.leftOpen} (removed by \`hoist-uploader sweep\` or a lifecycle rule)`],
  ]
  return `## Load and failure (two instances behind a proxy, one killed)

Written ${written}. ${LOAD.clients} Node clients speaking the endpoint's protocol upload ${LOAD.small} files of 4–256 KiB
(\`GET /s3/params?method=PUT\`, the PUT, \`POST /finish\`) and ${LOAD.big} of 11–21 MiB (\`POST /s3/multipart\` signing part 1,
one batch for the rest, 5 MiB PUTs, complete), while ${LOAD.pages} Chromium pages with the element (CDN build) upload
${LOAD.pageSmall} small files and one 12 MiB file each. All go through a round-robin proxy to two \`hoist-uploader serve\`
instances (the built CLI, S3 storage on Ceph RGW, one \`HOIST_SECRET\`). The pages start once a quarter of the Node clients' files
are in, throttled to ${PAGE_RATE / MiB} MiB/s each; as soon as every page is sending bytes, the first instance is SIGKILLed and the rest
of the run goes to the second. Retries follow the transport's policy (backoff with jitter).
The run is ${LOAD.small + LOAD.big + r.pageFiles} files, capped at ${LOAD.timeCapMs / 1000} s. Latencies are wall time on a machine shared with other work (its 1-minute
load average was ${r.load[0].toFixed(1)} before and ${r.load[1].toFixed(1)} after, on ${cpus().length} cores): most of a call's time is spent waiting for a core and
behind the other calls on the instance's one thread. ${PROFILE}

| Measure | Value |
| --- | --- |
${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}
`
}
