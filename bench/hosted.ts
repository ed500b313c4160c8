// The hosted-API path, measured the way a page meets it: one file through `hoist-uploader serve
// --storage upscayl` to the Upscayl contract fake (every part URL in the plan), against the raw
// ceiling of the same browser PUTting the same bytes to part URLs the fake handed out beforehand.
import type { Browser } from 'playwright-core'
import { cdnBuild, startCli, startSite } from '../test/helpers/app.js'
import { startHosted } from '../test/helpers/providers.js'
import type { Run, Scenario } from './transfer.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)

export async function hostedUpscayl(browser: Browser, s: Scenario): Promise<{ hoist: Run[]; raw: Run[] }> {
  const hosted = await startHosted('upscayl')
  const cli = await startCli(['--storage', 'upscayl'], undefined, { env: hosted.env })
  const site = await startSite(`<!doctype html><meta charset="utf-8"><script type="module" src="/hoist-uploader.js"></script><hoist-uploader endpoint="${cli.url}"></hoist-uploader>`, cdnBuild)
  const out = { hoist: [] as Run[], raw: [] as Run[] }
  try {
    for (let round = 0; round < RUNS; round++) {
      for (const mode of ['hoist', 'raw'] as const) {
        const page = await browser.newPage()
        try {
          await page.goto(site.url)
          await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
          const run = mode === 'hoist' ? await widget(page, s) : await raw(page, s, hosted.env)
          out[mode].push(run)
          console.error(`  upscayl ${s.name} ${mode} #${round + 1}: ${(s.files[0].size / run.seconds / 1e6).toFixed(1)} MB/s`)
        } finally {
          await page.close()
          hosted.fake.stored.clear()
        }
      }
    }
  } finally {
    site.close()
    await cli.stop()
    await hosted.fake.close()
  }
  return out
}

async function widget(page: import('playwright-core').Page, s: Scenario): Promise<Run> {
  await page.locator('hoist-uploader input[type=file]').first().setInputFiles(s.files.map((f) => f.path))
  const r = await page.evaluate(async () => {
    const t0 = performance.now()
    const res = await document.querySelector('hoist-uploader')!.upload()
    return { ms: performance.now() - t0, failed: res.failed.length }
  })
  if (r.failed) throw new Error('the upload through the Upscayl fake failed')
  return { seconds: r.ms / 1000, requests: 0 }
}

/** The ceiling: part URLs asked for beforehand, PUT 6 at a time, then completed from here. */
async function raw(page: import('playwright-core').Page, s: Scenario, env: Record<string, string>): Promise<Run> {
  const f = s.files[0]
  const headers = { 'content-type': 'application/json', 'x-api-key': env.UPSCAYL_API_KEY }
  const planned = (await (await fetch(`${env.UPSCAYL_API_URL}/get-upload-url`, { method: 'POST', headers, body: JSON.stringify({ data: { fileSize: f.size, fileType: 'application/octet-stream', originalFileName: 'raw.bin' } }) })).json()).data
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'raw' })))
  await page.locator('#raw').setInputFiles(f.path)
  const r = await page.evaluate(
    async ({ urls, partSize }) => {
      const file = (document.getElementById('raw') as HTMLInputElement).files![0]
      const etags: string[] = []
      const t0 = performance.now()
      let next = 0
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < urls.length) {
            const i = next++
            const res = await fetch(urls[i], { method: 'PUT', body: file.slice(i * partSize, (i + 1) * partSize) })
            if (!res.ok) throw new Error(`raw PUT ${res.status}`)
            etags[i] = (res.headers.get('etag') ?? '').replace(/"/g, '')
          }
        }),
      )
      return { ms: performance.now() - t0, etags }
    },
    { urls: (planned.partUrls as { signedUrl: string }[]).map((p) => p.signedUrl), partSize: planned.partSize as number },
  )
  const parts = r.etags.map((ETag, i) => ({ PartNumber: i + 1, ETag }))
  const done = await fetch(`${env.UPSCAYL_API_URL}/complete-multipart-upload`, { method: 'POST', headers, body: JSON.stringify({ data: { uploadId: planned.uploadId, key: planned.path, parts } }) })
  if (!done.ok) throw new Error(`raw complete failed: ${done.status}`)
  return { seconds: r.ms / 1000, requests: 0 }
}
