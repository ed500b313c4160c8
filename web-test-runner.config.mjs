import { playwrightLauncher } from '@web/test-runner-playwright'
import { build } from 'esbuild'
import { existsSync, readdirSync, rmSync } from 'node:fs'

const executablePath = process.env.CHROME_PATH || '/usr/bin/chromium'
if (!existsSync(executablePath)) {
  throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium, or set CHROME_PATH.`)
}

// Uppy ships CommonJS dependencies and JSON imports; bundle each test file with esbuild first,
// as an app's bundler would, and run the bundles in Chromium.
const outdir = '.test-tmp/element'
rmSync(outdir, { recursive: true, force: true })
await build({
  entryPoints: readdirSync('test/element').filter((f) => f.endsWith('.test.ts')).map((f) => `test/element/${f}`),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  outdir,
  sourcemap: 'inline',
  tsconfig: 'tsconfig.json',
  logLevel: 'error',
})

export default {
  files: `${outdir}/*.test.js`,
  concurrency: 1,
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      },
    }),
  ],
  testFramework: { config: { timeout: 10000 } },
}
