// Self-test of the Cloudinary contract fake, driven with plain fetch from Node.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { deflateSync } from 'node:zlib'
import {
  MIN_CHUNK_SIZE,
  UNSIGNED_ALLOWED,
  responseSignature,
  sign,
  sniffImage,
  startCloudinaryFake,
  stringToSign,
  type CloudinaryFake,
} from './cloudinary.js'

const MiB = 1024 * 1024
const options = {
  cloudName: 'demo',
  apiKey: '614335564976464',
  apiSecret: 'test-secret-abc',
  presets: { unsigned_1: { unsigned: true, folder: 'ugc' }, signed_1: { unsigned: false } },
}
const nowS = () => Math.floor(Date.now() / 1000)
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

// A real 3x2 RGB PNG, built by hand (signature, IHDR, IDAT, IEND with their CRCs).
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (b: Buffer) => {
  let c = 0xffffffff
  for (const byte of b) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const pngChunk = (type: string, data: Buffer) => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}
function png(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 3)])))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}
const PNG = png(3, 2)

type Params = Record<string, string | number>
const blob = (bytes: Buffer, type: string) => new Blob([new Uint8Array(bytes)], { type })

/** A form with `params`, signed like a backend would (api_key + timestamp + signature), and the file. */
function signedForm(params: Params, file?: { bytes: Buffer; name: string; type?: string }, secret = options.apiSecret): FormData {
  const all: Params = { timestamp: nowS(), ...params }
  const form = new FormData()
  for (const [k, v] of Object.entries(all)) form.append(k, String(v))
  form.append('api_key', options.apiKey)
  form.append('signature', sign(all, secret))
  if (file) form.append('file', blob(file.bytes, file.type ?? 'application/octet-stream'), file.name)
  return form
}
function plainForm(params: Params, file?: { bytes: Buffer; name: string; type?: string }): FormData {
  const form = new FormData()
  for (const [k, v] of Object.entries(params)) form.append(k, String(v))
  if (file) form.append('file', blob(file.bytes, file.type ?? 'application/octet-stream'), file.name)
  return form
}

interface Reply {
  status: number
  body: any
  headers: Headers
}
async function post(fake: CloudinaryFake, path: string, body: FormData | URLSearchParams, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(fake.url + path, { method: 'POST', body, headers })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
}
const errorBody = (message: string) => ({ error: { message } })

describe('sign (the documented algorithm)', () => {
  it('matches the worked example of authentication_signatures (secret abcd)', () => {
    const params = { eager: 'w_400,h_300,c_pad|w_260,h_200,c_crop', public_id: 'sample_image', timestamp: 1315060510 }
    assert.equal(stringToSign(params), 'eager=w_400,h_300,c_pad|w_260,h_200,c_crop&public_id=sample_image&timestamp=1315060510')
    assert.equal(sign(params, 'abcd'), 'bfd09f95f331f558cbd1320e67aa8d488770583e')
    // file, cloud_name, resource_type and api_key are never signed.
    assert.equal(sign({ ...params, file: 'https://www.example.com/sample.jpg', api_key: '1234', resource_type: 'image', cloud_name: 'demo' }, 'abcd'), 'bfd09f95f331f558cbd1320e67aa8d488770583e')
    const sha256 = createHash('sha256').update(`${stringToSign(params)}abcd`).digest('hex')
    assert.equal(sign(params, 'abcd', 'sha256'), sha256)
  })

  it('matches the sanity check of the support article (public_id + timestamp, secret abcd)', () => {
    // support.cloudinary.com/hc/en-us/articles/203817991: "public_id=sample_image&timestamp=1315060510abcd"
    // → b4ad47fb4e25c7bf5f92a20089f9db59bc302313.
    assert.equal(sign({ public_id: 'sample_image', timestamp: 1315060510 }, 'abcd'), 'b4ad47fb4e25c7bf5f92a20089f9db59bc302313')
  })

  it('signs responses as response_signatures describes (public_id=…&version=… + secret)', () => {
    // That page's example prints b4ad47fb… for "public_id=sample&version=1315060510abcd", but b4ad47fb… is
    // the digest of the support article's string above (a copy slip in the docs); the SHA-1 of the
    // page's own string is 912d90b6…, which is what the described algorithm gives.
    assert.equal(responseSignature('sample', 1315060510, 'abcd'), '912d90b6fe28aa6820cf928bc440a65a0f36e002')
    assert.equal(responseSignature('sample', 1315060510, 'abcd'), createHash('sha1').update('public_id=sample&version=1315060510abcd').digest('hex'))
  })

  it('reads JPEG and PNG dimensions', () => {
    // SOI, APP0 (len 16), SOF0 (len 17): height 480, width 640.
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
      Buffer.alloc(14),
      Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03]),
      Buffer.alloc(9),
    ])
    assert.deepEqual(sniffImage(jpeg), { format: 'jpg', width: 640, height: 480 })
    assert.deepEqual(sniffImage(PNG), { format: 'png', width: 3, height: 2 })
    assert.equal(sniffImage(Buffer.from('hello')), undefined)
  })
})

describe('Cloudinary fake: uploads', () => {
  let fake: CloudinaryFake
  before(async () => {
    fake = await startCloudinaryFake(options)
  })
  after(() => fake.close())

  it('takes a signed PNG upload and answers the documented response', async () => {
    const r = await post(fake, '/v1_1/demo/image/upload', signedForm({ public_id: 'tests/dot', tags: 'a,b' }, { bytes: PNG, name: 'dot.png', type: 'image/png' }))
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const b = r.body
    assert.equal(b.public_id, 'tests/dot')
    assert.ok(Number.isInteger(b.version) && Math.abs(b.version - nowS()) < 5)
    assert.equal(b.signature, responseSignature('tests/dot', b.version, options.apiSecret))
    assert.equal(b.width, 3)
    assert.equal(b.height, 2)
    assert.equal(b.format, 'png')
    assert.equal(b.resource_type, 'image')
    assert.equal(b.bytes, PNG.length)
    assert.equal(b.type, 'upload')
    assert.equal(b.etag, md5(PNG))
    assert.equal(b.placeholder, false)
    assert.deepEqual(b.tags, ['a', 'b'])
    assert.equal(b.original_filename, 'dot')
    assert.equal(b.api_key, options.apiKey)
    assert.match(b.asset_id, /^[0-9a-f]{32}$/)
    assert.match(b.version_id, /^[0-9a-f]{32}$/)
    assert.match(b.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal(b.secure_url, `${fake.url}/demo/image/upload/v${b.version}/tests/dot.png`)
    assert.equal(b.url, b.secure_url)
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    assert.deepEqual(fake.stored.get('tests/dot')?.bytes, PNG)
    assert.equal(fake.stored.get('tests/dot')?.type, 'image/png')

    const got = await fetch(b.secure_url, { headers: { origin: 'http://app.test' } })
    assert.equal(got.status, 200)
    assert.equal(got.headers.get('access-control-allow-origin'), '*')
    assert.equal(got.headers.get('content-type'), 'image/png')
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG)
    // The version is optional in delivery URLs; another format cannot be made by the fake.
    assert.equal((await fetch(`${fake.url}/demo/image/upload/tests/dot.png`)).status, 200)
    assert.equal((await fetch(`${fake.url}/demo/image/upload/tests/dot.jpg`)).status, 404)
  })

  it('takes a signed ~12 MiB chunked upload in 3 sequential chunks', async () => {
    const total = 12 * MiB
    const bytes = randomBytes(total)
    const id = `uid-${randomBytes(6).toString('hex')}`
    const cuts = [
      [0, 5 * MiB],
      [5 * MiB, 10 * MiB],
      [10 * MiB, total],
    ] as const
    const answers: any[] = []
    for (const [start, end] of cuts) {
      const form = signedForm({ public_id: 'big/blob.bin' }, { bytes: bytes.subarray(start, end), name: 'blob.bin' })
      const r = await post(fake, '/v1_1/demo/raw/upload', form, { 'content-range': `bytes ${start}-${end - 1}/${total}`, 'x-unique-upload-id': id })
      assert.equal(r.status, 200, JSON.stringify(r.body))
      answers.push(r.body)
      if (end < total) assert.equal(fake.stored.has('big/blob.bin'), false, 'not stored before the last chunk')
    }
    assert.equal(answers[0].done, false)
    assert.equal(answers[1].done, false)
    assert.equal(answers[0].upload_id, id)
    assert.equal(answers[0].public_id, 'big/blob.bin')
    assert.equal(answers[0].bytes, undefined, 'intermediate answers carry only basic information')
    const last = answers[2]
    assert.equal(last.done, true)
    assert.equal(last.public_id, 'big/blob.bin')
    assert.equal(last.asset_id, answers[0].asset_id)
    assert.equal(last.resource_type, 'raw')
    assert.equal(last.format, undefined)
    assert.equal(last.bytes, total)
    assert.equal(last.etag, md5(bytes))
    assert.equal(last.signature, responseSignature('big/blob.bin', last.version, options.apiSecret))
    assert.equal(last.secure_url, `${fake.url}/demo/raw/upload/v${last.version}/big/blob.bin`)
    assert.ok(fake.stored.get('big/blob.bin')!.bytes.equals(bytes), 'stored bytes identical')
    assert.equal(fake.chunkedUploads.has(id), false)
  })

  it('takes an unsigned upload with an unsigned preset, from a browser origin (CORS)', async () => {
    const pre = await fetch(`${fake.url}/v1_1/demo/auto/upload`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'POST' },
    })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')
    const r = await post(fake, '/v1_1/demo/auto/upload', plainForm({ upload_preset: 'unsigned_1', tags: 'ugc' }, { bytes: PNG, name: 'me.png', type: 'image/png' }), {
      origin: 'http://app.test',
    })
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    assert.match(r.body.public_id, /^ugc\/[a-z0-9]{20}$/)
    assert.equal(r.body.asset_folder, 'ugc')
    assert.equal(r.body.resource_type, 'image')
    assert.equal(r.body.api_key, undefined, 'no api_key in unsigned answers')
    assert.equal(r.body.signature, responseSignature(r.body.public_id, r.body.version, options.apiSecret))
    assert.deepEqual(fake.stored.get(r.body.public_id)?.bytes, PNG)
  })

  it('destroys a signed asset (no CORS), then says not found', async () => {
    await post(fake, '/v1_1/demo/image/upload', signedForm({ public_id: 'gone' }, { bytes: PNG, name: 'g.png' }))
    assert.ok(fake.stored.has('gone'))
    const params = { public_id: 'gone', timestamp: nowS() }
    const body = new URLSearchParams({ ...params, timestamp: String(params.timestamp), api_key: options.apiKey, signature: sign(params, options.apiSecret) })
    const r = await post(fake, '/v1_1/demo/image/destroy', body)
    assert.equal(r.status, 200)
    assert.deepEqual(r.body, { result: 'ok' })
    assert.equal(r.headers.get('access-control-allow-origin'), null)
    assert.equal(fake.stored.has('gone'), false)
    const again = await post(fake, '/v1_1/demo/image/destroy', body)
    assert.deepEqual(again.body, { result: 'not found' })
    const pre = await fetch(`${fake.url}/v1_1/demo/image/destroy`, { method: 'OPTIONS', headers: { origin: 'http://app.test' } })
    assert.equal(pre.headers.get('access-control-allow-origin'), null)
    await pre.arrayBuffer()
  })

  it('takes SHA-256 signatures and Basic Authentication; does not overwrite when overwrite=false', async () => {
    const all = { public_id: 'sha256', timestamp: nowS() }
    const form = plainForm({ ...all, api_key: options.apiKey, signature: sign(all, options.apiSecret, 'sha256') }, { bytes: PNG, name: 'a.png' })
    const r = await post(fake, '/v1_1/demo/image/upload', form)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const basic = `Basic ${Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')}`
    const b = await post(fake, '/v1_1/demo/raw/upload', plainForm({ public_id: 'basic.txt' }, { bytes: Buffer.from('hi'), name: 'hi.txt', type: 'text/plain' }), { authorization: basic })
    assert.equal(b.status, 200, JSON.stringify(b.body))
    assert.equal(b.body.resource_type, 'raw')
    assert.equal(b.body.api_key, options.apiKey)
    const wrong = `Basic ${Buffer.from(`${options.apiKey}:nope`).toString('base64')}`
    const w = await post(fake, '/v1_1/demo/raw/upload', plainForm({}, { bytes: Buffer.from('hi'), name: 'hi.txt' }), { authorization: wrong })
    assert.equal(w.status, 401)
    assert.deepEqual(w.body, errorBody('Invalid credentials'))
    const keep = await post(fake, '/v1_1/demo/raw/upload', signedForm({ public_id: 'basic.txt', overwrite: 'false' }, { bytes: Buffer.from('other'), name: 'o.txt' }))
    assert.equal(keep.status, 200)
    assert.equal(keep.body.existing, true)
    assert.equal(keep.body.version, b.body.version)
    assert.deepEqual(fake.stored.get('basic.txt')?.bytes, Buffer.from('hi'))
  })

  it('failNext answers the given status and body once', async () => {
    fake.failNext('/v1_1/demo/image/upload', 420, errorBody('Rate Limited'))
    const form = () => signedForm({ public_id: 'later' }, { bytes: PNG, name: 'l.png' })
    const r = await post(fake, '/v1_1/demo/image/upload', form())
    assert.equal(r.status, 420)
    assert.deepEqual(r.body, errorBody('Rate Limited'))
    assert.equal((await post(fake, '/v1_1/demo/image/upload', form())).status, 200)
  })
})

describe('Cloudinary fake: refusals', () => {
  let fake: CloudinaryFake
  before(async () => {
    fake = await startCloudinaryFake(options)
  })
  after(() => fake.close())
  const file = { bytes: PNG, name: 'x.png', type: 'image/png' }
  const up = (body: FormData, headers?: Record<string, string>, path = '/v1_1/demo/image/upload') => post(fake, path, body, headers)

  it('wrong api_key → 401', async () => {
    const form = signedForm({ public_id: 'x' }, file)
    form.set('api_key', 'nope')
    const r = await up(form)
    assert.equal(r.status, 401)
    assert.deepEqual(r.body, errorBody('Invalid api_key nope'))
  })

  it('wrong signature → 401 with the string to sign', async () => {
    const ts = nowS()
    const r = await up(signedForm({ public_id: 'x', timestamp: ts }, file, 'not-the-secret'))
    const bad = sign({ public_id: 'x', timestamp: ts }, 'not-the-secret')
    assert.equal(r.status, 401)
    assert.deepEqual(r.body, errorBody(`Invalid Signature ${bad}. String to sign - 'public_id=x&timestamp=${ts}'.`))
    assert.equal(fake.stored.has('x'), false)
  })

  it('stale timestamp (2 h old, correctly signed) → 400', async () => {
    const r = await up(signedForm({ public_id: 'x', timestamp: nowS() - 7200 }, file))
    assert.equal(r.status, 400)
    assert.match(r.body.error.message, /^Stale request - reported time is \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 which is more than 1 hour ago$/)
  })

  it('signed without timestamp → 400', async () => {
    const form = plainForm({ public_id: 'x', api_key: options.apiKey, signature: sign({ public_id: 'x' }, options.apiSecret) }, file)
    const r = await up(form)
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody('Missing required parameter - timestamp'))
  })

  it('unsigned without upload_preset → 400', async () => {
    const r = await up(plainForm({ public_id: 'x' }, file))
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody('Upload preset must be specified when using unsigned upload'))
  })

  it('unsigned with an unknown preset, or with a signed one → 400', async () => {
    const r = await up(plainForm({ upload_preset: 'nosuch' }, file))
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody('Upload preset not found'))
    const s = await up(plainForm({ upload_preset: 'signed_1' }, file))
    assert.equal(s.status, 400)
    assert.deepEqual(s.body, errorBody('Upload preset must be whitelisted for unsigned uploads'))
  })

  it('unsigned with a parameter outside the allow-list (overwrite) → 400', async () => {
    const r = await up(plainForm({ upload_preset: 'unsigned_1', overwrite: 'true' }, file))
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody(`Overwrite parameter is not allowed when using unsigned upload. Only ${UNSIGNED_ALLOWED.join(',')} upload parameters are allowed.`))
  })

  it('no file → 400; a link the fake was not told of → 400; a data URI → 400', async () => {
    const r = await up(signedForm({ public_id: 'x' }))
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody('Missing required parameter - file'))
    const form = signedForm({ public_id: 'x' })
    form.append('file', 'https://www.example.com/sample.jpg')
    const u = await up(form)
    assert.equal(u.status, 400)
    assert.deepEqual(u.body, errorBody('Resource not found - https://www.example.com/sample.jpg'))
    const data = signedForm({ public_id: 'x' })
    data.append('file', 'data:image/png;base64,AAAA')
    assert.equal((await up(data)).status, 400)
  })

  it('non-chunked file over maxFileSize → 400', async () => {
    const small = await startCloudinaryFake({ ...options, maxFileSize: 1000 })
    try {
      const r = await post(small, '/v1_1/demo/raw/upload', signedForm({}, { bytes: randomBytes(2000), name: 'big.bin' }))
      assert.equal(r.status, 400)
      assert.deepEqual(r.body, errorBody('File size too large. Got 2000. Maximum is 1000.'))
    } finally {
      await small.close()
    }
  })

  it('wrong cloud name → 404; bad resource_type → 400', async () => {
    const r = await up(signedForm({}, file), {}, '/v1_1/other/image/upload')
    assert.equal(r.status, 404)
    assert.deepEqual(r.body, errorBody('Invalid cloud_name other'))
    const t = await up(signedForm({}, file), {}, '/v1_1/demo/pdf/upload')
    assert.equal(t.status, 400)
    assert.equal(typeof t.body.error.message, 'string')
  })

  it('non-image bytes to the image endpoint → 400', async () => {
    const r = await up(signedForm({}, { bytes: Buffer.from('just text'), name: 'notes.txt', type: 'text/plain' }))
    assert.equal(r.status, 400)
    assert.deepEqual(r.body, errorBody('Invalid image file'))
  })

  describe('chunked', () => {
    const total = 12 * MiB
    const bytes = randomBytes(total)
    const chunk = (id: string | undefined, start: number, end: number, range = `bytes ${start}-${end - 1}/${total}`, body = bytes.subarray(start, end), params: Params = { public_id: 'c' }) =>
      post(fake, '/v1_1/demo/raw/upload', signedForm(params, { bytes: body, name: 'c.bin' }), { 'content-range': range, ...(id ? { 'x-unique-upload-id': id } : {}) })

    it('Content-Range without X-Unique-Upload-Id → 400', async () => {
      const r = await chunk(undefined, 0, 5 * MiB)
      assert.equal(r.status, 400)
      assert.match(r.body.error.message, /X-Unique-Upload-Id/)
    })

    it('unparsable Content-Range → 400', async () => {
      const r = await chunk('u-range', 0, 100, 'bytes=0-99/200')
      assert.equal(r.status, 400)
      assert.match(r.body.error.message, /^Invalid Content-Range header/)
    })

    it('a middle chunk under 5 MB → 400', async () => {
      const r = await chunk('u-small', 0, 1000)
      assert.equal(r.status, 400)
      assert.match(r.body.error.message, new RegExp(`at least ${MIN_CHUNK_SIZE} bytes`))
    })

    it('file part length ≠ the range → 400', async () => {
      const r = await chunk('u-len', 0, 5 * MiB, undefined, bytes.subarray(0, 100))
      assert.equal(r.status, 400)
      assert.deepEqual(r.body, errorBody(`Chunk size 100 does not match Content-Range bytes 0-${5 * MiB - 1} (${5 * MiB} bytes)`))
    })

    it('another total, an overlap, other parameters, the last chunk early → 400 each', async () => {
      const first = await chunk('u-mix', 0, 5 * MiB)
      assert.equal(first.status, 200)
      assert.equal(first.body.done, false)
      const otherTotal = await chunk('u-mix', 5 * MiB, 10 * MiB, `bytes ${5 * MiB}-${10 * MiB - 1}/${13 * MiB}`)
      assert.equal(otherTotal.status, 400)
      assert.match(otherTotal.body.error.message, /does not match the total/)
      const overlap = await chunk('u-mix', 4 * MiB, 9 * MiB)
      assert.equal(overlap.status, 400)
      assert.match(overlap.body.error.message, /overlap/)
      const otherParams = await chunk('u-mix', 5 * MiB, 10 * MiB, undefined, undefined, { public_id: 'different' })
      assert.equal(otherParams.status, 400)
      assert.match(otherParams.body.error.message, /differ from the first chunk/)
      const early = await chunk('u-mix', 10 * MiB, total)
      assert.equal(early.status, 400)
      assert.match(early.body.error.message, /must be sent after all other chunks/)
      assert.equal(fake.stored.has('c'), false)
    })
  })

  describe('destroy', () => {
    it('without credentials → 401; wrong signature → 401; no public_id → 400', async () => {
      const none = await post(fake, '/v1_1/demo/image/destroy', new URLSearchParams({ public_id: 'x' }))
      assert.equal(none.status, 401)
      assert.deepEqual(none.body, errorBody('Must supply api_key'))
      const ts = String(nowS())
      const bad = await post(fake, '/v1_1/demo/image/destroy', new URLSearchParams({ public_id: 'x', timestamp: ts, api_key: options.apiKey, signature: 'f'.repeat(40) }))
      assert.equal(bad.status, 401)
      assert.deepEqual(bad.body, errorBody(`Invalid Signature ${'f'.repeat(40)}. String to sign - 'public_id=x&timestamp=${ts}'.`))
      const noId = await post(fake, '/v1_1/demo/image/destroy', new URLSearchParams({ timestamp: ts, api_key: options.apiKey, signature: sign({ timestamp: ts }, options.apiSecret) }))
      assert.equal(noId.status, 400)
      assert.deepEqual(noId.body, errorBody('Missing required parameter - public_id'))
    })
  })
})

describe('Cloudinary fake: a remote URL as file', () => {
  let fake: CloudinaryFake
  before(async () => {
    fake = await startCloudinaryFake({ ...options, maxFileSize: 1024 })
    fake.remote.set('https://files.example/cat.png', { bytes: PNG, type: 'image/png' })
    fake.remote.set('https://down.example/cat.png', 'unreachable')
    fake.remote.set('https://files.example/big.bin', { bytes: Buffer.alloc(2048, 1), type: 'application/octet-stream' })
  })
  after(() => fake.close())
  const linkForm = (url: string, params: Params = { public_id: 'linked' }, secret?: string) => {
    const form = signedForm(params, undefined, secret)
    form.append('file', url)
    return form
  }

  it('uploads what the link holds, signed (file is not signed), and answers the documented response', async () => {
    const r = await post(fake, '/v1_1/demo/auto/upload', linkForm('https://files.example/cat.png'))
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.equal(r.body.public_id, 'linked')
    assert.equal(r.body.bytes, PNG.length)
    assert.equal(r.body.format, 'png')
    assert.deepEqual([r.body.width, r.body.height], [3, 2])
    assert.equal(r.body.original_filename, 'cat')
    assert.ok(fake.stored.get('linked')!.bytes.equals(PNG))
  })

  it('unsigned with an unsigned preset takes a link too', async () => {
    const form = plainForm({ upload_preset: 'unsigned_1' })
    form.append('file', 'https://files.example/cat.png')
    const r = await post(fake, '/v1_1/demo/image/upload', form)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.match(r.body.public_id, /^ugc\//)
  })

  it('refuses an unreachable link, one over maxFileSize, a link sent in chunks, and a wrong signature', async () => {
    const down = await post(fake, '/v1_1/demo/image/upload', linkForm('https://down.example/cat.png'))
    assert.equal(down.status, 400)
    assert.match(down.body.error.message, /^Error in loading https:\/\/down\.example\/cat\.png/)
    const big = await post(fake, '/v1_1/demo/raw/upload', linkForm('https://files.example/big.bin'))
    assert.equal(big.status, 400)
    assert.match(big.body.error.message, /File size too large\. Got 2048\. Maximum is 1024\./)
    const chunk = await post(fake, '/v1_1/demo/image/upload', linkForm('https://files.example/cat.png'), { 'content-range': 'bytes 0-9/10', 'x-unique-upload-id': 'u1' })
    assert.equal(chunk.status, 400)
    const forged = await post(fake, '/v1_1/demo/image/upload', linkForm('https://files.example/cat.png', { public_id: 'x' }, 'not-the-secret'))
    assert.equal(forged.status, 401)
    assert.match(forged.body.error.message, /^Invalid Signature/)
    assert.equal(fake.stored.has('x'), false)
  })
})
