// The React wrapper under React 18 (test/react18, its own package): StrictMode in Chromium, and SSR.
import { build } from 'esbuild'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { startCli, startSite, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { record, setInputFiles, waitForEvents, uploadsStarted, writeTestFile } from '../helpers/page.js'

const REACT18 = 'test/react18/node_modules/react'

describe('React 18: HoistUploader', () => {
  let cli: Running
  let site: Site
  const dir = mkdtempSync(join(tmpdir(), 'hoist-react18-'))

  before(async () => {
    assert.ok(existsSync(REACT18), 'React 18 is not installed: run `npm ci --prefix test/react18` (npm test does)')
    cli = await startCli([])
    const bundle = await build({ entryPoints: ['test/react18/entry.ts'], bundle: true, format: 'esm', write: false, logLevel: 'error', tsconfig: 'tsconfig.json', define: { 'process.env.NODE_ENV': '"development"' } })
    const js = bundle.outputFiles[0].text
    site = await startSite('<!doctype html><div id="root"></div><script type="module" src="/app.js"></script>', (path) => (path === '/app.js' ? js : undefined))
  })
  after(async () => {
    site?.close()
    await cli?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('under <StrictMode>: one Uppy instance, one upload per file, props fire once per file', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      const signing: string[] = []
      page.on('request', (r) => signing.push(...uploadsStarted(r)))
      await page.goto(`${site.url}?endpoint=${encodeURIComponent(cli.url)}`)
      await record(page)
      const files = ['a.txt', 'b.txt'].map((n, i) => {
        const p = join(dir, n)
        writeTestFile(p, 500 + i)
        return p
      })
      const big = join(dir, 'big.bin')
      writeTestFile(big, 6 * 1024 * 1024)
      await setInputFiles(page, [...files, big])
      await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
      const [done] = await waitForEvents(page, 'all-complete', 1)
      assert.equal(done.detail.successful.length, 3)
      assert.equal(done.detail.successful[0].meta.react, '18.3.1', 'rendered by React 18')
      await page.waitForFunction(() => document.querySelector('[data-testid=stored-count]')?.textContent === '3')
      await new Promise((r) => setTimeout(r, 500))
      assert.equal(await page.locator('[data-testid=stored-count]').textContent(), '3')
      assert.deepEqual(signing.sort(), ['plan:a.txt', 'plan:b.txt', 'plan:big.bin'], 'one plan per file, nothing else started an upload')
      assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.opts.id), 'hoist-1')
      assert.deepEqual(errors, [])
    } finally {
      await browser.close()
    }
  })

  it('renderToString does not throw', async () => {
    const out = join(dir, 'ssr.mjs')
    const bundle = await build({ entryPoints: ['test/react18/ssr.ts'], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'error', tsconfig: 'tsconfig.json', banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } })
    writeFileSync(out, bundle.outputFiles[0].text)
    const r = spawnSync(process.execPath, [out], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /^18\.3\.1 <hoist-uploader[^>]*><\/hoist-uploader>$/m)
  })
})
