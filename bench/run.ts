// `npm run bench`: bundle size, then transfer benchmarks in Chromium against a throwaway Ceph RGW.
// Writes bench/RESULTS.md. BENCH_RUNS (default 3) sets the rounds; the far-link runs (bench/wan.ts) need
// root; BENCH_WAN=0 leaves them out and BENCH_WAN_MIB (default 1024) sets their big file's size. BENCH_TRANSFER=0
// leaves out the loopback transfer, heap, 1,000-file and resume-check (bench/verify.ts) runs; BENCH_SCALING=0
// the 100 / 300 / 1,000-file runs (bench/scaling.ts); BENCH_SIGNING=0 the signing throughput on one core
// (bench/signing.ts); BENCH_LOAD=0 the load and failure run (bench/load.ts); BENCH_PREPARE=0 the photo
// preparation run (bench/prepare.ts). A section left out keeps what
// RESULTS.md said before, its rows in the Targets table included. Each section's wall time goes to stderr.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type Running } from '../test/helpers/app.js'
import { launchChromium } from '../test/helpers/browser.js'
import { writeTestFile } from '../test/helpers/page.js'
import { measure, report } from './size.mjs'
import { compare, makeScenario, mbps, median, MODES, openPage, type ScenarioResult, withRgw } from './transfer.js'
import { hostedUpscayl } from './hosted.js'
import type { Browser } from 'playwright-core'
import { LINKS, overLink, SMALL_FILES_LINK } from './wan.js'
import { scaling, scalingFigures, scalingScenarios, type ScalingRow } from './scaling.js'
import { SIGNING, signingThroughput, type SigningResult } from './signing.js'
import { runLoad } from './load.js'
import { loadPassed, loadReport } from './load-report.js'
import { verifyCost, verifySection } from './verify.js'
import { prepareCost, prepareSection } from './prepare.js'

const MiB = 1024 * 1024
const root = new URL('..', import.meta.url).pathname
const log = (s: string) => console.error(s)

async function startRgw(): Promise<() => void> {
  if (process.env.S3_ENDPOINT) return () => {}
  const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-rgw-'))
  const env = { ...process.env, MON_PORT: String(await freePort()), MEMSTORE_BYTES: String(8 * 1024 ** 3) }
  const r = spawnSync('bash', [join(root, 'scripts/rgw.sh'), 'start', dir, String(await freePort())], { encoding: 'utf8', env })
  if (r.status !== 0) throw new Error(`Ceph RGW did not start:\n${r.stderr}`)
  for (const line of r.stdout.trim().split('\n')) {
    const [k, v] = line.split(/=(.*)/s)
    process.env[k] = v
  }
  process.env.S3_FORCE_PATH_STYLE = 'true'
  return () => spawnSync('bash', [join(root, 'scripts/rgw.sh'), 'stop', dir])
}

/** JS heap growth (CDP Runtime.getHeapUsage, sampled every 250 ms) while uploading one file of `size`. */
async function heapGrowth(browser: Browser, app: Running, path: string): Promise<{ baseline: number; peak: number }> {
  const { page } = await openPage(browser, app)
  try {
    await page.locator('hoist-uploader input[type=file]').first().setInputFiles([path])
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('HeapProfiler.collectGarbage')
    const used = async () => ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize
    const baseline = await used()
    let peak = baseline
    let done = false
    const finished = page.evaluate(() => document.querySelector('hoist-uploader')!.upload()).finally(() => (done = true))
    while (!done) {
      peak = Math.max(peak, await used())
      await new Promise((r) => setTimeout(r, 250))
    }
    const result = await finished
    if (result.failed.length) throw new Error('the 2 GiB upload failed')
    return { baseline, peak }
  } finally {
    await page.close()
  }
}

/** The longest main-thread task (PerformanceObserver longtask) while 1,000 files are added at once. */
async function addThousand(browser: Browser, app: Running): Promise<{ longest: number; totalMs: number }> {
  const { page } = await openPage(browser, app)
  try {
    return await page.evaluate(async () => {
      const tasks: number[] = []
      new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration))).observe({ type: 'longtask' })
      // The files are made in a task of their own: making 1,000 Blobs is the test's cost, not the widget's.
      const files = Array.from({ length: 1000 }, (_, i) => new File([`file ${i}`.padEnd(1024, '.')], `note-${i}.txt`, { type: 'text/plain' }))
      await new Promise((r) => setTimeout(r, 500))
      tasks.length = 0
      const t0 = performance.now()
      await document.querySelector('hoist-uploader')!.addFiles(files)
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))
      const totalMs = performance.now() - t0
      if (document.querySelector('hoist-uploader')!.uppy!.getFiles().length !== 1000) throw new Error('not all 1,000 files were added')
      await new Promise((r) => setTimeout(r, 1500))
      return { longest: Math.max(0, ...tasks), totalMs }
    })
  } finally {
    await page.close()
  }
}

/** Why a target can be missed, from profiling the runs (written where a run misses it). */
const WHY = {
  loopback:
    "The ceiling runs no UI, does its signing before the clock starts and makes no finish call. Inside the widget's timing the endpoint plans every file (one call for up to 100) and checks each stored file at the finish call (a HEAD of every object on storage, and a read URL), on the same two cores as the browser and RGW; the widget's page also runs Uppy's state updates and the Dashboard's renders (at most five a second while uploading). The main-thread line under the transfer table gives both pages' time. Side runs before this table: batching plans and finishes took 200 × 64 KiB from 0.26 of the ceiling to 0.52–0.58 under the same load, and pacing the renders with no eased progress cut the 256 MiB page's main-thread time from about 0.75 s to 0.55 s.",
  link: 'Every part pays a CORS preflight (the URL, and so the preflight cache key, differs per part) and then its response\'s round trip, during which its connection sends nothing. Six connections hide these gaps only while they are out of step: the first wave is staggered for that, but equal parts drift back into step, and runs vary (hoist\'s runs of one file have ranged by a fifth on this link with the same code). The start (create) and the end (the last parts, then complete) cost round trips too. Link capacity counts IP and TCP headers: payload tops out near 0.96 of it, and the raw ceiling over the same link reaches about 0.92.',
  mainThread: "The ceiling page has no UI. The widget's page runs Uppy's state updates and the Dashboard's renders (paced to five a second while uploading, with no eased progress or spinner between them), the element's events and the demo page's event log, and starts each part's request from a progress-reporting XHR. In CPU profiles of side runs the page's own JavaScript was about a fifth of its main-thread time; the rest was the browser's own work for the requests and the renders.",
  thousand: 'Uppy\'s addFiles copies its file list once per file added, so its cost grows with the square of the count; files go in 100 per task to keep each task short.',
}

function target(name: string, value: number, goal: number, why: string, kind: 'at least' | 'at most' | 'under' = 'at least') {
  const met = kind === 'at least' ? value >= goal : kind === 'at most' ? value <= goal : value < goal
  const fmt = (x: number) => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(goal < 1 ? 3 : 2))
  const short = fmt(Math.abs(goal - value)) + (kind === 'at least' && goal <= 1 ? ` (${((1 - value / goal) * 100).toFixed(0)} %)` : '')
  return { name, met, why, short, row: `| ${name} | ${fmt(value)} | ${kind} ${fmt(goal)} | ${met ? 'met' : '**missed**'} |` }
}

const resultsFile = new URL('RESULTS.md', import.meta.url)

/** The `## ` sections of the current RESULTS.md whose headings start with one of `names`, for sections this run leaves out. */
function kept(...names: string[]): string {
  const old = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : ''
  const sections = old.split(/^(?=## )/m).filter((s) => names.some((n) => s.startsWith(`## ${n}`)))
  return sections.length ? sections.map((s) => s.trimEnd()).join('\n\n') + '\n' : `## ${names[0]}\n\nNot run yet.\n`
}

type Target = ReturnType<typeof target>
/** The sections with rows in the Targets table, in the table's order. */
const TARGET_SECTIONS = ['size', 'transfer', 'wan', 'scaling'] as const
type TargetSection = (typeof TARGET_SECTIONS)[number]
/** Which section an earlier Targets row came from, by its name. */
const sectionOf = (name: string): TargetSection => (/^\d+ ms RTT/.test(name) ? 'wan' : name.startsWith('per-file cost') ? 'scaling' : name.startsWith('script-tag') ? 'size' : 'transfer')
const cellOf = (row: string) => row.split('|')[1].trim()

/**
 * The Targets table: this run's rows for the sections it ran (undefined: left out) and, for the others,
 * the earlier rows and the reasons given under them for the ones missed.
 */
function targetsMd(fresh: Record<TargetSection, Target[] | undefined>): string {
  const old = kept('Targets').split('\n')
  const oldRows = old.filter((l) => l.startsWith('| ') && !l.startsWith('| Measure |') && !l.startsWith('| --- |'))
  const keptRows = oldRows.filter((l) => !fresh[sectionOf(cellOf(l))])
  const keptNames = new Set(keptRows.map(cellOf))
  // A reason follows the rows it explains: its paragraph names them in bold.
  const named = (l: string) => [...l.matchAll(/\*\*(.+?)\*\* is short by/g)].map((m) => m[1])
  const keptWhy = old.filter((l) => l.startsWith('**') && named(l).length > 0 && named(l).every((n) => keptNames.has(n)))
  const rows = TARGET_SECTIONS.flatMap((s) => fresh[s]?.map((t) => t.row) ?? keptRows.filter((l) => sectionOf(cellOf(l)) === s))
  const whyOf = (targets: Target[]) => {
    const missed = targets.filter((t) => !t.met && t.why)
    return [...new Set(missed.map((t) => t.why))].map((w) => `${missed.filter((t) => t.why === w).map((t) => `**${t.name}** is short by ${t.short}.`).join(' ')} ${w}`)
  }
  const why = TARGET_SECTIONS.flatMap((s) => (fresh[s] ? whyOf(fresh[s]) : keptWhy.filter((l) => sectionOf(named(l)[0]) === s)))
  return `## Targets

| Measure | Measured | Target | |
| --- | ---: | ---: | --- |
${rows.join('\n')}
${keptRows.length ? '\nRows of sections this run left out, and what was said about them, are from the run before.\n' : ''}${why.map((w) => `\n${w}`).join('\n')}
`
}

function table(results: ScenarioResult[], ceilingLabel: string): string {
  const rows = results.map((r) => {
    const [h, u, raw] = MODES.map((m) => mbps(r, m))
    const req = (m: 'hoist' | 'uppy-aws-s3') => median(r.runs[m].map((x) => x.requests))
    return `| ${r.scenario} | ${h.toFixed(1)} | ${u.toFixed(1)} | ${raw.toFixed(1)} | **${(h / raw).toFixed(2)}** | ${(u / raw).toFixed(2)} | ${(h / u).toFixed(2)}× | ${req('hoist')} / ${req('uppy-aws-s3')} |`
  })
  return `| Upload | hoist MB/s | uppy-aws-s3 MB/s | ${ceilingLabel} MB/s | hoist / ceiling | uppy / ceiling | hoist / uppy | endpoint requests (hoist / uppy) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}`
}

let built = false
/** `npm run build`, once a run, before a section that runs the built CLI or the CDN build. */
function build() {
  if (built) return
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('npm run build failed')
  built = true
}

/** Each section's wall time, in seconds, for the log at the end. */
const wall: [string, number][] = []
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now()
  try {
    return await fn()
  } finally {
    wall.push([name, (performance.now() - t0) / 1000])
    log(`${name}: ${wall.at(-1)![1].toFixed(0)} s`)
  }
}

const started = performance.now()
const stopRgw = await timed('Ceph RGW start', startRgw)
const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-'))
const browser = await launchChromium()
try {
  const size = await timed('size', measure)
  const transferOn = process.env.BENCH_TRANSFER !== '0'
  const wanOn = process.env.BENCH_WAN !== '0'
  const loadOn = process.env.BENCH_LOAD !== '0'
  const scalingOn = process.env.BENCH_SCALING !== '0'
  const signingOn = process.env.BENCH_SIGNING !== '0'
  const prepareOn = process.env.BENCH_PREPARE !== '0'
  const wanSize = Number(process.env.BENCH_WAN_MIB ?? 1024) * MiB
  const scenarios = transferOn ? [makeScenario(dir, '1 × 256 MiB', 1, 256 * MiB), makeScenario(dir, '20 × 8 MiB', 20, 8 * MiB), makeScenario(dir, '200 × 64 KiB', 200, 64 * 1024)] : []
  const out = !transferOn ? undefined : await timed('loopback transfer, heap, 1,000 files, resume check', () => withRgw(async (app, cleanup) => {
    const loopback: ScenarioResult[] = []
    for (const s of scenarios) {
      log(`loopback: ${s.name}`)
      loopback.push(await compare(browser, app, s, MODES, cleanup))
    }
    const big = join(dir, 'heap-2GiB.bin')
    writeTestFile(big, 2048 * MiB, 7)
    log('heap while uploading 2 GiB')
    const heap = await heapGrowth(browser, app, big)
    await cleanup()
    rmSync(big)
    log('adding 1,000 files')
    const thousand = await addThousand(browser, app)
    log('checking the stored half of a 1 GiB file, as a resume does')
    const verify = await verifyCost(browser, app, dir)
    return { loopback, heap, thousand, verify }
  }))
  let hosted: Awaited<ReturnType<typeof hostedUpscayl>> | undefined
  if (transferOn) {
    // The hosted row runs the built CLI and a page on the CDN build: build what is being measured.
    build()
    log('hosted: 1 × 256 MiB through the Upscayl contract fake')
    hosted = await timed('hosted', () => hostedUpscayl(browser, scenarios[0]))
  }
  const scaled = !scalingOn ? undefined : await timed('scaling', () => scaling(browser, scalingScenarios(dir)))
  const wan: { label: string; capacity: number; result: ScenarioResult; small: ScenarioResult[] }[] = []
  // Many small files cross one link too: there each file's endpoint calls cost round trips.
  const farSmall = wanOn ? [makeScenario(dir, '200 × 64 KiB', 200, 64 * 1024), makeScenario(dir, '20 × 4 MiB', 20, 4 * MiB)] : []
  if (wanOn) {
    const wanFile = makeScenario(dir, `1 × ${wanSize / MiB} MiB`, 1, wanSize)
    for (const link of LINKS) {
      const rows = await timed(`far link: ${link.label}`, () =>
        overLink(link, async (far, app, cleanup) => {
          const result = await compare(far, app, wanFile, MODES, cleanup)
          const few: ScenarioResult[] = []
          for (const s of link === SMALL_FILES_LINK ? farSmall : []) few.push(await compare(far, app, s, MODES, cleanup))
          return { result, small: few }
        }),
      )
      wan.push({ label: link.label, capacity: link.bits / 8 / 1e6, ...rows })
    }
  }

  let signing: SigningResult[] | undefined
  if (signingOn) {
    // The signing run starts the built CLI: build what is being measured.
    build()
    log('signing throughput: one instance on one core')
    signing = await timed('signing', signingThroughput)
  }

  let load: Awaited<ReturnType<typeof runLoad>> | undefined
  if (loadOn) {
    // The load run starts the built CLI and pages on the CDN build: build what is being measured.
    build()
    log('load and failure: two instances behind a proxy, one killed')
    load = await timed('load', () => runLoad(browser, dir))
  }

  let prepared: Awaited<ReturnType<typeof prepareCost>> | undefined
  if (prepareOn) {
    // Preparation runs on pages of the CDN build: build what is being measured.
    build()
    log('preparing 20 photos before upload')
    prepared = await timed('prepare', () => prepareCost(browser, dir))
  }

  const cpus = os.cpus()
  const written = `${new Date().toISOString()} on ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`
  const wanRows = wan.map(({ label, capacity, result }) => {
    const [h, u, raw] = MODES.map((m) => mbps(result, m))
    return `| ${label} | ${result.scenario} | ${h.toFixed(1)} | ${u.toFixed(1)} | ${raw.toFixed(1)} | ${capacity.toFixed(1)} | **${(h / capacity).toFixed(2)}** | ${(raw / capacity).toFixed(2)} | **${(h / u).toFixed(2)}×** |`
  })
  const mainThreadRatio = (o: NonNullable<typeof out>) => {
    const cpu = (m: 'hoist' | 'raw') => median(o.loopback[0].runs[m].map((r) => r.mainThread ?? 0))
    return cpu('hoist') / cpu('raw')
  }
  const perGiB = (o: NonNullable<typeof out>, m: 'hoist' | 'uppy-aws-s3') => (median(o.loopback[0].runs[m].map((x) => x.requests)) * 1024 ** 3) / o.loopback[0].bytes
  const transferTargets = (o: NonNullable<typeof out>) => [
    // Issue 12's goals for each row.
    ...o.loopback.map((r) => target(`loopback ${r.scenario}: hoist / ceiling`, mbps(r, 'hoist') / mbps(r, 'raw'), ({ '1 × 256 MiB': 0.9, '20 × 8 MiB': 0.85 } as Record<string, number>)[r.scenario] ?? 0.6, WHY.loopback)),
    ...o.loopback
      .filter((r) => r.scenario === '200 × 64 KiB')
      .map((r) => target('endpoint calls for 200 small files (hoist, median)', median(r.runs.hoist.map((x) => x.requests)), 20, '', 'at most')),
    target('main-thread time during 1 × 256 MiB, hoist / ceiling', mainThreadRatio(o), 2, WHY.mainThread, 'at most'),
    target('endpoint requests per GiB, hoist / uppy-aws-s3', perGiB(o, 'hoist') / perGiB(o, 'uppy-aws-s3'), 0.125, '', 'at most'),
    target('JS heap growth over 2 GiB, MiB', (o.heap.peak - o.heap.baseline) / MiB, 64, '', 'under'),
    // The Long Tasks API reports only tasks of 50 ms or more: 0 means none reached 50 ms.
    { ...target('longest task adding 1,000 files, ms', o.thousand.longest, 100, WHY.thousand, 'at most'), ...(o.thousand.longest === 0 ? { row: '| longest task adding 1,000 files, ms | none ≥ 50 | at most 100 | met |' } : {}) },
  ]
  const callsPerFile = (r: ScenarioResult, m: 'hoist' | 'uppy-aws-s3') => median(r.runs[m].map((x) => x.requests)) / farSmall.find((s) => s.name === r.scenario)!.files.length
  const wanTargets = wan.flatMap(({ label, capacity, result, small }) => [
    target(`${label}, ${result.scenario}: hoist / link`, mbps(result, 'hoist') / capacity, 0.95, WHY.link),
    ...(label.startsWith('40 ms') ? [target(`${label}, ${result.scenario}: hoist / uppy-aws-s3`, mbps(result, 'hoist') / mbps(result, 'uppy-aws-s3'), 2, '')] : []),
    ...small
      .filter((r) => r.scenario === '200 × 64 KiB')
      .map((r) =>
        target(
          `${label}, ${r.scenario}: hoist / ceiling`,
          mbps(r, 'hoist') / mbps(r, 'raw'),
          0.8,
          `Inside its timing the widget makes ${callsPerFile(r, 'hoist').toFixed(1)} endpoint calls a file (this run's median), each at least one ${SMALL_FILES_LINK.rttMs} ms round trip of the link; the ceiling makes its signing calls before its clock starts and no others.`,
        ),
      ),
  ])
  const scalingRatio = (rows: ScalingRow[]) => scalingFigures(rows.at(-1)!).msPerFile / scalingFigures(rows[0]).msPerFile
  const scalingName = (rows: ScalingRow[]) => `per-file cost, ${rows.at(-1)!.files.toLocaleString('en')} files / ${rows[0].files.toLocaleString('en')} files of 64 KiB (hoist, loopback)`
  const transferMd = (o: NonNullable<typeof out>) => `## Transfer (Chromium → Ceph RGW on loopback)

Written ${written}, ${spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim()}.
Medians of ${process.env.BENCH_RUNS ?? 3} interleaved runs, each in a fresh page; browser, RGW and the endpoint share the machine's cores, so compare ratios within a row, not across runs.
The ceiling is the same browser PUTting the same bytes to presigned URLs (5 MiB parts for files over 5 MiB), 6 at a time, with all signing done before the clock starts.
Widget runs are timed from \`upload()\` to \`all-complete\`, which includes signing and the finish or complete call (and, for uppy-aws-s3, the file-info read-back).

${table(o.loopback, 'ceiling')}

${mainThreadMd(o)}
${hostedMd(o)}
Endpoint requests per GiB (1 × 256 MiB, scaled): hoist ${perGiB(o, 'hoist').toFixed(0)}, uppy-aws-s3 ${perGiB(o, 'uppy-aws-s3').toFixed(0)} (ratio ${(perGiB(o, 'hoist') / perGiB(o, 'uppy-aws-s3')).toFixed(3)}; target ≤ 0.125).
`
  const mainThreadMd = (o: NonNullable<typeof out>) => {
    const big = o.loopback[0]
    const cpu = (m: 'hoist' | 'uppy-aws-s3' | 'raw') => median(big.runs[m].map((r) => r.mainThread ?? 0))
    return `Main-thread time of the page during ${big.scenario} (CDP \`Performance.getMetrics\` TaskDuration, from choosing the file to the end, medians): hoist ${cpu('hoist').toFixed(2)} s, uppy-aws-s3 ${cpu('uppy-aws-s3').toFixed(2)} s, ceiling ${cpu('raw').toFixed(2)} s: **hoist / ceiling ${(cpu('hoist') / cpu('raw')).toFixed(2)}**.
`
  }
  const hostedMd = (o: NonNullable<typeof out>) => {
    if (!hosted) return ''
    const speed = (runs: { seconds: number }[]) => scenarios[0].files[0].size / median(runs.map((r) => r.seconds)) / 1e6
    const [h, raw] = [speed(hosted.hoist), speed(hosted.raw)]
    const s3 = mbps(o.loopback[0], 'hoist') / mbps(o.loopback[0], 'raw')
    return `The hosted-API path, 1 × 256 MiB through \`hoist-uploader serve --storage upscayl\` to the Upscayl contract fake (all part URLs in the plan, parts PUT in parallel), on a page that loads only \`dist/cdn/\`: hoist ${h.toFixed(1)} MB/s, raw PUTs of the same parts to the fake's URLs ${raw.toFixed(1)} MB/s: **hoist / ceiling ${(h / raw).toFixed(2)}**, against ${s3.toFixed(2)} on the S3 path above. The fake is a Node server that keeps the parts in memory, so its MB/s are not RGW's; compare the ratios.
`
  }
  const wanSmall = wan.flatMap((w) => (w.small.length ? [{ label: w.label, small: w.small }] : []))
  const wanMd = `## Far links (network namespace, \`tc tbf\` and a delaying relay)

Chromium runs in its own network namespace; its uploads cross a veth pair shaped with \`tc tbf\` to the link rate,
and every connection from the browser (to the page, the endpoint and storage) passes a relay that holds each chunk
for half the round-trip time in each direction. The endpoint's own calls to storage are not delayed. Link capacity
counts IP and TCP headers, so payload tops out near 0.96 of it; the ceiling column is the raw PUTs over the same link
(signing done before the clock starts, 6 at a time, 5 MiB parts). Medians of ${process.env.BENCH_RUNS ?? 3} interleaved runs, each in a fresh page.
Hoist's part size is chosen per file, once (parts stay equal but the last): about 4 s of one connection's share of
the rate this page's earlier uploads reached, at least 4 waves of parts across the 6-request limit, 5–64 MiB; a fresh
page has measured nothing yet, so a file goes in parts of 1/64 of its size, at least 5 MiB (\`choosePartSize\` in
src/transport/part-size.ts): 5 MiB for a 256 MiB file, 16 MiB for 1 GiB. uppy-aws-s3 keeps 5 MiB parts.

| Link | Upload | hoist MB/s | uppy-aws-s3 MB/s | ceiling MB/s | link MB/s | hoist / link | ceiling / link | hoist / uppy |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${wanRows.join('\n')}
${wanSmall.map(({ label, small }) => `
Small files over the ${label} link, the same way (a file of up to 5 MiB is one PUT for every mode; endpoint requests are the page's calls to the endpoint, preflights left out, medians):

${table(small, 'ceiling')}
`).join('')}`
  const scalingMd = (rows: ScalingRow[]) => `## Scaling with the number of files (loopback)

${rows.map((r) => r.files.toLocaleString('en')).join(', ')} files of 64 KiB through the hoist transport to Ceph RGW on loopback, each upload in a fresh page;
medians of ${process.env.BENCH_RUNS ?? 3} runs, the counts interleaved round by round (the smaller counts upload the first files of the largest).
Total time is from \`upload()\` to \`all-complete\`; main-thread time is the page's CDP \`Performance.getMetrics\` TaskDuration from
choosing the files to the end; endpoint calls are the page's requests to the endpoint, preflights left out, as in the transfer table.
Each upload gets a freshly started endpoint: the handler's default rate limit is 2,000 requests a minute per user, and one upload of
${rows.at(-1)!.files.toLocaleString('en')} files made ${median(rows.at(-1)!.runs.map((r) => r.requests)).toLocaleString('en')} endpoint calls here, so uploads back to back on one endpoint would measure its 429 answers and the waits they ask for.

| Files | Total time | Main-thread time | Endpoint calls per file | Per-file cost |
| ---: | ---: | ---: | ---: | ---: |
${rows
  .map((r) => {
    const f = scalingFigures(r)
    return `| ${r.files.toLocaleString('en')} | ${f.seconds.toFixed(2)} s | ${f.mainThread.toFixed(2)} s | ${f.callsPerFile.toFixed(2)} | ${f.msPerFile.toFixed(1)} ms |`
  })
  .join('\n')}

Per-file cost at ${rows.at(-1)!.files.toLocaleString('en')} files / at ${rows[0].files.toLocaleString('en')} files: **${scalingRatio(rows).toFixed(2)}** (target ≤ 1.5).
`
  const signingMd = (results: SigningResult[]) => {
    const figures = results.map(({ mode, runs }) => ({
      mode,
      perSecond: median(runs.map((r) => r.urls / r.seconds)),
      requestsPerSecond: median(runs.map((r) => r.requests / r.seconds)),
      cpuMs: median(runs.map((r) => (r.cpu * 1000) / r.urls)),
      window: `${median(runs.map((r) => r.seconds)).toFixed(1)} s, ${median(runs.map((r) => r.requests))} requests`,
    }))
    const [batch, single] = figures
    return `## Signing throughput on one core

The built CLI (\`hoist-uploader serve\`, S3 storage on Ceph RGW) pinned to core 0 with \`taskset -c 0\`, one multipart upload created
(declared as ${SIGNING.parts.toLocaleString('en')} parts of ${SIGNING.partSize / MiB} MiB), then part URLs asked for by a Node client in its own process pinned to core 1
(\`taskset -c 1\`), ${SIGNING.concurrency} requests in flight, for ${SIGNING.measureMs / 1000} s after a ${SIGNING.warmupMs / 1000} s warm-up or until ${SIGNING.maxRequests.toLocaleString('en')} requests in all, whichever
comes first: the CLI's default rate limit allows 2,000 requests a minute per client, so each run gets a fresh instance and stays under it
(an answer other than 200 fails the run). URLs a second count the URLs received in the measured window; CPU per URL is the instance's
CPU time (utime + stime from /proc) over that window divided by those URLs. Medians of ${process.env.BENCH_RUNS ?? 3} runs, the two ways interleaved; other work on the
machine may share core 0.

| Asked | URLs / s | requests / s | instance CPU per URL | measured window (median) |
| --- | ---: | ---: | ---: | ---: |
${figures.map((f) => `| ${f.mode.label} | ${f.perSecond.toFixed(0)} | ${f.requestsPerSecond.toFixed(0)} | ${f.cpuMs.toFixed(2)} ms | ${f.window} |`).join('\n')}

**Batch / one per request: ${(batch.perSecond / single.perSecond).toFixed(1)}×** the URLs a second from one core.
`
  }
  const memoryMd = (o: NonNullable<typeof out>) => `## Memory and main thread

- JS heap while uploading one 2 GiB file with the hoist transport: ${(o.heap.baseline / MiB).toFixed(1)} MiB before, ${(o.heap.peak / MiB).toFixed(1)} MiB at peak: **growth ${((o.heap.peak - o.heap.baseline) / MiB).toFixed(1)} MiB** (target < 64 MiB).
- Adding 1,000 files at once (\`addFiles\`, the files made beforehand): longest main-thread task **${o.thousand.longest === 0 ? 'none of 50 ms or more' : `${o.thousand.longest.toFixed(0)} ms`}** (target ≤ 100 ms; the Long Tasks API reports only tasks of 50 ms or more), ${o.thousand.totalMs.toFixed(0)} ms until all are in and a frame is drawn.

${verifySection(o.verify)}`
  const targets = {
    size: [target('script-tag bytes before the first upload, gzip / stock Uppy', size.ratio, 1, '', 'at most')],
    transfer: out && transferTargets(out),
    wan: wanOn ? wanTargets : undefined,
    scaling: scaled && [target(scalingName(scaled), scalingRatio(scaled), 1.5, '', 'at most')],
  }
  const md = [
    report(size),
    targetsMd(targets),
    out ? transferMd(out) : kept('Transfer'),
    scaled ? scalingMd(scaled) : kept('Scaling'),
    wanOn ? wanMd : kept('Far links'),
    out ? memoryMd(out) : kept('Memory and main thread', 'Checking stored parts on resume'),
    signing ? signingMd(signing) : kept('Signing'),
    load ? loadReport(load, written) : kept('Load and failure'),
    prepared ? prepareSection(prepared) : kept('Preparing photos'),
  ].join('\n')
  writeFileSync(resultsFile, md)
  console.log(md)
  log(`wall time: ${wall.map(([name, s]) => `${name} ${s.toFixed(0)} s`).join(', ')}; in all ${((performance.now() - started) / 1000).toFixed(0)} s`)
  if (load && !loadPassed(load)) throw new Error('the load and failure run did not meet its bar (see bench/RESULTS.md)')
} finally {
  await browser.close()
  rmSync(dir, { recursive: true, force: true })
  stopRgw()
}
