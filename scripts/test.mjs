// `npm test`: sets up Chromium and a throwaway Ceph RGW, then runs every suite and stops RGW.
// Never skips a suite: a missing part is installed (as root on Debian) or reported, and fails the run.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const totals = { passed: 0, failed: 0 }
const failures = []
let rgwDir

function run(name, cmd, args, env = {}) {
  return new Promise((resolve) => {
    console.log(`\n▶ ${name}`)
    const started = Date.now()
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      process.stdout.write(d)
    })
    child.on('close', (code) => {
      const counts = count(out)
      totals.passed += counts.passed
      totals.failed += counts.failed
      if (code !== 0) failures.push(`${name} (exit ${code})`)
      console.log(`◀ ${name}: ${code === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      resolve(code === 0)
    })
  })
}

/** Sums what node:test (spec reporter) and web-test-runner report. */
function count(out) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '')
  let passed = 0
  let failed = 0
  const node = [...plain.matchAll(/^ℹ pass (\d+)$/gm)].map((m) => Number(m[1]))
  const nodeFail = [...plain.matchAll(/^ℹ fail (\d+)$/gm)].map((m) => Number(m[1]))
  if (node.length) {
    passed += node.at(-1)
    failed += nodeFail.at(-1) ?? 0
  } else {
    const wtr = [...plain.matchAll(/(\d+) passed, (\d+) failed/g)].at(-1)
    if (wtr) {
      passed += Number(wtr[1])
      failed += Number(wtr[2])
    }
  }
  return { passed, failed }
}

/** A TCP port free on loopback right now, so parallel runs on one machine do not collide. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function startRgw() {
  if (process.env.S3_ENDPOINT) {
    console.log(`Using S3 at ${process.env.S3_ENDPOINT}`)
    return {}
  }
  rgwDir = mkdtempSync(join(tmpdir(), 'hoist-rgw-'))
  console.log('Starting a throwaway Ceph RGW…')
  const started = Date.now()
  const port = process.env.RGW_PORT ?? String(await freePort())
  const monPort = String(await freePort())
  const r = spawnSync('bash', [join(root, 'scripts/rgw.sh'), 'start', rgwDir, port], { encoding: 'utf8', env: { ...process.env, MON_PORT: monPort } })
  if (r.status !== 0) {
    console.error(r.stderr)
    throw new Error('Ceph RGW did not start (see above)')
  }
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)))
  console.log(`RGW up at ${env.S3_ENDPOINT} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  // HOIST_RGW_DIR lets a test restart radosgw (scripts/rgw.sh restart-rgw) under a running upload.
  return { ...env, S3_FORCE_PATH_STYLE: 'true', HOIST_RGW_DIR: rgwDir }
}

function stopRgw() {
  if (rgwDir) spawnSync('bash', [join(root, 'scripts/rgw.sh'), 'stop', rgwDir])
  rgwDir = undefined
}

process.on('SIGINT', () => {
  stopRgw()
  process.exit(130)
})

const testFiles = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.test.ts')).map((f) => `${dir}/${f}`)
const nodeTest = (dir) => ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...testFiles(dir)]
const only = process.argv[2] // e.g. `npm test -- e2e`

try {
  const setup = spawnSync('bash', [join(root, 'scripts/setup-test-env.sh')], { stdio: 'inherit' })
  if (setup.status !== 0) throw new Error('the test environment is incomplete (see above)')
  if (!only || only === 'static') {
    await run('typecheck', 'npm', ['run', '--silent', 'typecheck'])
    await run('lint', 'npm', ['run', '--silent', 'lint'])
  }
  // The CLI tests run the built package, as `npx hoist-uploader` would.
  if (!only || only === 'e2e') {
    await run('build', 'npm', ['run', '--silent', 'build'])
    // React 18 for the wrapper's React 18 test lives in its own small package.
    await run('install React 18 for its test', 'npm', ['ci', '--prefix', 'test/react18', '--no-audit', '--no-fund', '--silent'])
  }
  if (!only || only === 'server') await run('server, transport, image preparation and contract-fake unit tests', 'node', [...nodeTest('test/server'), ...testFiles('test/transport'), ...testFiles('test/prepare'), ...testFiles('test/fakes')])
  // npm pack (which builds), then the tarball installed into fresh projects on the engines floor.
  if (!only || only === 'package') await run('package as a new user installs it', 'node', nodeTest('test/package'))
  if (!only || only === 'element') await run('element tests (Chromium)', 'npx', ['web-test-runner', '--config', 'web-test-runner.config.mjs'])
  if (!only || only === 's3' || only === 'e2e') {
    const s3 = await startRgw()
    if (only !== 'e2e') await run('storage contract (disk + Ceph RGW)', 'node', nodeTest('test/storage'), s3)
    if (only !== 's3') await run('end-to-end (Chromium + disk + Ceph RGW)', 'node', nodeTest('test/e2e'), s3)
  }
} catch (err) {
  failures.push(err.message)
} finally {
  stopRgw()
}

console.log(`\n${failures.length ? `FAILED: ${failures.join('; ')}` : 'All suites passed.'}`)
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`)
process.exit(failures.length || totals.failed ? 1 : 0)
