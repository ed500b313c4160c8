// How the widget's cost grows with the number of files: 100, 300 and 1,000 files of 64 KiB through the
// hoist transport to Ceph RGW on loopback, each upload in a fresh page, the counts interleaved round by
// round (BENCH_RUNS rounds, medians). Time, main-thread time and endpoint calls come from
// bench/transfer.ts's own measurement, so they are counted the same way as in the transfer table.
// Each upload gets an endpoint of its own: the handler's default rate limit (2,000 requests a minute per
// user) is about what one upload of 1,000 small files asks, so runs back to back would measure its 429s.
import type { Browser } from 'playwright-core'
import { makeScenario, measureOnce, median, type Run, type Scenario, withRgw } from './transfer.js'

const KiB = 1024
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
export const SCALING_COUNTS = [100, 300, 1000]
export const SCALING_SIZE = 64 * KiB

export interface ScalingRow {
  files: number
  runs: Run[]
}

/** Writes the largest count's files once; the smaller counts upload its first files. */
export function scalingScenarios(dir: string): Scenario[] {
  const all = makeScenario(dir, 'scaling', Math.max(...SCALING_COUNTS), SCALING_SIZE)
  return SCALING_COUNTS.map((n) => ({ name: `${n.toLocaleString('en')} × 64 KiB`, files: all.files.slice(0, n) }))
}

export async function scaling(browser: Browser, scenarios: Scenario[]): Promise<ScalingRow[]> {
  const rows = scenarios.map((s) => ({ files: s.files.length, runs: [] as Run[] }))
  for (let round = 0; round < RUNS; round++) {
    for (const [i, s] of scenarios.entries()) {
      const run = await withRgw((app) => measureOnce(browser, app, 'hoist', s))
      rows[i].runs.push(run)
      console.error(`  scaling ${s.name} #${round + 1}: ${run.seconds.toFixed(1)} s, ${((run.seconds * 1000) / s.files.length).toFixed(1)} ms a file, ${run.requests} endpoint requests`)
    }
  }
  return rows
}

/** Medians over the runs: seconds, main-thread seconds, endpoint calls per file, ms per file. */
export function scalingFigures(r: ScalingRow) {
  const seconds = median(r.runs.map((x) => x.seconds))
  return {
    seconds,
    mainThread: median(r.runs.map((x) => x.mainThread ?? 0)),
    callsPerFile: median(r.runs.map((x) => x.requests)) / r.files,
    msPerFile: (seconds * 1000) / r.files,
  }
}
