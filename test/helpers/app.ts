import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { after, before } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from './browser.js'
import { join } from 'node:path'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export interface Running {
  url: string
  dir: string
  /** The server's process id (its memory can be read in /proc). */
  pid: number
  /** Ends the process with SIGKILL, as a crash would, and leaves `dir` as it is. */
  kill: () => Promise<void>
  stop: () => Promise<void>
}

/** Spawns a command and waits for a line matching `ready`; stops it (and removes `dir`) on `stop()`. */
export async function spawnServer(cmd: string, args: string[], env: Record<string, string>, ready: RegExp, dir: string, url: string): Promise<Running> {
  const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')} did not start in 30 s:\n${output}`)), 30_000)
    const onData = (d: Buffer) => {
      output += d
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (d) => (output += d))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${cmd} exited with ${code}:\n${output}`))
    })
  })
  child.removeAllListeners('exit')
  const exited = new Promise((r) => child.once('exit', r))
  return {
    url,
    dir,
    pid: child.pid!,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
        child.kill('SIGKILL')
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** `npm run demo` as a new user runs it: disk storage in a temp folder, or S3 when `s3` is given. */
export async function startDemo(s3?: { bucket: string; endpoint?: string }, extraEnv: Record<string, string> = {}): Promise<Running> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'hoist-demo-'))
  const env: Record<string, string> = { PORT: String(port), HOIST_DIR: dir, ...extraEnv }
  if (s3) Object.assign(env, { S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: 'true' }, s3.endpoint ? { S3_ENDPOINT: s3.endpoint } : {})
  else env.S3_BUCKET = ''
  return spawnServer('node', ['--import', 'tsx', 'demo/server.ts'], env, /Demo: http:\/\/localhost:\d+/, dir, `http://127.0.0.1:${port}`)
}

/**
 * `npx hoist-uploader serve` (the built CLI). `dir` is its disk storage folder (default: a new temp
 * folder), so a restarted server can find what a killed one left; `stop()` removes it either way.
 */
export async function startCli(args: string[], s3?: { bucket: string }, opts: { dir?: string; env?: Record<string, string> } = {}): Promise<Running> {
  const port = await freePort()
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hoist-cli-'))
  const env: Record<string, string> = { ...(s3 ? { S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: 'true' } : { S3_BUCKET: '' }), ...opts.env }
  return spawnServer('node', ['bin/hoist-uploader.js', 'serve', '--port', String(port), '--dir', dir, ...args], env, /Hoist upload server: /, dir, `http://127.0.0.1:${port}`)
}

/** Registers before/after hooks that start the demo (disk storage) and Chromium for a test file. */
export function demoAndBrowser(): { app: Running; browser: Browser } {
  const ctx = {} as { app: Running; browser: Browser }
  before(async () => {
    ctx.app = await startDemo()
    ctx.browser = await launchChromium()
  })
  after(async () => {
    await ctx.browser?.close()
    await ctx.app?.stop()
  })
  return ctx
}

export interface Site {
  url: string
  close: () => void
}

/**
 * A page on its own loopback origin, as a site next to a separate upload server would be: `script(path)`
 * answers a JavaScript path (or undefined), or null for a 404; every other path gets `html`.
 */
export async function startSite(html: string, script: (path: string) => string | Buffer | undefined | null): Promise<Site> {
  const server = createHttpServer((req, res) => {
    const js = script((req.url ?? '/').split('?')[0])
    if (js === null) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    else if (js !== undefined) res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => server.close() }
}

const cdnDir = new URL('../../dist/cdn', import.meta.url).pathname
/**
 * `startSite`'s scripts for a folder that holds only dist/cdn's entry file, as a site that copies the
 * one file serves it: any other script is a 404.
 */
export function cdnEntryAlone(): (path: string) => Buffer | null | undefined {
  const entry = readFileSync(`${cdnDir}/hoist-uploader.js`)
  return (path) => (path === '/hoist-uploader.js' ? entry : path.endsWith('.js') ? null : undefined)
}

/** `startSite`'s scripts for a page that loads the one-file build as a CDN serves it: dist/cdn's entry file and its chunks. */
export const cdnBuild = (path: string): Buffer | undefined =>
  path === '/hoist-uploader.js' || (path.startsWith('/chunks/') && !path.includes('..')) ? readFileSync(`${cdnDir}${path}`) : undefined

/**
 * A new page of a new site that loads the one-file build (dist/cdn, chunks beside it) with
 * `<hoist-uploader endpoint=… attributes>`, once the element has its Uppy; with the page errors it
 * throws. The site is added to `sites`, for the caller to close.
 */
export async function cdnElementPage(browser: Browser, sites: Site[], endpoint: string, attributes: string, title = 'Hoist'): Promise<{ page: Page; errors: string[] }> {
  const site = await startSite(`<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="/hoist-uploader.js"></script><hoist-uploader endpoint="${endpoint}" ${attributes}></hoist-uploader>`, cdnBuild)
  sites.push(site)
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(site.url)
  await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
  return { page, errors }
}
