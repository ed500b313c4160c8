// The hosted-API adapters behind the handler, against their contract fakes, driven from Node as the
// page would: POST /plan, send the bytes as planned, POST /finish.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  cloudinarySignature,
  cloudinaryStorage,
  createUploadHandler,
  luwStorage,
  uploadcareSignature,
  uploadcareStorage,
  upscaylStorage,
  viesusStorage,
  type UploadHandlerOptions,
} from '../../src/server/index.js'
import { parseCloudinaryUrl, SetupError, storageFromEnv } from '../../src/server/from-env.js'
import { responseSignature, startCloudinaryFake } from '../fakes/cloudinary.js'
import { startUpscaylFake } from '../fakes/upscayl.js'
import { startViesusFake } from '../fakes/viesus.js'
import { startUploadcareFake } from '../fakes/uploadcare.js'
import { startLuwFake } from '../fakes/luw.js'
import { call, type Handler, SECRET } from '../helpers/server.js'
import { png } from '../helpers/png.js'

const KEY = 'provider-api-key-0123456789'
const API_SECRET = 'provider-api-secret-0123456789'

const hosted = (storage: UploadHandlerOptions['storage'], o: Partial<UploadHandlerOptions> = {}): Handler =>
  createUploadHandler({ storage, secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: 'u1' }), onError: () => {}, ...o })

const planFor = (h: Handler, filename: string, type: string, size: number, metadata: Record<string, unknown> = {}) => call(h, 'POST', '/plan', { filename, type, size, metadata })

/** Sends the bytes as a page would: a form (or chunk) POST of the plan's fields and the file. */
async function postForm(url: string, fields: Record<string, string>, fileField: string, bytes: Uint8Array, name: string, headers: Record<string, string> = {}) {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append(fileField, new Blob([bytes as BlobPart]), name)
  const r = await fetch(url, { method: 'POST', body: form, headers: { origin: 'http://page.test', ...headers } })
  return { status: r.status, json: await r.json() }
}

describe('published signature examples', () => {
  it('Cloudinary: the docs\' example parameters and secret give the docs\' signature', () => {
    // https://cloudinary.com/documentation/authentication_signatures
    const params = { eager: 'w_400,h_300,c_pad|w_260,h_200,c_crop', public_id: 'sample_image', timestamp: 1315060510 }
    assert.equal(cloudinarySignature(params, 'abcd'), 'bfd09f95f331f558cbd1320e67aa8d488770583e')
    // file, cloud_name, resource_type and api_key are not signed.
    assert.equal(cloudinarySignature({ ...params, file: 'x', api_key: '1', resource_type: 'image', cloud_name: 'demo' }, 'abcd'), 'bfd09f95f331f558cbd1320e67aa8d488770583e')
  })
  it('Uploadcare: HMAC-SHA256 of the expire time, keyed by the secret, in hex', () => {
    // The docs' expire and secret; the value is `openssl dgst -sha256 -hmac project_secret_key` of "1454903856".
    assert.equal(uploadcareSignature('project_secret_key', 1454903856), 'd39a461d41f607338abffee5f31da4d4e46535651c87346e76906bf75c064d47')
  })
})

describe('policy applies before any provider call', () => {
  let fake: Awaited<ReturnType<typeof startUpscaylFake>>
  before(async () => {
    fake = await startUpscaylFake({ apiKey: KEY })
  })
  after(() => fake.close())
  it('refuses a file over maxFileSize, a type not allowed and an unauthorized user without asking Upscayl', async () => {
    const h = hosted(upscaylStorage({ apiKey: KEY, apiUrl: fake.url }), { maxFileSize: '1MiB', allowedTypes: ['image/*'] })
    assert.equal((await planFor(h, 'big.png', 'image/png', 2 * 1024 * 1024)).status, 413)
    assert.equal((await planFor(h, 'a.pdf', 'application/pdf', 10)).status, 415)
    const closed = hosted(upscaylStorage({ apiKey: KEY, apiUrl: fake.url }), { authorize: () => null })
    assert.equal((await planFor(closed, 'a.png', 'image/png', 10)).status, 401)
    assert.equal(fake.requests.length, 0)
  })
  it('answers the Companion S3 routes with not_supported, naming the transport to use', async () => {
    const h = hosted(upscaylStorage({ apiKey: KEY, apiUrl: fake.url }))
    const r = await call(h, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'not_supported')
    assert.match(r.json.error.message, /Upscayl.*POST \/plan/)
  })
})

describe('Upscayl: errors by status, secrets redacted', () => {
  let fake: Awaited<ReturnType<typeof startUpscaylFake>>
  let h: Handler
  before(async () => {
    fake = await startUpscaylFake({ apiKey: KEY })
    h = hosted(upscaylStorage({ apiKey: KEY, apiUrl: fake.url }))
  })
  after(() => fake.close())
  for (const [status, body, code, ours] of [
    [400, 'Bad Request: Missing User ID', 'provider_rejected', 400],
    [402, 'Insufficient credits', 'provider_payment_required', 402],
    [500, 'Internal Server Error', 'provider_error', 502],
  ] as const) {
    it(`${status} from get-upload-url → ${ours} ${code}`, async () => {
      fake.failNext('/get-upload-url', status, body)
      const r = await planFor(h, 'a.png', 'image/png', 100)
      assert.equal(r.status, ours)
      assert.equal(r.json.error.code, code)
      assert.ok(r.json.error.message.includes(body), r.json.error.message)
    })
  }
  it('a wrong key is the server\'s problem (502 provider_auth_failed), and an echoed key never reaches the answer', async () => {
    fake.failNext('/get-upload-url', 401, { status: 'error', message: `Unauthorized: key ${KEY} is revoked` })
    const r = await planFor(h, 'a.png', 'image/png', 100)
    assert.equal(r.status, 502)
    assert.equal(r.json.error.code, 'provider_auth_failed')
    assert.ok(!r.text.includes(KEY))
    assert.match(r.json.error.message, /\[redacted\]/)
  })
  it('plans every part at once, with the part size Upscayl dictates, and completes with the ETags', async () => {
    const bytes = new Uint8Array(11 * 1024 * 1024).map((_, i) => i % 251)
    const p = (await planFor(h, 'clip.mp4', 'video/mp4', bytes.length)).json
    assert.equal(p.kind, 'parts')
    assert.equal(p.partSize, 5 * 1024 * 1024)
    assert.deepEqual(Object.keys(p.urls), ['1', '2', '3'])
    assert.ok(!JSON.stringify(p).includes(KEY))
    const parts = []
    for (let n = 1; n <= 3; n++) {
      const r = await fetch(p.urls[n], { method: 'PUT', body: bytes.subarray((n - 1) * p.partSize, n * p.partSize) })
      parts.push({ PartNumber: n, ETag: r.headers.get('etag')!.replace(/"/g, '') })
    }
    // Storage would assemble a subset: every planned part must be listed.
    const partial = await call(h, 'POST', '/finish', { token: p.token, parts: parts.slice(0, 2) })
    assert.deepEqual([partial.status, partial.json.error.code], [400, 'invalid_parts'])
    assert.equal((await call(h, 'POST', '/finish', { token: p.token })).json.error.code, 'invalid_parts')
    const done = await call(h, 'POST', '/finish', { token: p.token, parts })
    assert.equal(done.status, 200, done.text)
    assert.equal(done.json.provider.name, 'upscayl')
    assert.ok(fake.stored.has(done.json.provider.id))
    assert.equal(done.json.size, bytes.length)
  })
})

describe('finish checks what the provider stored', () => {
  let fake: Awaited<ReturnType<typeof startCloudinaryFake>>
  let h: Handler
  before(async () => {
    fake = await startCloudinaryFake({ cloudName: 'demo', apiKey: '1234', apiSecret: API_SECRET, presets: { open: { unsigned: true } } })
    h = hosted(cloudinaryStorage({ cloudName: 'demo', apiKey: '1234', apiSecret: API_SECRET, uploadPrefix: fake.url }), { allowedTypes: ['image/*'] })
  })
  after(() => fake.close())
  it('Cloudinary: a signed form upload verifies and reports the public id and pixel size', async () => {
    const image = png(30, 20)
    const p = (await planFor(h, 'a.png', 'image/png', image.length)).json
    assert.equal(p.kind, 'form')
    assert.ok(!JSON.stringify(p).includes(API_SECRET))
    const sent = await postForm(p.url, p.fields, p.fileField, image, 'a.png')
    assert.equal(sent.status, 200, JSON.stringify(sent.json))
    const done = await call(h, 'POST', '/finish', { token: p.token, response: sent.json })
    assert.equal(done.status, 200, done.text)
    assert.equal(done.json.provider.id, sent.json.public_id)
    assert.deepEqual([done.json.width, done.json.height], [30, 20])
  })
  it('Cloudinary: an answer with a forged signature is refused', async () => {
    const image = png(4, 4)
    const p = (await planFor(h, 'b.png', 'image/png', image.length)).json
    const sent = await postForm(p.url, p.fields, p.fileField, image, 'b.png')
    const forged = { ...sent.json, version: sent.json.version + 1 }
    const r = await call(h, 'POST', '/finish', { token: p.token, response: forged })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'invalid_signature')
    // A correctly signed answer for another plan is refused too.
    const other = (await planFor(h, 'c.png', 'image/png', image.length)).json
    const r2 = await call(h, 'POST', '/finish', { token: other.token, response: sent.json })
    assert.equal(r2.json.error.code, 'invalid_response')
    assert.equal(responseSignature(sent.json.public_id, sent.json.version, API_SECRET), sent.json.signature)
  })
  it('Cloudinary: size and URL come from Cloudinary, not from the answer the page relays', async () => {
    const image = png(6, 6)
    const p = (await planFor(h, 'g.png', 'image/png', image.length)).json
    const sent = await postForm(p.url, p.fields, p.fileField, image, 'g.png')
    const doctored = { ...sent.json, bytes: 1, width: 9999, secure_url: 'https://elsewhere.example/x.png' }
    const done = await call(h, 'POST', '/finish', { token: p.token, response: doctored })
    assert.equal(done.status, 200, done.text)
    assert.deepEqual([done.json.size, done.json.url, done.json.width], [image.length, sent.json.secure_url, 6])
    // The fake's Admin API, like Cloudinary's, answers only the key and secret.
    const adminUrl = `${fake.url}/v1_1/demo/resources/image/upload/${sent.json.public_id}`
    assert.equal((await fetch(adminUrl)).status, 401)
    assert.equal((await fetch(adminUrl, { headers: { authorization: `Basic ${Buffer.from('1234:wrong-secret').toString('base64')}` } })).status, 401)
  })
  it('Cloudinary: where the Admin API does not answer, the verified answer is used', async () => {
    const image = png(7, 7)
    const p = (await planFor(h, 'h.png', 'image/png', image.length)).json
    const sent = await postForm(p.url, p.fields, p.fileField, image, 'h.png')
    fake.failNext(`/resources/image/upload/${sent.json.public_id}`, 420, { error: { message: 'Rate Limit Exceeded' } })
    const done = await call(h, 'POST', '/finish', { token: p.token, response: sent.json })
    assert.equal(done.status, 200, done.text)
    assert.equal(done.json.size, image.length)
  })
  it('Cloudinary: more bytes than declared → size_mismatch, and the asset is destroyed', async () => {
    const declared = png(8, 8)
    const real = png(16, 16)
    const p = (await planFor(h, 'd.png', 'image/png', declared.length)).json
    const sent = await postForm(p.url, p.fields, p.fileField, real, 'd.png')
    assert.ok(fake.stored.has(sent.json.public_id))
    const r = await call(h, 'POST', '/finish', { token: p.token, response: sent.json })
    assert.equal(r.json.error.code, 'size_mismatch')
    assert.ok(!fake.stored.has(sent.json.public_id), 'the refused file was destroyed')
  })
  it('Cloudinary: a file above chunkSize is planned as chunks with an upload id', async () => {
    const small = hosted(cloudinaryStorage({ cloudName: 'demo', apiKey: '1234', apiSecret: API_SECRET, uploadPrefix: fake.url, chunkSize: 5 * 1024 * 1024 }))
    const p = (await planFor(small, 'v.mp4', 'video/mp4', 6 * 1024 * 1024)).json
    assert.equal(p.kind, 'chunks')
    assert.equal(p.chunkSize, 5 * 1024 * 1024)
    assert.match(p.headers['x-unique-upload-id'], /^[0-9a-f]{32}$/)
  })
  it('Cloudinary: unsigned preset uploads carry no signature and no key', async () => {
    const open = hosted(cloudinaryStorage({ cloudName: 'demo', uploadPreset: 'open', uploadPrefix: fake.url }))
    const image = png(5, 5)
    const p = (await planFor(open, 'e.png', 'image/png', image.length)).json
    assert.deepEqual(Object.keys(p.fields).sort(), ['public_id', 'upload_preset'])
    const sent = await postForm(p.url, p.fields, p.fileField, image, 'e.png')
    assert.equal(sent.status, 200, JSON.stringify(sent.json))
    assert.equal((await call(open, 'POST', '/finish', { token: p.token, response: sent.json })).status, 200)
  })
  it('a finish token of one storage is refused by another', async () => {
    const image = png(4, 4)
    const p = (await planFor(h, 'f.png', 'image/png', image.length)).json
    const viesus = hosted(viesusStorage({ apiKey: KEY, apiUrl: 'http://127.0.0.1:9/graphql' }))
    const r = await call(viesus, 'POST', '/finish', { token: p.token, response: {} })
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'invalid_token')
  })
})

describe('VIESUS, Luw.ai and Uploadcare plans', () => {
  it('VIESUS: one PUT with the exact type; GraphQL errors become provider_rejected with the message', async () => {
    const fake = await startViesusFake({ apiKey: KEY, maxFilesize: 1000 })
    try {
      const h = hosted(viesusStorage({ apiKey: KEY, apiUrl: `${fake.url}/graphql` }))
      const p = (await planFor(h, 'a.png', 'image/png', 500)).json
      assert.deepEqual([p.kind, p.headers['content-type']], ['put', 'image/png'])
      const r = await planFor(h, 'b.png', 'image/png', 5000)
      assert.equal(r.json.error.code, 'provider_rejected')
      assert.match(r.json.error.message, /VIESUS refused the upload.*too large/i)
    } finally {
      await fake.close()
    }
  })
  it('Luw.ai: only the documented types, checked before the API; the PUT headers as documented; temporary names', async () => {
    const fake = await startLuwFake({ token: KEY })
    try {
      const h = hosted(luwStorage({ token: KEY, apiUrl: fake.url, temporary: true }))
      const refused = await planFor(h, 'notes.pdf', 'application/pdf', 10)
      assert.equal(refused.status, 400)
      assert.equal(refused.json.error.code, 'type_not_allowed')
      assert.equal(fake.requests.length, 0)
      const p = (await planFor(h, 'a.png', 'image/png', 10)).json
      assert.equal(p.headers['cache-control'], 'max-age=315360000')
      assert.ok(new Date(p.headers.expires).getTime() > Date.now())
      assert.ok([...fake.uploads.values()][0].filename.startsWith('x12tmp-'))
      // Finishing before the PUT is Luw.ai's refusal; a PUT of other bytes than declared is caught by the CDN's length.
      assert.equal((await call(h, 'POST', '/finish', { token: p.token })).json.error.code, 'provider_rejected')
      const put = await fetch(p.url, { method: 'PUT', body: new Uint8Array(12) as BodyInit, headers: p.headers })
      assert.equal(put.status, 200)
      const lie = await call(h, 'POST', '/finish', { token: p.token })
      assert.deepEqual([lie.status, lie.json.error.code], [400, 'size_mismatch'])
      // A CDN that answers no HEAD: the length comes from the bytes it serves.
      const p2 = (await planFor(h, 'b.png', 'image/png', 20)).json
      assert.equal((await fetch(p2.url, { method: 'PUT', body: new Uint8Array(20) as BodyInit, headers: p2.headers })).status, 200)
      const finalUrl = [...fake.uploads.keys()].find((u) => u.includes('b.png'))!
      fake.failNext(new URL(finalUrl).pathname, 405, 'Method Not Allowed')
      const ok = await call(h, 'POST', '/finish', { token: p2.token })
      assert.deepEqual([ok.status, ok.json.size], [200, 20])
    } finally {
      await fake.close()
    }
  })
  it('Uploadcare: small files are a signed form with the metadata; from 10 MB a multipart start', async () => {
    const fake = await startUploadcareFake({ publicKey: 'pub', secretKey: API_SECRET })
    try {
      const h = hosted(uploadcareStorage({ publicKey: 'pub', secretKey: API_SECRET, uploadUrl: fake.url }))
      const image = png(12, 10)
      const p = (await planFor(h, 'a.png', 'image/png', image.length, { ticket: 'T-42' })).json
      assert.equal(p.kind, 'form')
      assert.equal(p.fields['metadata[ticket]'], 'T-42')
      assert.equal(p.fields.signature, uploadcareSignature(API_SECRET, Number(p.fields.expire)))
      const sent = await postForm(p.url, p.fields, p.fileField, image, 'a.png')
      assert.equal(sent.status, 200, JSON.stringify(sent.json))
      const done = await call(h, 'POST', '/finish', { token: p.token, response: sent.json })
      assert.equal(done.status, 200, done.text)
      assert.deepEqual([done.json.provider.id, done.json.width, done.json.height], [sent.json.file, 12, 10])
      // Another upload's answer cannot finish this plan, nor can another user finish it.
      const p2 = (await planFor(h, 'b.png', 'image/png', image.length)).json
      assert.equal((await call(h, 'POST', '/finish', { token: p2.token, response: sent.json })).json.error.code, 'invalid_response')
      const other = hosted(uploadcareStorage({ publicKey: 'pub', secretKey: API_SECRET, uploadUrl: fake.url }), { authorize: () => ({ id: 'u2' }) })
      const stolen = await call(other, 'POST', '/finish', { token: p.token, response: sent.json })
      assert.deepEqual([stolen.status, stolen.json.error.code], [403, 'key_not_allowed'])
      // An /info/ that keeps no metadata: the planned name and size must match instead.
      const p3 = (await planFor(h, 'a.png', 'image/png', image.length)).json
      const sent3 = await postForm(p3.url, p3.fields, p3.fileField, image, 'a.png')
      const { metadata: _m, ...bare } = fake.fileInfo(sent3.json.file)!
      fake.failNext('/info/', 200, bare)
      assert.equal((await call(h, 'POST', '/finish', { token: p3.token, response: sent3.json })).status, 200)
      const p4 = (await planFor(h, 'other.png', 'image/png', image.length)).json
      fake.failNext('/info/', 200, bare)
      assert.equal((await call(h, 'POST', '/finish', { token: p4.token, response: sent3.json })).json.error.code, 'invalid_response')
      const big = (await planFor(h, 'v.mp4', 'video/mp4', 11 * 1024 * 1024)).json
      assert.equal(big.kind, 'parts')
      assert.equal(Object.keys(big.urls).length, 3)
      assert.equal(big.headers['content-type'], 'video/mp4')
      assert.equal(big.etags, false)
    } finally {
      await fake.close()
    }
  })
})

describe('serve --storage: settings from the environment', () => {
  it('a missing variable is named', () => {
    assert.throws(() => storageFromEnv('.', undefined, {}, 'upscayl'), (e: Error) => e instanceof SetupError && /UPSCAYL_API_KEY/.test(e.message))
    assert.throws(() => storageFromEnv('.', undefined, {}, 'cloudinary'), /CLOUDINARY_URL/)
    assert.throws(() => storageFromEnv('.', undefined, { CLOUDINARY_URL: 'cloudinary://demo' }, 'cloudinary'), /CLOUDINARY_UPLOAD_PRESET/)
    assert.throws(() => storageFromEnv('.', undefined, {}, 'ftp'), /must be one of/)
  })
  it('reads CLOUDINARY_URL as Cloudinary does, and keeps secrets out of the description', () => {
    assert.deepEqual(parseCloudinaryUrl('cloudinary://123:abc@demo'), { cloudName: 'demo', apiKey: '123', apiSecret: 'abc' })
    const { description } = storageFromEnv('.', undefined, { CLOUDINARY_URL: `cloudinary://123:${API_SECRET}@demo` }, 'cloudinary')
    assert.ok(!description.includes(API_SECRET))
  })
})
