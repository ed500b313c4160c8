import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { HttpError } from '../../src/server/index.js'
import { BASE, call, createMultipart, diskHandler, MiB, put, q } from '../helpers/server.js'
import { validType } from '../../src/server/policy.js'

const env = diskHandler({ maxFileSize: '20MiB', allowedTypes: ['image/*', 'video/*', '.pdf'] })
const { handler } = env
after(env.cleanup)

describe('routing and errors', () => {
  it('answers unknown routes with a JSON 404', async () => {
    const r = await call(handler, 'GET', '/nope')
    assert.equal(r.status, 404)
    assert.equal(r.json.error.code, 'not_found')
  })
  it('answers paths outside basePath with 404', async () => {
    const r = await call(handler, 'GET', 'http://app.test/elsewhere/s3/params')
    assert.equal(r.status, 404)
  })
  it('puts "[code] message" in the reason phrase for stock clients', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'a.exe', type: 'application/x-msdownload' })}`)
    assert.equal(r.status, 415)
    assert.match(r.statusText, /^\[type_not_allowed\] Files of type/)
  })
  it('hides unexpected errors behind a generic 500', async () => {
    const seen: unknown[] = []
    const broken = diskHandler({ onError: (e) => seen.push(e), key: () => { throw new Error('secret internals /etc/db-password') } })
    const r = await call(broken.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' })
    broken.cleanup()
    assert.equal(r.status, 500)
    assert.deepEqual(r.json, { error: { code: 'internal_error', message: 'The upload server failed to handle this request.' } })
    assert.doesNotMatch(r.text, /password|stack|at /)
    assert.equal(seen.length, 1)
  })
  it('refuses malformed JSON bodies', async () => {
    const r = await call(handler, 'POST', '/s3/multipart', '{not json', { 'content-type': 'application/json' })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'invalid_json')
  })
})

describe('authorize', () => {
  it('is required', () => {
    assert.throws(() => diskHandler({ authorize: undefined }), /authorize is required/)
  })
  it('answers 401 when it returns nothing', async () => {
    const h = diskHandler({ authorize: () => null as unknown as { id: string } })
    const r = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' })
    h.cleanup()
    assert.equal(r.status, 401)
    assert.equal(r.json.error.code, 'unauthorized')
  })
  it('answers 401 without internals when it throws', async () => {
    const h = diskHandler({ authorize: () => { throw new Error('jwt malformed at line 3') } })
    const r = await call(h.handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png' })}`)
    h.cleanup()
    assert.equal(r.status, 401)
    assert.doesNotMatch(r.text, /jwt/)
  })
  it('keeps the status of a thrown HttpError', async () => {
    const h = diskHandler({ authorize: () => { throw new HttpError(403, 'quota_exceeded', 'You have used your storage.') } })
    const r = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' })
    h.cleanup()
    assert.equal(r.status, 403)
    assert.deepEqual(r.json.error, { code: 'quota_exceeded', message: 'You have used your storage.' })
  })
})

describe('GET /s3/params (form upload)', () => {
  it('returns a POST form with the key the server chose', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'résumé 📄 ../../x.pdf', type: 'application/pdf', 'metadata[declaredSize]': '10' })}`)
    assert.equal(r.status, 200)
    assert.equal(r.json.method, 'POST')
    assert.match(r.json.fields.key, /^uploads\/u1\/\d{4}\/\d{2}\/[0-9a-f-]{36}\/x\.pdf$/)
    assert.match(r.json.url, /^http:\/\/app\.test\/api\/uploads\/disk\/post\/[\w-]+\.[\w-]+\?t=/)
  })
  it('refuses a declared size over maxFileSize', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png', 'metadata[declaredSize]': String(21 * MiB) })}`)
    assert.equal(r.status, 413)
    assert.equal(r.json.error.code, 'file_too_large')
    assert.match(r.json.error.message, /21 MiB; the limit is 20 MiB/)
  })
  it('refuses a missing filename and a bad type', async () => {
    assert.equal((await call(handler, 'GET', `/s3/params${q({ type: 'image/png' })}`)).json.error.code, 'invalid_filename')
    assert.equal((await call(handler, 'GET', `/s3/params${q({ filename: 'a', type: 'not a type' })}`)).json.error.code, 'invalid_type')
  })
  it('takes a type with parameters, as recorders give them, and keeps the type alone', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'clip.webm', type: 'video/webm;codecs=vp8,opus' })}`)
    assert.equal(r.status, 200)
    assert.equal(validType('Video/WebM; codecs="vp8, opus"'), 'video/webm')
    assert.equal((await call(handler, 'GET', `/s3/params${q({ filename: 'a', type: 'video/webm; codecs' })}`)).json.error.code, 'invalid_type')
  })
  it('accepts types by extension', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'scan.PDF', type: 'application/octet-stream' })}`)
    assert.equal(r.status, 200)
  })
  it('refuses metadata names that are not header-safe, and metadata over 2 KB', async () => {
    const bad = await call(handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png', 'metadata[bad name]': 'x' })}`)
    assert.equal(bad.json.error.code, 'invalid_metadata')
    const big = await call(handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png', 'metadata[note]': 'x'.repeat(3000) })}`)
    assert.equal(big.json.error.code, 'metadata_too_large')
  })
})

describe('multipart', () => {
  it('creates an upload whose id is opaque and signed', async () => {
    const { key, uploadId } = await createMultipart(handler, 'clip.mp4', { declaredSize: 12 * MiB, partSize: 5 * MiB })
    assert.match(key, /^uploads\/.*\/clip\.mp4$/)
    assert.match(uploadId, /^[\w-]+\.[\w-]+$/)
  })
  it('signs one part, a batch, and refuses part numbers out of range', async () => {
    const { key, uploadId } = await createMultipart(handler, 'clip.mp4', { declaredSize: 12 * MiB, partSize: 5 * MiB })
    const one = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/2${q({ key })}`)
    assert.equal(one.status, 200)
    assert.match(one.json.url, /\/disk\/part\?t=/)
    const batch = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/batch${q({ key, partNumbers: '1,2,3' })}`)
    assert.deepEqual(Object.keys(batch.json.presignedUrls), ['1', '2', '3'])
    const four = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/4${q({ key })}`)
    assert.equal(four.status, 400)
    assert.equal(four.json.error.code, 'invalid_part_number')
    const zero = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/0${q({ key })}`)
    assert.equal(zero.json.error.code, 'invalid_part_number')
  })
  it('refuses part sizes under 5 MiB or that need more than 10,000 parts', async () => {
    const small = await call(handler, 'POST', '/s3/multipart', { filename: 'a.mp4', type: 'video/mp4', metadata: { declaredSize: 10 * MiB, partSize: MiB } })
    assert.equal(small.json.error.code, 'invalid_part_size')
    const h = diskHandler({ maxFileSize: '1TB' })
    const many = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.mp4', type: 'video/mp4', metadata: { declaredSize: 60_000 * MiB, partSize: 5 * MiB } })
    h.cleanup()
    assert.equal(many.json.error.code, 'invalid_part_size')
  })
  it('uploads, lists, completes and reads back an object', async () => {
    const a = new Uint8Array(5 * MiB).fill(1)
    const b = new Uint8Array(123).fill(2)
    const { key, uploadId } = await createMultipart(handler, 'clip.mp4', { declaredSize: a.length + b.length, partSize: 5 * MiB, album: 'trip' })
    const id = encodeURIComponent(uploadId)
    const urls = (await call(handler, 'GET', `/s3/multipart/${id}/batch${q({ key, partNumbers: '1,2' })}`)).json.presignedUrls
    const p1 = await put(handler, urls['1'], a)
    const p2 = await put(handler, urls['2'], b)
    assert.equal(p1.status, 200)
    const listed = await call(handler, 'GET', `/s3/multipart/${id}${q({ key })}`)
    assert.deepEqual(listed.json.map((p: { PartNumber: number; Size: number }) => [p.PartNumber, p.Size]), [[1, a.length], [2, b.length]])
    // Parts arrive out of order and duplicated: complete sorts and deduplicates them.
    const parts = [{ PartNumber: 2, ETag: p2.etag }, { PartNumber: 1, ETag: `"${p1.etag}"` }, { PartNumber: 2, ETag: p2.etag }]
    const done = await call(handler, 'POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts })
    assert.equal(done.status, 200, done.text)
    assert.equal(done.json.key, key)
    const info = await call(handler, 'GET', `/object${q({ key })}`)
    assert.equal(info.json.size, a.length + b.length)
    assert.equal(info.json.name, 'clip.mp4')
    assert.match(info.json.etag, /^[0-9a-f]{32}-2$/)
    const read = await handler(new Request(info.json.url))
    const bytes = new Uint8Array(await read.arrayBuffer())
    assert.equal(bytes.length, a.length + b.length)
    assert.equal(bytes[0], 1)
    assert.equal(bytes.at(-1), 2)
  })
  it('refuses completing with a gap in the parts', async () => {
    const { key, uploadId } = await createMultipart(handler)
    const r = await call(handler, 'POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete${q({ key })}`, { parts: [{ PartNumber: 2, ETag: 'x' }] })
    assert.equal(r.status, 400)
    assert.match(r.json.error.message, /part 1 is missing/)
  })
  it('aborts: the upload is gone afterwards', async () => {
    const { key, uploadId } = await createMultipart(handler)
    const id = encodeURIComponent(uploadId)
    assert.equal((await call(handler, 'DELETE', `/s3/multipart/${id}${q({ key })}`)).status, 200)
    const r = await call(handler, 'GET', `/s3/multipart/${id}${q({ key })}`)
    assert.equal(r.status, 404)
    assert.equal(r.json.error.code, 'upload_not_found')
  })
})

describe('a client that lies', () => {
  it('cannot use an upload id with another key', async () => {
    const a = await createMultipart(handler, 'a.mp4')
    const b = await createMultipart(handler, 'b.mp4')
    const r = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(a.uploadId)}/1${q({ key: b.key })}`)
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'invalid_upload_id')
  })
  it('cannot forge or alter an upload id', async () => {
    const { key, uploadId } = await createMultipart(handler, 'a.mp4', { declaredSize: 6 * MiB, partSize: 5 * MiB })
    const [body, mac] = uploadId.split('.')
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    payload.s = 6000 * MiB
    const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`
    const r = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(forged)}/1${q({ key })}`)
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'invalid_token')
  })
  it('cannot touch keys outside its prefix', async () => {
    const { uploadId } = await createMultipart(handler, 'a.mp4')
    const r = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}${q({ key: 'private/other-user/file' })}`)
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'key_not_allowed')
    const traversal = await call(handler, 'GET', `/object${q({ key: 'uploads/../private/x' })}`)
    assert.equal(traversal.status, 400)
    assert.equal(traversal.json.error.code, 'invalid_key')
  })
  it('with per-user prefixes, cannot reach another user’s uploads', async () => {
    let who = 'alice'
    const h = diskHandler({ authorize: () => ({ id: who }), keyPrefix: (u) => `users/${u.id}/` })
    const alice = await createMultipart(h.handler, 'a.mp4')
    assert.match(alice.key, /^users\/alice\//)
    who = 'mallory'
    const r = await call(h.handler, 'DELETE', `/s3/multipart/${encodeURIComponent(alice.uploadId)}${q({ key: alice.key })}`)
    h.cleanup()
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'key_not_allowed')
  })
  it('gets a part URL that refuses a body of another length', async () => {
    const { key, uploadId } = await createMultipart(handler, 'a.mp4', { declaredSize: 6 * MiB, partSize: 5 * MiB })
    const url = (await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/2${q({ key })}`)).json.url
    const longer = await put(handler, url, new Uint8Array(MiB + 1))
    assert.equal(longer.status, 400)
    assert.equal(longer.json.error.code, 'length_mismatch')
    const shorter = await put(handler, url, new Uint8Array(MiB - 1))
    assert.equal(shorter.json.error.code, 'length_mismatch')
    assert.equal((await put(handler, url, new Uint8Array(MiB))).status, 200)
  })
  it('without declared sizes, is stopped at complete when the parts exceed maxFileSize', async () => {
    const h = diskHandler({ maxFileSize: '6MiB' })
    const { key, uploadId } = await createMultipart(h.handler, 'a.mp4')
    const id = encodeURIComponent(uploadId)
    const urls = (await call(h.handler, 'GET', `/s3/multipart/${id}/batch${q({ key, partNumbers: '1,2' })}`)).json.presignedUrls
    const p1 = await put(h.handler, urls['1'], new Uint8Array(5 * MiB))
    const p2 = await put(h.handler, urls['2'], new Uint8Array(2 * MiB))
    const r = await call(h.handler, 'POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts: [{ PartNumber: 1, ETag: p1.etag }, { PartNumber: 2, ETag: p2.etag }] })
    assert.equal(r.status, 413)
    assert.equal(r.json.error.code, 'file_too_large')
    assert.equal(await h.storage.head(key), null)
    assert.equal((await call(h.handler, 'GET', `/s3/multipart/${id}${q({ key })}`)).status, 404, 'the upload was aborted')
    h.cleanup()
  })
  it('has a stored object that differs from its declared size refused by a read, and deleted only by a finish', async () => {
    const params = await call(handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png', method: 'PUT', 'metadata[declaredSize]': '50' })}`)
    const key = params.json.key
    // Stored behind the signed URL's back, as a store without length checks would let it be.
    await env.storage.presignPut({ key, type: 'image/png', metadata: {} }, 100, 60, { baseUrl: BASE, readExpiresIn: 60 }).then(({ url }) =>
      handler(new Request(url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(100) })),
    )
    const read = await call(handler, 'GET', `/object${q({ key, declaredSize: '50' })}`)
    assert.equal(read.status, 400)
    assert.equal(read.json.error.code, 'size_mismatch')
    assert.notEqual(await env.storage.head(key), null, 'a read never deletes')
    const finish = await call(handler, 'POST', '/finish', { token: params.json.token })
    assert.equal(finish.status, 400)
    assert.equal(finish.json.error.code, 'size_mismatch')
    assert.equal(await env.storage.head(key), null)
  })
})

describe('CORS', () => {
  const h = diskHandler({ allowedOrigins: ['https://app.example', 'http://localhost:*'] })
  after(h.cleanup)
  it('answers preflight for allowed origins only', async () => {
    const ok = await call(h.handler, 'OPTIONS', '/s3/multipart', undefined, { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' })
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000')
    const no = await call(h.handler, 'OPTIONS', '/s3/multipart', undefined, { origin: 'https://evil.example' })
    assert.equal(no.headers.get('access-control-allow-origin'), null)
  })
  it('refuses cross-origin calls from other origins, so cookies cannot be ridden', async () => {
    const r = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' }, { origin: 'https://evil.example' })
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'origin_not_allowed')
  })
  it('exposes ETag to allowed origins and lets same-origin calls through', async () => {
    const r = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' }, { origin: 'https://app.example' })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('access-control-expose-headers'), 'ETag, Content-Range, Accept-Ranges, Retry-After')
    const same = await call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' }, { origin: 'http://app.test' })
    assert.equal(same.status, 200)
    assert.equal(same.headers.get('access-control-allow-origin'), null)
  })
  it('by default allows no other origin', async () => {
    const r = await call(handler, 'GET', `/s3/params${q({ filename: 'a.png', type: 'image/png' })}`, undefined, { origin: 'http://localhost:3000' })
    assert.equal(r.status, 403)
  })
})
