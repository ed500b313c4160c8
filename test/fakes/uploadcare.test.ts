// Self-test of the Uploadcare Upload API fake, driven with plain fetch from Node.
import assert from 'node:assert/strict'
import { createHash, createHmac, randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { deflateSync } from 'node:zlib'
import { startUploadcareFake, type UploadcareFake } from './uploadcare.js'

const SIGNED_PUB = 'signedpublickey0001'
// The secret of the docs' signed-upload examples.
const SECRET = 'project_secret_key'
const OPEN_PUB = 'openpublickey0002'
const MiB = 1024 * 1024

/** As documented: hex HMAC-SHA256, key = project secret, message = `expire` as a decimal string. */
const sign = (secret: string, expire: number | string) => createHmac('sha256', secret).update(String(expire)).digest('hex')
const inHalfAnHour = () => Math.floor(Date.now() / 1000) + 1800
const signed = (expire = inHalfAnHour()) => ({ signature: sign(SECRET, expire), expire: String(expire) })

function crc32(buf: Buffer): number {
  let crc = 0xffffffff
  for (const byte of buf) {
    let c = (crc ^ byte) & 0xff
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    crc = (crc >>> 8) ^ c
  }
  return (crc ^ 0xffffffff) >>> 0
}

function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8)
    head.writeUInt32BE(data.length, 0)
    head.write(type, 4, 'latin1')
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
    return Buffer.concat([head, data, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height, 0x7f)
  for (let y = 0; y < height; y++) rows[y * (width * 4 + 1)] = 0 // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** The header of a baseline JPEG (SOI, a JFIF APP0, SOF0 with 3 components, EOI): all /info/ reads. */
function jpegHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00])
  const sof0 = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01])
  sof0.writeUInt16BE(height, 5)
  sof0.writeUInt16BE(width, 7)
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0, Buffer.from([0xff, 0xd9])])
}

/** Bytes that are not all alike, so a misplaced part shows. */
function pattern(size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff
  return b
}

interface FileField {
  field: string
  name: string
  type: string
  bytes: Buffer
}

function formOf(fields: Record<string, string>, ...files: FileField[]): FormData {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name)
  return form
}

async function post(fake: UploadcareFake, path: string, form: FormData | string) {
  const res = await fetch(fake.url + path, { method: 'POST', body: form })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : undefined }
}

async function info(fake: UploadcareFake, query: Record<string, string>) {
  const res = await fetch(`${fake.url}/info/?${new URLSearchParams(query)}`)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

function put(url: string, bytes: Buffer, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) {
  return fetch(url, { method: 'PUT', body: new Uint8Array(bytes), headers })
}

const errorBody = (error_code: string, status_code: number, content: string) => ({ error: { content, status_code, error_code } })

async function assertError(
  got: Promise<{ status: number; body: unknown }> | { status: number; body: unknown },
  code: string,
  status: number,
  content: string,
) {
  const r = await got
  assert.equal(r.status, status, `${code}: ${JSON.stringify(r.body)}`)
  assert.deepEqual(r.body, errorBody(code, status, content))
}

const smallText = { field: 'notes.txt', name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('hello, uploadcare\n') }

describe('uploadcare fake', () => {
  let signedFake: UploadcareFake
  let open: UploadcareFake
  let tiny: UploadcareFake

  before(async () => {
    signedFake = await startUploadcareFake({ publicKey: SIGNED_PUB, secretKey: SECRET })
    open = await startUploadcareFake({ publicKey: OPEN_PUB, autostore: false })
    tiny = await startUploadcareFake({ publicKey: OPEN_PUB, maxFileSize: 1000 })
  })
  after(async () => {
    await Promise.all([signedFake.close(), open.close(), tiny.close()])
  })

  it('signature: HMAC-SHA256(secret, expire) hex; the legacy MD5 scheme of the older docs is refused', async () => {
    // The older docs' worked example (MD5 of secret + expire) — reproduced here, then shown refused.
    const legacy = (expire: number) => createHash('md5').update(`${SECRET}${expire}`).digest('hex')
    assert.equal(legacy(1454903856), '46f70d2b4fb6196daeb2c16bf44a7f1e')
    assert.match(sign(SECRET, 1454903856), /^[0-9a-f]{64}$/)
    const expire = inHalfAnHour()
    await assertError(
      post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, signature: legacy(expire), expire: String(expire) }, smallText)),
      'SignatureInvalidError', 403, 'Invalid signature.',
    )
    const ok = await post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, signature: sign(SECRET, expire), expire: String(expire) }, smallText))
    assert.equal(ok.status, 200)
  })

  it('POST /base/ stores a small PNG with metadata and image_info (signed project, CORS)', async () => {
    const bytes = png(3, 2)
    const pre = await fetch(signedFake.url + '/base/', {
      method: 'OPTIONS',
      headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
    })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')

    const r = await post(
      signedFake,
      '/base/',
      formOf(
        { UPLOADCARE_PUB_KEY: SIGNED_PUB, UPLOADCARE_STORE: 'auto', ...signed(), 'metadata[subsystem]': 'uploader', 'metadata[pet]': 'cat' },
        { field: 'my_file.png', name: 'My pic (1).png', type: 'image/png', bytes },
      ),
    )
    assert.equal(r.status, 200, r.text)
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    const body = r.body as Record<string, string>
    assert.deepEqual(Object.keys(body), ['my_file.png'])
    const uuid = body['my_file.png']!
    assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)

    const s = signedFake.stored.get(uuid)
    assert.ok(s)
    assert.ok(s.bytes.equals(bytes))
    assert.equal(s.type, 'image/png')
    assert.equal(s.name, 'My pic (1).png')
    assert.deepEqual(s.meta, { subsystem: 'uploader', pet: 'cat' })

    // /info/ needs only the public key, even on a signed project.
    const i = await info(signedFake, { pub_key: SIGNED_PUB, file_id: uuid })
    assert.equal(i.status, 200)
    const image = { format: 'PNG', width: 3, height: 2, color_mode: 'RGBA', orientation: null, sequence: false, geo_location: null, datetime_original: null, dpi: null }
    assert.deepEqual(i.body, {
      uuid,
      file_id: uuid,
      size: bytes.length,
      total: bytes.length,
      done: bytes.length,
      original_filename: 'My pic (1).png',
      filename: 'Mypic1.png',
      mime_type: 'image/png',
      image_info: image,
      video_info: null,
      content_info: { mime: { mime: 'image/png', type: 'image', subtype: 'png' }, image },
      metadata: { subsystem: 'uploader', pet: 'cat' },
      is_image: true,
      is_stored: true, // auto + the project's auto-store (on by default)
      is_ready: true,
    })

    const cdn = await fetch(`${signedFake.url}/cdn/${uuid}/`)
    assert.equal(cdn.status, 200)
    assert.equal(cdn.headers.get('content-type'), 'image/png')
    assert.equal(cdn.headers.get('access-control-allow-origin'), '*')
    assert.ok(Buffer.from(await cdn.arrayBuffer()).equals(bytes))
  })

  it('POST /base/ follows UPLOADCARE_STORE (default "0"; "auto" follows a disabled auto-store); non-images have no image_info', async () => {
    const up = async (store?: string) => {
      const r = await post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, ...(store ? { UPLOADCARE_STORE: store } : {}) }, smallText))
      assert.equal(r.status, 200, r.text)
      return (r.body as Record<string, string>)['notes.txt']!
    }
    const byDefault = await up()
    const auto = await up('auto')
    const one = await up('1')
    assert.equal(open.fileInfo(byDefault)?.is_stored, false)
    assert.equal(open.fileInfo(auto)?.is_stored, false)
    assert.equal(open.fileInfo(one)?.is_stored, true)
    const i = await info(open, { pub_key: OPEN_PUB, file_id: one })
    assert.equal(i.body.image_info, null)
    assert.equal(i.body.is_image, false)
    assert.equal(i.body.mime_type, 'text/plain')
    assert.deepEqual(i.body.content_info, { mime: { mime: 'text/plain', type: 'text', subtype: 'plain' } })
    assert.deepEqual(i.body.metadata, {})
    assert.ok(open.stored.get(one)?.bytes.equals(smallText.bytes))

    // A JPEG is recognised from its header, whatever type the part declared.
    const jpeg = await post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, { field: 'file', name: 'photo.jpg', type: 'application/octet-stream', bytes: jpegHeader(640, 480) }))
    const j = await info(open, { pub_key: OPEN_PUB, file_id: (jpeg.body as Record<string, string>).file! })
    assert.equal(j.body.mime_type, 'image/jpeg')
    assert.equal(j.body.is_image, true)
    assert.deepEqual(j.body.image_info, { format: 'JPEG', width: 640, height: 480, color_mode: 'RGB', orientation: null, sequence: false, geo_location: null, datetime_original: null, dpi: null })
    assert.equal(open.stored.get((jpeg.body as Record<string, string>).file!)?.type, 'image/jpeg')
  })

  it('multipart: start (signed) → parts in parallel → complete → /info/, bytes identical', async () => {
    const bytes = pattern(12 * MiB)
    const start = await post(
      signedFake,
      '/multipart/start/',
      formOf({
        UPLOADCARE_PUB_KEY: SIGNED_PUB,
        UPLOADCARE_STORE: '1',
        filename: 'big-video.mp4',
        size: String(bytes.length),
        content_type: 'video/mp4',
        'metadata[kind]': 'clip',
        ...signed(),
      }),
    )
    assert.equal(start.status, 200, start.text)
    assert.equal(start.headers.get('access-control-allow-origin'), '*')
    const { uuid, parts } = start.body as { uuid: string; parts: string[] }
    assert.equal(parts.length, 3) // 5 MiB + 5 MiB + 2 MiB
    for (const [i, url] of parts.entries()) {
      assert.ok(url.startsWith(`${signedFake.url}/s3/${uuid}/${i + 1}?`), url)
      assert.match(new URL(url).searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/)
    }
    assert.equal(signedFake.stored.has(uuid), false)

    const slices = [bytes.subarray(0, 5 * MiB), bytes.subarray(5 * MiB, 10 * MiB), bytes.subarray(10 * MiB)]
    const results = await Promise.all(parts.map((url, i) => put(url, slices[i]!)))
    for (const [i, res] of results.entries()) {
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('etag'), `"${createHash('md5').update(slices[i]!).digest('hex')}"`)
      assert.equal(res.headers.get('access-control-expose-headers'), 'ETag')
    }
    assert.equal(signedFake.stored.has(uuid), false) // not before complete

    // complete needs the public key only (no signature), as documented.
    const done = await post(signedFake, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, uuid }))
    assert.equal(done.status, 200, done.text)
    const body = done.body as Record<string, unknown>
    assert.equal(body.uuid, uuid)
    assert.equal(body.size, bytes.length)
    assert.equal(body.done, bytes.length)
    assert.equal(body.original_filename, 'big-video.mp4')
    assert.equal(body.filename, 'bigvideo.mp4')
    assert.equal(body.mime_type, 'video/mp4')
    assert.equal(body.image_info, null)
    assert.equal(body.is_stored, true)
    assert.deepEqual(body.metadata, { kind: 'clip' })

    const s = signedFake.stored.get(uuid)
    assert.ok(s)
    assert.ok(s.bytes.equals(bytes))
    assert.equal(s.type, 'video/mp4')
    assert.deepEqual(s.meta, { kind: 'clip' })

    const i = await info(signedFake, { pub_key: SIGNED_PUB, file_id: uuid })
    assert.equal(i.status, 200)
    assert.deepEqual(i.body, body)

    // complete twice
    await assertError(
      post(signedFake, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, uuid })),
      'MultipartFileAlreadyUploadedError', 400, 'File is already uploaded.',
    )
    // a part URL after completion: the S3 upload is gone
    const late = await put(parts[2]!, slices[2]!)
    assert.equal(late.status, 404)
    assert.match(await late.text(), /<Code>NoSuchUpload<\/Code>/)
  })

  it('refuses a request without a public key (403)', async () => {
    await assertError(post(open, '/base/', formOf({}, smallText)), 'ProjectPublicKeyRequiredError', 403, 'UPLOADCARE_PUB_KEY is required.')
    await assertError(
      post(open, '/multipart/start/', formOf({ filename: 'a.bin', size: String(20 * MiB), content_type: 'application/octet-stream' })),
      'ProjectPublicKeyRequiredError', 403, 'UPLOADCARE_PUB_KEY is required.',
    )
    await assertError(post(open, '/multipart/complete/', formOf({ uuid: randomUUID() })), 'ProjectPublicKeyRequiredError', 403, 'UPLOADCARE_PUB_KEY is required.')
    await assertError(info(open, { file_id: randomUUID() }), 'ProjectPublicKeyRequiredError', 403, 'pub_key is required.')
  })

  it('refuses a wrong public key (403)', async () => {
    await assertError(post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: 'nope' }, smallText)), 'ProjectPublicKeyInvalidError', 403, 'UPLOADCARE_PUB_KEY is invalid.')
    await assertError(info(open, { pub_key: SIGNED_PUB, file_id: randomUUID() }), 'ProjectPublicKeyInvalidError', 403, 'pub_key is invalid.')
  })

  it('signed project: refuses a missing signature or expire, and a non-timestamp expire (400)', async () => {
    const expire = String(inHalfAnHour())
    await assertError(
      post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB }, smallText)),
      'SignatureRequiredError', 400, '`signature` is required.',
    )
    await assertError(
      post(signedFake, '/multipart/start/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, filename: 'a.bin', size: String(20 * MiB), content_type: 'application/octet-stream', expire })),
      'SignatureRequiredError', 400, '`signature` is required.',
    )
    await assertError(
      post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, signature: sign(SECRET, expire) }, smallText)),
      'SignatureExpirationRequiredError', 400, '`expire` is required.',
    )
    for (const bad of ['soon', '1.5e9', String(Date.now() + 1_800_000)]) {
      // the last: milliseconds instead of seconds, the mistake the docs warn about
      await assertError(
        post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, signature: sign(SECRET, bad), expire: bad }, smallText)),
        'SignatureExpirationInvalidError', 400, '`expire` must be a UNIX timestamp.',
      )
    }
  })

  it('signed project: refuses a wrong signature (403)', async () => {
    const expire = inHalfAnHour()
    for (const signature of [sign('another_secret', expire), sign(SECRET, expire + 1), sign(SECRET, expire).toUpperCase()]) {
      await assertError(
        post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, signature, expire: String(expire) }, smallText)),
        'SignatureInvalidError', 403, 'Invalid signature.',
      )
    }
    await assertError(
      post(signedFake, '/multipart/start/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, filename: 'a.bin', size: String(20 * MiB), content_type: 'application/octet-stream', signature: 'f'.repeat(64), expire: String(expire) })),
      'SignatureInvalidError', 403, 'Invalid signature.',
    )
  })

  it('signed project: refuses an expire in the past (403)', async () => {
    const past = Math.floor(Date.now() / 1000) - 60
    await assertError(
      post(signedFake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, ...signed(past) }, smallText)),
      'SignatureExpirationError', 403, 'Expired signature.',
    )
  })

  it('refuses bad metadata (400)', async () => {
    const up = (meta: [string, string][]) => {
      const form = formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, smallText)
      for (const [k, v] of meta) form.append(k, v)
      return post(open, '/base/', form)
    }
    await assertError(up([['metadata[bad key!]', 'x']]), 'FileMetadataKeyForbiddenError', 400, "File's metadata key `bad key!` contains symbols not allowed by the metadata key format.")
    const long = 'k'.repeat(65)
    await assertError(up([[`metadata[${long}]`, 'x']]), 'FileMetadataKeyLengthTooBigError', 400, `Length of file metadata key \`${long}\` can not be more than 64 symbols.`)
    await assertError(up([['metadata[]', 'x']]), 'FileMetadataKeyEmptyError', 400, "File's metadata key can not be empty.")
    await assertError(up([['metadata[pet]', '']]), 'FileMetadataValueEmptyError', 400, 'Value of the file metadata key `pet` can not be empty.')
    await assertError(up([['metadata[pet]', 'c'.repeat(513)]]), 'FileMetadataValueLengthTooBigError', 400, "Value of file metadata's key `pet` can not be more than 512 symbols in length.")
    await assertError(up([['metadata[pet]', 'cat'], ['metadata[pet]', 'dog']]), 'FileMetadataKeyDuplicatedError', 400, "File's metadata key `pet` has a duplicate.")
    const many = Array.from({ length: 51 }, (_, i): [string, string] => [`metadata[k${i}]`, 'v'])
    await assertError(up(many), 'FileMetadataKeysNumberTooBigError', 400, 'A file can not have more than 50 metadata keys.')
    // the limits themselves are accepted: 64-char key, 512-char value, 50 keys
    const okForm = await up([[`metadata[${'k'.repeat(64)}]`, 'v'.repeat(512)], ...many.slice(0, 49)])
    assert.equal(okForm.status, 200, okForm.text)
  })

  it('/base/ refuses no file, two files, a too large file, a non-form body, a bad UPLOADCARE_STORE, a GET', async () => {
    await assertError(post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB })), 'FilesRequiredError', 400, 'Request does not contain files.')
    await assertError(
      post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, smallText, { ...smallText, field: 'second' })),
      'FilesNumberLimitExceededError', 400, 'There are too many files.',
    )
    await assertError(
      post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, { ...smallText, bytes: Buffer.alloc(0) })),
      'FileRequiredError', 400, 'There should be a file.',
    )
    // maxFileSize 1000: 1000 bytes pass, 1001 do not
    const atCap = await post(tiny, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, { ...smallText, bytes: Buffer.alloc(1000, 1) }))
    assert.equal(atCap.status, 200, atCap.text)
    await assertError(
      post(tiny, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, { ...smallText, bytes: Buffer.alloc(1001, 1) })),
      'FileSizeLimitExceededError', 400, 'File is too large.',
    )
    await assertError(post(open, '/base/', `UPLOADCARE_PUB_KEY=${OPEN_PUB}`), 'PostRequestParserFailedError', 400, 'HTTP POST request parsing failed.')
    await assertError(post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, UPLOADCARE_STORE: 'yes' }, smallText)), 'UploadViewsError', 400, 'Upload request processing failed.')
    const get = await fetch(open.url + '/base/')
    assert.equal(get.status, 405)
    assert.deepEqual(await get.json(), errorBody('MethodNotAllowedError', 405, 'HTTP method GET is not allowed for /base/'))
  })

  it('/multipart/start/ refuses a file under 10 MiB and bad size/part_size/params (400)', async () => {
    const start = (fields: Record<string, string>, fake = open) =>
      post(fake, '/multipart/start/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, filename: 'a.bin', size: String(20 * MiB), content_type: 'application/octet-stream', ...fields }))
    await assertError(
      start({ size: String(10 * MiB - 1) }),
      'MultipartFileSizeTooSmallError', 400, 'File size can not be less than 10485760 bytes. Please use direct upload instead of multipart.',
    )
    assert.equal((await start({ size: String(10 * MiB) })).status, 200)
    await assertError(start({ size: 'big' }), 'MultipartSizeInvalidError', 400, 'size should be integer.')
    await assertError(start({ size: '' }), 'RequestParamRequiredError', 400, 'size is required.')
    await assertError(start({ filename: '' }), 'RequestParamRequiredError', 400, 'filename is required.')
    await assertError(start({ content_type: '' }), 'RequestParamRequiredError', 400, 'content_type is required.')
    await assertError(start({ part_size: '5MB' }), 'MultipartPartSizeInvalidError', 400, 'Multipart Upload Part Size should be an integer.')
    await assertError(start({ part_size: '5242879' }), 'MultipartPartSizeTooSmallError', 400, 'Multipart Upload Part Size can not be less than 5242880 bytes.')
    await assertError(start({ part_size: '5368709121' }), 'MultipartPartSizeTooBigError', 400, 'Multipart Upload Part Size can not be more than 5368709120 bytes.')
    await assertError(start({}, tiny), 'MultipartFileSizeLimitExceededError', 400, 'File size exceeds project limit.')
    const custom = await start({ size: String(20 * MiB + 1), part_size: String(8 * MiB) })
    assert.equal((custom.body as { parts: string[] }).parts.length, 3)
  })

  describe('part URLs', () => {
    let uuid: string
    let parts: string[]
    const part1 = pattern(5 * MiB)
    before(async () => {
      const r = await post(open, '/multipart/start/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, filename: 'a.bin', size: String(12 * MiB), content_type: 'application/octet-stream' }))
      ;({ uuid, parts } = r.body as { uuid: string; parts: string[] })
    })

    it('refuses a part without Content-Type (400 XML)', async () => {
      const res = await put(parts[0]!, part1, {})
      assert.equal(res.status, 400)
      assert.match(res.headers.get('content-type') ?? '', /xml/)
      assert.match(await res.text(), /^<\?xml[^]*<Error><Code>InvalidRequest<\/Code><Message>[^<]*Content-Type/)
    })

    it('refuses a part of the wrong length (400 InvalidPartSize)', async () => {
      const short = await put(parts[0]!, part1.subarray(1))
      assert.equal(short.status, 400)
      assert.match(await short.text(), /<Code>InvalidPartSize<\/Code>/)
      const longLast = await put(parts[2]!, pattern(2 * MiB + 1))
      assert.equal(longLast.status, 400)
      assert.match(await longLast.text(), /<Code>InvalidPartSize<\/Code>/)
    })

    it('refuses a missing, altered or expired signature (403 XML)', async () => {
      const url = new URL(parts[0]!)
      url.searchParams.delete('X-Amz-Signature')
      const missing = await put(url.href, part1)
      assert.equal(missing.status, 403)
      assert.match(await missing.text(), /<Code>AccessDenied<\/Code>/)
      url.searchParams.set('X-Amz-Signature', '0'.repeat(64))
      const altered = await put(url.href, part1)
      assert.equal(altered.status, 403)
      assert.match(await altered.text(), /<Code>SignatureDoesNotMatch<\/Code>/)
      // part 2's signature on part 1's URL
      const swapped = await put(`${open.url}/s3/${uuid}/1?X-Amz-Signature=${new URL(parts[1]!).searchParams.get('X-Amz-Signature')}`, part1)
      assert.equal(swapped.status, 403)
      // partUrlTtlSeconds 0: the URLs are expired at once
      const expiring = await startUploadcareFake({ publicKey: OPEN_PUB, partUrlTtlSeconds: 0 })
      try {
        const e = await post(expiring, '/multipart/start/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, filename: 'a.bin', size: String(10 * MiB), content_type: 'x/y' }))
        const expired = await put((e.body as { parts: string[] }).parts[0]!, part1)
        assert.equal(expired.status, 403)
        assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/)
      } finally {
        await expiring.close()
      }
    })

    it('complete refuses a missing part (400), an unknown or missing or malformed uuid', async () => {
      assert.equal((await put(parts[0]!, part1)).status, 200)
      assert.equal((await put(parts[2]!, pattern(2 * MiB))).status, 200)
      await assertError(
        post(open, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, uuid })),
        'MultipartUploadSizeTooSmallError', 400, 'File size mismatch. Not all parts uploaded?',
      )
      assert.equal(open.stored.has(uuid), false)
      await assertError(post(open, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB })), 'MultipartFileIdRequiredError', 400, 'uuid is required.')
      await assertError(post(open, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, uuid: 'not-a-uuid' })), 'UUIDInvalidError', 400, 'uuid is invalid.')
      await assertError(
        post(open, '/multipart/complete/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB, uuid: randomUUID() })),
        'MultipartFileNotFoundError', 404, 'File is not found.',
      )
    })
  })

  it('/info/ refuses an unknown, missing or malformed file_id', async () => {
    await assertError(info(open, { pub_key: OPEN_PUB, file_id: randomUUID() }), 'FileNotFoundError', 404, 'File is not found.')
    await assertError(info(open, { pub_key: OPEN_PUB }), 'FileIdRequiredError', 400, 'file_id is required.')
    await assertError(info(open, { pub_key: OPEN_PUB, file_id: 'abc' }), 'FileIdInvalidError', 400, 'file_id is invalid.')
  })

  it('routes without the trailing slash are 404', async () => {
    for (const path of ['/base', '/multipart/start', '/multipart/complete']) {
      const r = await post(open, path, formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, smallText))
      assert.equal(r.status, 404, path)
      assert.equal((r.body as { error: { status_code: number } }).error.status_code, 404)
    }
    const i = await fetch(`${open.url}/info?pub_key=${OPEN_PUB}&file_id=${randomUUID()}`)
    assert.equal(i.status, 404)
    await i.body?.cancel()
  })

  it('failNext answers the next request to a path once', async () => {
    open.failNext('/base/', 503, { error: { content: 'Internal error.', status_code: 503, error_code: 'UploadAPIError' } })
    const failed = await post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, smallText))
    assert.equal(failed.status, 503)
    assert.deepEqual(failed.body, { error: { content: 'Internal error.', status_code: 503, error_code: 'UploadAPIError' } })
    assert.equal(failed.headers.get('access-control-allow-origin'), '*')
    const next = await post(open, '/base/', formOf({ UPLOADCARE_PUB_KEY: OPEN_PUB }, smallText))
    assert.equal(next.status, 200)
    assert.ok(open.requests.some((r) => r.path === '/base/' && r.method === 'POST'))
  })
})

describe('uploadcare fake: links and groups', () => {
  let fake: UploadcareFake
  let tinyFake: UploadcareFake
  const image = png(4, 3)
  before(async () => {
    fake = await startUploadcareFake({ publicKey: SIGNED_PUB, secretKey: SECRET })
    tinyFake = await startUploadcareFake({ publicKey: OPEN_PUB, maxFileSize: 50 })
    for (const f of [fake, tinyFake]) {
      f.remote.set('https://files.example/cat.png', { bytes: image, type: 'image/png' })
      f.remote.set('https://down.example/cat.png', 'unreachable')
    }
  })
  after(async () => {
    await Promise.all([fake.close(), tinyFake.close()])
  })
  const fromUrl = (f: UploadcareFake, fields: Record<string, string>) => post(f, '/from_url/', formOf(fields))
  const status = async (f: UploadcareFake, token: string | null) => {
    const res = await fetch(`${f.url}/from_url/status/${token === null ? '' : `?${new URLSearchParams({ token })}`}`)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const tokenOf = (r: { status: number; body: unknown }) => {
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const b = r.body as { type: string; token: string }
    assert.equal(b.type, 'token')
    return b.token
  }

  it('fetches a link step by step: waiting, progress with done/total, success with the file info', async () => {
    const token = tokenOf(await fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'https://files.example/cat.png', store: '1', 'metadata[ticket]': 't-1', ...signed() }))
    assert.deepEqual((await status(fake, token)).body, { status: 'waiting' })
    assert.deepEqual((await status(fake, token)).body, { status: 'progress', done: Math.floor(image.length / 2), total: image.length })
    const done = (await status(fake, token)).body
    assert.equal(done.status, 'success')
    assert.equal(done.size, image.length)
    assert.equal(done.original_filename, 'cat.png')
    assert.equal(done.is_stored, true)
    assert.deepEqual(done.metadata, { ticket: 't-1' })
    assert.deepEqual((done.image_info as { width: number }).width, 4)
    assert.ok(fake.stored.get(String(done.uuid))!.bytes.equals(image))
    // The end is final: the same answer again.
    assert.deepEqual((await status(fake, token)).body, done)
  })

  it('an unreachable link ends in error, a file over the project cap too; an unknown token is "unknown"', async () => {
    const down = tokenOf(await fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'https://down.example/cat.png', ...signed() }))
    assert.deepEqual((await status(fake, down)).body, { status: 'waiting' })
    assert.deepEqual((await status(fake, down)).body, { status: 'error', error: 'HTTP network error: connection refused.' })
    const big = tokenOf(await fromUrl(tinyFake, { pub_key: OPEN_PUB, source_url: 'https://files.example/cat.png' }))
    await status(tinyFake, big)
    assert.equal((await status(tinyFake, big)).body.status, 'progress')
    assert.deepEqual((await status(tinyFake, big)).body, { status: 'error', error: `Downloaded file is too big: ${image.length} > 50.` })
    assert.deepEqual((await status(fake, randomUUID())).body, { status: 'unknown' })
    await assertError(status(fake, null), 'TokenRequiredError', 400, 'token is required.')
  })

  it('/from_url/ refuses a missing pub_key or source_url, a bad signature, a bad URL, a private host, a bad store', async () => {
    const url = 'https://files.example/cat.png'
    await assertError(fromUrl(fake, { source_url: url, ...signed() }), 'ProjectPublicKeyRequiredError', 403, 'pub_key is required.')
    await assertError(fromUrl(fake, { pub_key: 'nope', source_url: url, ...signed() }), 'ProjectPublicKeyInvalidError', 403, 'pub_key is invalid.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, ...signed() }), 'SourceURLRequiredError', 400, 'source_url is required.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: url }), 'SignatureRequiredError', 400, '`signature` is required.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: url, signature: sign('wrong', inHalfAnHour()), expire: String(inHalfAnHour()) }), 'SignatureInvalidError', 403, 'Invalid signature.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'files.example/cat.png', ...signed() }), 'URLSchemeRequiredError', 400, 'No URL scheme supplied.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'ftp://files.example/cat.png', ...signed() }), 'URLSchemeInvalidError', 400, 'Invalid URL scheme.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'http://[bad', ...signed() }), 'URLParsingFailedError', 400, 'Failed to parse URL.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'http://127.0.0.1/cat.png', ...signed() }), 'URLHostPrivateIPForbiddenError', 400, 'Only public IPs are allowed.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: url, store: 'yes', ...signed() }), 'UploadViewsError', 400, 'Upload request processing failed.')
    await assertError(fromUrl(fake, { pub_key: SIGNED_PUB, source_url: url, check_URL_duplicates: 'true', ...signed() }), 'UploadViewsError', 400, 'Upload request processing failed.')
  })

  it('check_URL_duplicates answers the earlier file for a link fetched and saved before', async () => {
    const first = tokenOf(await fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'https://files.example/cat.png', check_URL_duplicates: '1', ...signed() }))
    let done: Record<string, unknown> = {}
    for (let i = 0; i < 3; i++) done = (await status(fake, first)).body
    assert.equal(done.status, 'success')
    const again = await fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'https://files.example/cat.png', check_URL_duplicates: '1', ...signed() })
    assert.equal((again.body as { type: string }).type, 'file_info')
    assert.equal((again.body as { uuid: string }).uuid, done.uuid)
    // Without the check, a new fetch.
    tokenOf(await fromUrl(fake, { pub_key: SIGNED_PUB, source_url: 'https://files.example/cat.png', ...signed() }))
  })

  it('/group/ makes a uuid~N group of known files; /group/info/ answers it', async () => {
    const a = await post(fake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, ...signed() }, smallText))
    const b = await post(fake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, ...signed() }, { ...smallText, field: 'file' }))
    const ua = (a.body as Record<string, string>)['notes.txt']!
    const ub = (b.body as Record<string, string>).file!
    const made = await post(fake, '/group/', formOf({ pub_key: SIGNED_PUB, 'files[0]': ua, 'files[1]': `${ub}/-/resize/x800/`, ...signed() }))
    assert.equal(made.status, 200, made.text)
    const g = made.body as { id: string; files_count: number; files: { uuid: string }[]; datetime_stored: null }
    assert.match(g.id, /^[0-9a-f-]{36}~2$/)
    assert.equal(g.files_count, 2)
    assert.deepEqual(g.files.map((f) => f.uuid), [ua, ub])
    const got = await fetch(`${fake.url}/group/info/?${new URLSearchParams({ pub_key: SIGNED_PUB, group_id: g.id })}`)
    assert.deepEqual(await got.json(), made.body)
  })

  it('/group/ refuses no files, an unknown uuid, a malformed entry, a bad key or signature; /group/info/ an unknown id', async () => {
    const known = (await post(fake, '/base/', formOf({ UPLOADCARE_PUB_KEY: SIGNED_PUB, ...signed() }, smallText))).body as Record<string, string>
    const uuid = known['notes.txt']!
    const group = (fields: Record<string, string>) => post(fake, '/group/', formOf(fields))
    await assertError(group({ pub_key: SIGNED_PUB, ...signed() }), 'GroupFilesInvalidError', 400, 'No files[N] parameters found.')
    await assertError(group({ pub_key: SIGNED_PUB, 'files[0]': uuid, 'files[1]': randomUUID(), ...signed() }), 'GroupFilesNotFoundError', 400, 'Some files not found.')
    await assertError(group({ pub_key: SIGNED_PUB, 'files[0]': 'not-a-file', ...signed() }), 'GroupFileURLParsingFailedError', 400, 'This is not valid file url: not-a-file.')
    await assertError(group({ 'files[0]': uuid, ...signed() }), 'ProjectPublicKeyRequiredError', 403, 'pub_key is required.')
    await assertError(group({ pub_key: SIGNED_PUB, 'files[0]': uuid }), 'SignatureRequiredError', 400, '`signature` is required.')
    const groupInfo = async (query: Record<string, string>) => {
      const res = await fetch(`${fake.url}/group/info/?${new URLSearchParams(query)}`)
      return { status: res.status, body: await res.json() }
    }
    await assertError(groupInfo({ pub_key: SIGNED_PUB, group_id: `${randomUUID()}~1` }), 'GroupNotFoundError', 404, 'group_id is invalid.')
    await assertError(groupInfo({ pub_key: SIGNED_PUB }), 'GroupIdRequiredError', 400, 'group_id is required.')
    await assertError(groupInfo({ group_id: `${randomUUID()}~1` }), 'ProjectPublicKeyRequiredError', 403, 'pub_key is required.')
    assert.equal(fake.groups.size, 1)
  })
})
