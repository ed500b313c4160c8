// The transport's state machine in Node against the real handler on disk storage, up to the first
// PUT (which needs the browser's XMLHttpRequest; the e2e suites cover the rest in Chromium).
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { toNodeHandler } from '../../src/server/index.js'
import { Backend } from '../../src/transport/backend.js'
import { FileUpload, type MultipartState } from '../../src/transport/file-upload.js'
import { fingerprintOf } from '../../src/transport/fingerprint.js'
import { Limiter } from '../../src/transport/limiter.js'
import { call, createMultipart, diskHandler, MiB, put, q } from '../helpers/server.js'

const env = diskHandler()
let server: Server
let endpoint = ''
/** Endpoint calls, as "METHOD path". */
const calls: string[] = []
before(async () => {
  const node = toNodeHandler(env.handler)
  server = createServer((req, res) => {
    calls.push(`${req.method} ${new URL(req.url!, 'http://x').pathname.replace(/\/s3\/multipart\/[^/]+/, '/s3/multipart/:id')}`)
    return node(req, res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/uploads`
})
after(() => {
  server.close()
  env.cleanup()
})

/** The sizes an upload id was issued for (it is a signed token the server reads back). */
const declaredIn = (uploadId: string) => JSON.parse(Buffer.from(uploadId.split('.')[0], 'base64url').toString()) as { uploadId: string; key: string; size?: number; partSize?: number }

function upload(data: Blob, partSize: number | undefined, resume: MultipartState | undefined, states: (MultipartState | undefined)[], progress: [number, boolean][] = []) {
  const retry = { retries: 0, baseDelay: 1, maxDelay: 1 }
  return new FileUpload(data, {
    backend: new Backend({ endpoint, retry }),
    limiter: new Limiter(6),
    retry,
    stallTimeout: 30_000,
    partSize,
    signBatch: 24,
    name: 'clip.mp4',
    type: 'video/mp4',
    metadata: { declaredSize: data.size },
    resume,
    onState: (s) => states.push(s),
    onProgress: (sent, _total, now) => progress.push([sent, now ?? false]),
  })
}

describe('FileUpload', () => {
  it('declares the part size it cuts, also when a restored upload of another part size starts over', async () => {
    const data = new Blob([new Uint8Array(12 * MiB)])
    const states: (MultipartState | undefined)[] = []
    // A restored upload planned with 8 MiB parts, whose file no longer matches: it must start over with 5 MiB parts.
    const stale: MultipartState = { key: 'uploads/old/clip.mp4', uploadId: 'gone.x', partSize: 8 * MiB, fingerprint: 'another file' }
    await assert.rejects(upload(data, 5 * MiB, stale, states).start(), /XMLHttpRequest/)
    const created = states.find((s) => s !== undefined)!
    assert.equal(created.partSize, 5 * MiB)
    const { key, size, partSize } = declaredIn(created.uploadId)
    assert.deepEqual({ key, size, partSize }, { key: created.key, size: 12 * MiB, partSize: 5 * MiB })
  })
  it('turns a restored one-PUT plan into multipart parts of at least 5 MiB when it has to start over', async () => {
    const data = new Blob([new Uint8Array(3 * MiB)])
    const states: (MultipartState | undefined)[] = []
    const stale: MultipartState = { key: 'uploads/old/clip.mp4', uploadId: 'gone.x', partSize: 8 * MiB, fingerprint: 'another file' }
    await assert.rejects(upload(data, undefined, stale, states).start(), /XMLHttpRequest/)
    assert.equal(declaredIn(states.find((s) => s !== undefined)!.uploadId).partSize, 5 * MiB)
  })
  it('gets its first part URLs with the plan: no signing round trip before the first PUT', async () => {
    calls.length = 0
    await assert.rejects(upload(new Blob([new Uint8Array(12 * MiB)]), 5 * MiB, undefined, []).start(), /XMLHttpRequest/)
    assert.deepEqual(calls, ['POST /api/uploads/plan'])
  })
})

describe('fingerprintOf', () => {
  const a = new Blob([new Uint8Array(200 * 1024).fill(1)])
  const b = new Blob([new Uint8Array(200 * 1024).fill(1), new Uint8Array([2])])
  const c = new Blob([new Uint8Array(100 * 1024).fill(1), new Uint8Array([9]), new Uint8Array(100 * 1024 - 1).fill(1)])
  it('tells files apart by size and by their first and last 64 KiB (SHA-256)', async () => {
    assert.match(await fingerprintOf(a), /^204800:[0-9a-f]{64}$/)
    assert.equal(await fingerprintOf(a), await fingerprintOf(new Blob([new Uint8Array(200 * 1024).fill(1)])))
    assert.notEqual(await fingerprintOf(a), await fingerprintOf(b))
    // A change in the middle is not looked at: the listing of stored parts guards the rest.
    assert.equal(await fingerprintOf(a), await fingerprintOf(c))
  })
  it('works without Web Crypto, as on a page served over plain http', async () => {
    const crypto = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!
    Object.defineProperty(globalThis, 'crypto', { value: {}, configurable: true })
    try {
      assert.match(await fingerprintOf(a), /^204800:fnv:[0-9a-f]{16}$/)
      const edited = new Blob([new Uint8Array([7]), new Uint8Array(200 * 1024 - 1).fill(1)])
      assert.notEqual(await fingerprintOf(a), await fingerprintOf(edited))
      assert.equal(await fingerprintOf(a), await fingerprintOf(new Blob([new Uint8Array(200 * 1024).fill(1)])))
    } finally {
      Object.defineProperty(globalThis, 'crypto', crypto)
    }
  })
})

describe('FileUpload resuming an upload restored after a reload', () => {
  const partSize = 5 * MiB
  // 13 MiB: parts of 5, 5 and 3 MiB. B has A's size and first and last 64 KiB, and another middle.
  const a = new Uint8Array(13 * MiB)
  for (let i = 0; i < a.length; i++) a[i] = (i * 7) & 0xff
  const b = new Uint8Array(a)
  b.fill(9, 64 * 1024, a.length - 64 * 1024)

  /** What a run before the reload left: `parts` of `bytes` stored with the server's own routes. */
  async function stored(bytes: Uint8Array<ArrayBuffer>, parts: number[]): Promise<MultipartState> {
    const { key, uploadId } = await createMultipart(env.handler, 'clip.mp4', { declaredSize: bytes.length, partSize })
    const urls = (await call(env.handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/batch${q({ key, partNumbers: parts.join(',') })}`)).json.presignedUrls
    for (const n of parts) assert.equal((await put(env.handler, urls[n], bytes.subarray((n - 1) * partSize, n * partSize))).status, 200)
    return { key, uploadId, partSize, fingerprint: await fingerprintOf(new Blob([bytes])) }
  }
  const listed = (s: MultipartState) => call(env.handler, 'GET', `/s3/multipart/${encodeURIComponent(s.uploadId)}${q({ key: s.key })}`)

  it('starts over, aborting the stored upload, when its parts hold another file of the same size and ends', async () => {
    const old = await stored(a, [1, 2])
    assert.equal(await fingerprintOf(new Blob([b])), old.fingerprint)
    const states: (MultipartState | undefined)[] = []
    const progress: [number, boolean][] = []
    await assert.rejects(upload(new Blob([b]), partSize, old, states, progress).start(), /XMLHttpRequest/)
    const created = states.find((s) => s !== undefined)!
    assert.notEqual(created.uploadId, old.uploadId)
    assert.equal((await listed(old)).status, 404)
    // Nothing of the old upload counts: the new one's parts start from 0.
    assert.deepEqual(progress.filter(([, now]) => now).at(-1), [0, true])
  })
  it('keeps the stored parts that hold the same file\'s bytes: no create call, progress says so before any PUT', async () => {
    const old = await stored(a, [1, 2])
    calls.length = 0
    const progress: [number, boolean][] = []
    await assert.rejects(upload(new Blob([a]), partSize, old, [], progress).start(), /XMLHttpRequest/)
    assert.deepEqual(calls, ['GET /api/uploads/s3/multipart/:id', 'GET /api/uploads/s3/multipart/:id/batch'])
    // From nothing up to the two checked parts, reported at once, never more (the PUT in Node fails before sending).
    assert.deepEqual(progress[0], [0, true])
    assert.deepEqual(progress.filter(([, now]) => now).at(-1), [10 * MiB, true])
    assert.ok(progress.every(([sent]) => sent <= 10 * MiB))
    assert.equal((await listed(old)).json.length, 2)
  })
  it('completes without sending a byte when every part is stored, and the stored file is the file', async () => {
    const old = await stored(a, [1, 2, 3])
    const result = await upload(new Blob([a]), partSize, old, []).start()
    const info = await call(env.handler, 'GET', `/object${q({ key: result.key })}`)
    const read = new Uint8Array(await (await env.handler(new Request(info.json.url))).arrayBuffer())
    assert.deepEqual(read, a)
  })
})
