import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { call, createMultipart, diskHandler, MiB, put, q } from '../helpers/server.js'

const env = diskHandler({ maxFileSize: '20MiB' })
after(env.cleanup)

const putBytes = (url: string, bytes: Uint8Array, type: string) =>
  env.handler(new Request(url, { method: 'PUT', body: bytes as BodyInit, headers: { 'content-type': type } }))

describe('GET /s3/params?method=PUT (single PUT, exact length)', () => {
  const paramsFor = (size: number, extra: Record<string, string> = {}) =>
    call(env.handler, 'GET', `/s3/params${q({ filename: 'notes.txt', type: 'text/plain', method: 'PUT', 'metadata[declaredSize]': String(size), 'metadata[album]': 'trip', ...extra })}`)

  it('signs a PUT for the declared size and type; the stored object keeps its type and metadata', async () => {
    const r = await paramsFor(11)
    assert.equal(r.status, 200)
    assert.equal(r.json.method, 'PUT')
    assert.deepEqual(r.json.headers, { 'content-type': 'text/plain' })
    assert.equal(r.json.expires, 900)
    assert.match(r.json.key, /^uploads\/.*\/notes\.txt$/)
    const stored = await putBytes(r.json.url, new TextEncoder().encode('hello world'), 'text/plain')
    assert.equal(stored.status, 200)
    assert.match(stored.headers.get('etag')!, /^"[0-9a-f]{32}"$/)
    const info = await call(env.handler, 'GET', `/object${q({ key: r.json.key, declaredSize: '11' })}`)
    assert.equal(info.status, 200)
    assert.equal(info.json.type, 'text/plain')
    assert.equal(info.json.name, 'notes.txt')
    const head = await env.storage.head(r.json.key)
    assert.equal(head?.metadata.album, 'trip')
  })
  it('refuses a body of another length, or another type, and stores nothing', async () => {
    const r = await paramsFor(11)
    const longer = await putBytes(r.json.url, new Uint8Array(12), 'text/plain')
    assert.equal(longer.status, 400)
    assert.equal((await longer.json()).error.code, 'length_mismatch')
    const typed = await putBytes(r.json.url, new Uint8Array(11), 'text/html')
    assert.equal(typed.status, 403)
    assert.equal((await typed.json()).error.code, 'type_mismatch')
    assert.equal(await env.storage.head(r.json.key), null)
  })
  it('needs a declared size, within maxFileSize', async () => {
    const none = await call(env.handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain', method: 'PUT' })}`)
    assert.equal(none.status, 400)
    assert.match(none.json.error.message, /declaredSize/)
    const big = await paramsFor(21 * MiB)
    assert.equal(big.status, 413)
    assert.equal(big.json.error.code, 'file_too_large')
  })
  it('still answers stock clients (no method) with a POST form', async () => {
    const r = await call(env.handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain' })}`)
    assert.equal(r.json.method, 'POST')
  })
})

describe('batch signing', () => {
  it('says how long the URLs last', async () => {
    const { key, uploadId } = await createMultipart(env.handler, 'clip.mp4', { declaredSize: 12 * MiB, partSize: 5 * MiB })
    const batch = await call(env.handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/batch${q({ key, partNumbers: '1,2,3' })}`)
    assert.equal(batch.json.expires, 900)
  })
  it('signs the first parts with the create call when asked, each for its exact length', async () => {
    const r = await call(env.handler, 'POST', '/s3/multipart', { filename: 'clip.mp4', type: 'video/mp4', metadata: { declaredSize: 12 * MiB, partSize: 5 * MiB }, partNumbers: [1, 2, 3] })
    assert.equal(r.status, 200)
    assert.deepEqual(Object.keys(r.json.presignedUrls), ['1', '2', '3'])
    assert.equal(r.json.expires, 900)
    // The last URL takes exactly the last 2 MiB, as the batch route's would.
    const short = await put(env.handler, r.json.presignedUrls[3], new Uint8Array(2 * MiB))
    assert.equal(short.status, 200)
    const wrong = await put(env.handler, r.json.presignedUrls[1], new Uint8Array(2 * MiB))
    assert.equal(wrong.status, 400)
    // Stock clients send no partNumbers and get Companion's answer.
    const plain = await call(env.handler, 'POST', '/s3/multipart', { filename: 'clip.mp4', type: 'video/mp4', metadata: {} })
    assert.deepEqual(Object.keys(plain.json).sort(), ['key', 'uploadId'])
  })
  it('refuses bad part numbers in the create call before creating anything', async () => {
    const openBefore = readdirSync(join(env.dir, 'multipart')).length
    for (const partNumbers of [[0], ['x'], [], 'nope', Array.from({ length: 1001 }, (_, i) => i + 1)]) {
      const r = await call(env.handler, 'POST', '/s3/multipart', { filename: 'clip.mp4', type: 'video/mp4', metadata: { declaredSize: 12 * MiB }, partNumbers })
      assert.equal(r.status, 400, JSON.stringify(partNumbers).slice(0, 40))
      assert.equal(r.json.error.code, 'invalid_part_number')
    }
    assert.deepEqual(readdirSync(join(env.dir, 'multipart')).length, openBefore)
  })
})

describe('complete', () => {
  it('answers with what GET /object would, so the client needs no second call', async () => {
    const { key, uploadId } = await createMultipart(env.handler, 'clip.mp4', { declaredSize: 6 * MiB, partSize: 5 * MiB }, 'video/mp4')
    const id = encodeURIComponent(uploadId)
    const signed = await call(env.handler, 'GET', `/s3/multipart/${id}/batch${q({ key, partNumbers: '1,2' })}`)
    const etags = [(await put(env.handler, signed.json.presignedUrls[1], new Uint8Array(5 * MiB))).etag, (await put(env.handler, signed.json.presignedUrls[2], new Uint8Array(MiB))).etag]
    const done = await call(env.handler, 'POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) })
    assert.equal(done.status, 200)
    const info = await call(env.handler, 'GET', `/object${q({ key, declaredSize: String(6 * MiB) })}`)
    // The read URL is signed afresh on each call, so compare it by its path.
    const { url, location, ...rest } = done.json
    const { url: url2, ...rest2 } = info.json
    assert.equal(location, url)
    assert.equal(new URL(url).pathname, new URL(url2).pathname)
    assert.deepEqual(rest, rest2)
    assert.equal(done.json.size, 6 * MiB)
    assert.equal(done.json.type, 'video/mp4')
    assert.equal(done.json.name, 'clip.mp4')
  })
})

describe('rate limit', () => {
  it('answers 429 with Retry-After past the limit, per user', async () => {
    let user = 'a'
    const h = diskHandler({ rateLimit: { limit: 3, windowMs: 60_000 }, authorize: () => ({ id: user }) })
    after(h.cleanup)
    const sign = () => call(h.handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain' })}`)
    for (let i = 0; i < 3; i++) assert.equal((await sign()).status, 200)
    const limited = await sign()
    assert.equal(limited.status, 429)
    assert.equal(limited.json.error.code, 'rate_limited')
    assert.equal(limited.headers.get('retry-after'), '20')
    user = 'b'
    assert.equal((await sign()).status, 200, 'another user has a bucket of its own')
  })
  it('refills over the window', async () => {
    const h = diskHandler({ rateLimit: { limit: 1, windowMs: 200 } })
    after(h.cleanup)
    const sign = () => call(h.handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain' })}`)
    assert.equal((await sign()).status, 200)
    assert.equal((await sign()).status, 429)
    await new Promise((r) => setTimeout(r, 250))
    assert.equal((await sign()).status, 200)
  })
  it('can be turned off, and refuses nonsense settings', async () => {
    const h = diskHandler({ rateLimit: false })
    after(h.cleanup)
    for (let i = 0; i < 50; i++) assert.equal((await call(h.handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain' })}`)).status, 200)
    assert.throws(() => diskHandler({ rateLimit: { limit: 0 } }), /rateLimit/)
  })
})

describe('CORS preflight', () => {
  it('allows the headers the app\'s client asks for (a bearer token, an API key)', async () => {
    const h = diskHandler({ allowedOrigins: ['https://app.example'] })
    after(h.cleanup)
    const r = await call(h.handler, 'OPTIONS', '/s3/multipart', undefined, {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, x-api-key, content-type',
    })
    assert.equal(r.headers.get('access-control-allow-headers'), 'authorization, x-api-key, content-type')
  })
})
