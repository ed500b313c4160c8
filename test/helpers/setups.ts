// The two storages the fault and resume suites run against, each behind a fault proxy, and a page
// on each: disk storage behind the demo (the proxy in front of the whole demo, since disk storage's
// URLs point back at it), and Ceph RGW (the proxy in front of RGW).
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type Running } from './app.js'
import { launchChromium } from './browser.js'
import { type FaultProxy, startFaultProxy } from './fault-proxy.js'
import { record } from './page.js'
import { emptyBucket, makeBucket, openUploads } from './s3.js'

export interface Setup {
  app: Running
  proxy: FaultProxy
  /** Where the page lives: the proxy for disk storage (its URLs point back at the demo), else the demo. */
  pageUrl: string
  /** Multipart uploads storage holds open (neither completed nor aborted). */
  openUploads: () => Promise<number>
  stop: () => Promise<void>
}

export async function onDisk(env: Record<string, string> = {}): Promise<Setup> {
  const app = await startDemo(undefined, env)
  const proxy = await startFaultProxy(app.url, (req) => req.method === 'PUT')
  return {
    app,
    proxy,
    pageUrl: proxy.url,
    openUploads: async () => readdirSync(join(app.dir, 'multipart')).length,
    stop: async () => {
      await proxy.close()
      await app.stop()
    },
  }
}

export async function onRgw(env: Record<string, string> = {}): Promise<Setup> {
  const s3 = await makeBucket('faults')
  const proxy = await startFaultProxy(process.env.S3_ENDPOINT!, (req) => req.method === 'PUT')
  const app = await startDemo({ bucket: s3.bucket, endpoint: proxy.url }, env)
  return {
    app,
    proxy,
    pageUrl: app.url,
    openUploads: async () => (await openUploads(s3.client, s3.bucket)).length,
    stop: async () => {
      await app.stop()
      await proxy.close()
      await emptyBucket(s3.client, s3.bucket)
    },
  }
}

export const STORAGES = [
  ['disk storage', onDisk],
  ['Ceph RGW', onRgw],
] as const

/** Opens the demo page, records the element's events and sets `props` on it. */
export async function openPage(browser: Browser, url: string, props: Record<string, unknown> = {}): Promise<Page> {
  const page = await browser.newPage()
  // tsx names the functions it compiles with a helper the page lacks.
  await page.addInitScript('globalThis.__name = (f) => f')
  await page.goto(url)
  await record(page)
  await page.evaluate((p) => Object.assign(document.querySelector('hoist-uploader')!, p), props)
  return page
}

/** Runs `fn` with a fresh setup, stopping it afterwards whatever happens. */
export async function trial(setup: (env: Record<string, string>) => Promise<Setup>, env: Record<string, string>, fn: (s: Setup) => Promise<void>): Promise<void> {
  const s = await setup(env)
  try {
    await fn(s)
  } finally {
    await s.stop()
  }
}

/** Registers hooks that launch Chromium for a test file and, afterwards, close it and remove the file's test data in `dir`. */
export function chromiumFor(dir: string): { browser: Browser } {
  const ctx = {} as { browser: Browser }
  before(async () => {
    ctx.browser = await launchChromium()
  })
  after(async () => {
    await ctx.browser?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return ctx
}
