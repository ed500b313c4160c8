// Crashes and outages, end to end: radosgw restarted under the widget's upload, `hoist-uploader serve`
// killed while it assembles a multipart upload on disk storage, and disk storage on a full disk.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { after, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { TransportError } from '../../src/transport/errors.js'
import { startCli, startDemo, type Running } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { completeUpload, endpointClient, uploadParts, uploadSingle } from '../helpers/client.js'
import { events, fileSha, record, setInputFiles, sha256, storedSha, testBytes, upload, writeTestFile } from '../helpers/page.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'

const run = promisify(execFile)
const MiB = 1024 * 1024
const root = new URL('../..', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'hoist-crash-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** Polls `check` every few ms until it is true; false after `ms`. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 2))) if (check()) return true
  return false
}

/** What GET /object answers for `key`: its status and, when stored, the bytes its read URL serves. */
async function objectAt(server: Running, key: string): Promise<{ status: number; bytes?: Uint8Array }> {
  const r = await fetch(`${server.url}/object?${new URLSearchParams({ key })}`)
  const info = (await r.json()) as { url?: string }
  if (r.status !== 200) return { status: r.status }
  return { status: 200, bytes: new Uint8Array(await (await fetch(info.url!)).arrayBuffer()) }
}

/** Every file under the storage folder's objects, as paths relative to it. */
const storedFiles = (dir: string) => (existsSync(join(dir, 'objects')) ? readdirSync(join(dir, 'objects'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort() : [])

describe('crash: radosgw restarts mid-upload', () => {
  it('the widget retries the parts that failed and completes, byte-identical', async () => {
    const rgwDir = process.env.HOIST_RGW_DIR
    if (!rgwDir) throw new Error('HOIST_RGW_DIR is not set: run this through `npm test -- e2e`, which starts the Ceph cluster this test restarts radosgw in.')
    const file = join(work, 'video-64MiB.bin')
    const sha = writeTestFile(file, 64 * MiB, 9)
    const s3 = await makeBucket('crash')
    const app = await startDemo({ bucket: s3.bucket })
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.addInitScript('globalThis.__name = (f) => f')
      await page.goto(app.url)
      await record(page)
      const failed: string[] = []
      page.on('requestfailed', (r) => failed.push(`${r.method()} ${new URL(r.url()).pathname}`))
      // At 8 MiB/s the file takes about 8 s, so the restart lands in its middle rather than after it.
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * MiB })
      await setInputFiles(page, [file])
      const result = upload(page)
      await page.waitForFunction(() => (window as unknown as { __events: { type: string; detail: { bytesUploaded: number } }[] }).__events.some((e) => e.type === 'upload-progress' && e.detail.bytesUploaded > 12 * 1024 * 1024))
      await run('bash', [join(root, 'scripts/rgw.sh'), 'restart-rgw', rgwDir])
      assert.equal((await events(page, 'upload-complete')).length, 0, 'the upload was still running when radosgw came back')
      const { successful, failed: failedFiles } = await result
      assert.deepEqual(failedFiles, [])
      assert.ok(failed.length > 0, 'some requests failed while radosgw was down, and were retried')
      assert.equal(successful[0].multipart, true)
      assert.equal(await storedSha(successful[0]), sha)
    } finally {
      await browser.close()
      await app.stop()
      await emptyBucket(s3.client, s3.bucket)
    }
  })
})

describe('crash: the server is killed while it assembles a multipart upload on disk storage', () => {
  it('the object is then absent or whole, never truncated, and a complete retried on a restarted server succeeds', async () => {
    const dir = join(work, 'killed')
    const env = { HOIST_SECRET: randomBytes(24).toString('base64url') }
    const bytes = testBytes(256 * MiB, 3)
    const first = await startCli([], undefined, { dir, env })
    let second: Running | undefined
    try {
      const parts = await uploadParts(endpointClient(first.url), 'assembled.bin', bytes, 64 * MiB)
      const object = join(dir, 'objects', ...parts.key.split('/'))
      const completing = endpointClient(first.url).complete(parts.key, parts.uploadId, parts.parts).then(
        () => 'answered',
        () => 'no answer',
      )
      // Assembling has begun once a file appears where the object goes, or beside it (a temp file).
      const assembling = () => {
        try {
          return readdirSync(dirname(object)).some((n) => n.startsWith(basename(object)))
        } catch {
          return false
        }
      }
      assert.ok(await waitFor(assembling, 30_000), 'the server started assembling the object')
      await first.kill()
      assert.equal(await completing, 'no answer', 'the server was killed before it answered the complete')
      if (existsSync(object)) assert.equal(fileSha(object), sha256(bytes), 'an object in place is whole')

      second = await startCli([], undefined, { dir, env })
      const before = await objectAt(second, parts.key)
      assert.ok(before.status === 404 || (before.status === 200 && sha256(before.bytes!) === sha256(bytes)), `GET /object answered ${before.status} with ${before.bytes?.length} bytes`)
      await completeUpload(endpointClient(second.url), parts, bytes.length)
      const stored = await objectAt(second, parts.key)
      assert.equal(stored.status, 200)
      assert.equal(sha256(stored.bytes!), sha256(bytes))
    } finally {
      await second?.stop()
      await first.stop()
    }
  })
})

describe('crash: disk storage on a full disk', () => {
  it('answers 507 storage_full, leaves nothing half-written, and smaller files still upload', async () => {
    const mount = join(work, 'tmpfs')
    mkdirSync(mount)
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]).catch((err) => {
      throw new Error(`Mounting an 8 MiB tmpfs failed (this test runs as root, as \`npm test\` does here): ${err.message}`)
    })
    const dir = join(mount, 'data')
    const cli = await startCli([], undefined, { dir }).catch(async (err) => {
      await run('umount', [mount])
      throw err
    })
    const isFull = (err: unknown) => err instanceof TransportError && err.status === 507 && err.code === 'storage_full' && /storage is full/.test(err.message)
    try {
      const b = endpointClient(cli.url)
      // One PUT larger than the whole disk.
      await assert.rejects(uploadSingle(b, 'too-big.bin', testBytes(12 * MiB, 1)), isFull)
      assert.deepEqual(storedFiles(dir), [], 'nothing of the refused file is left')

      const small = [0, 1, 2].map((i) => ({ name: `small-${i}.bin`, bytes: testBytes(200_000, 10 + i) }))
      for (const f of small) {
        const key = await uploadSingle(b, f.name, f.bytes)
        assert.equal(sha256((await objectAt(cli, key)).bytes!), sha256(f.bytes), f.name)
      }

      // Its parts fit (5 + 2 MiB); assembling them needs 7 MiB more, which the disk does not have.
      const big = testBytes(7 * MiB, 4)
      const parts = await uploadParts(b, 'assembled.bin', big, 5 * MiB)
      await assert.rejects(completeUpload(b, parts, big.length), isFull)
      assert.deepEqual(storedFiles(dir), small.map((f) => f.name).sort(), 'only the small files are stored')
      assert.equal((await objectAt(cli, parts.key)).status, 404)
      // The parts are kept for a later complete; aborting frees them, and a file of their size then fits.
      assert.equal((await b.list(parts.key, parts.uploadId)).length, 2)
      await b.abort(parts.key, parts.uploadId)
      const after = testBytes(5 * MiB, 5)
      assert.equal(sha256((await objectAt(cli, await uploadSingle(b, 'after.bin', after))).bytes!), sha256(after))
    } finally {
      await cli.stop()
      await run('umount', [mount])
    }
  })
})
