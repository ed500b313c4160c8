// Self-test of the Upscayl Cloud contract fake, driven with plain fetch from Node.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { startUpscaylFake, type UpscaylFake } from './upscayl.js'

const KEY = 'test-upscayl-key'
const MiB = 1024 * 1024

interface UploadUrlAnswer {
  status: string
  data: {
    uploadId: string
    partUrls: { partNumber: number; signedUrl: string }[]
    partSize: number
    fileName: string
    fileType: string
    fileSize: number
    originalFileName: string
    path: string
    createdAt: number
    expiresAt: number
  }
}

/** `key: null` sends no X-API-Key at all. */
const post = (fake: UpscaylFake, path: string, body: unknown, key: string | null = KEY) =>
  fetch(fake.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
    body: JSON.stringify(body),
  })

async function getUploadUrl(fake: UpscaylFake, file: { size: number; type?: string; name?: string }): Promise<UploadUrlAnswer['data']> {
  const res = await post(fake, '/get-upload-url', {
    data: { fileSize: file.size, fileType: file.type ?? 'image/png', originalFileName: file.name ?? 'photo.png' },
  })
  assert.equal(res.status, 200, await res.clone().text())
  const body = (await res.json()) as UploadUrlAnswer
  assert.equal(body.status, 'success')
  return body.data
}

const put = (url: string, bytes: Buffer) => fetch(url, { method: 'PUT', body: new Uint8Array(bytes) })

/** PUTs every part (in parallel) as the provider laid them out; answers the parts list for completion. */
async function putAll(up: UploadUrlAnswer['data'], bytes: Buffer) {
  return Promise.all(
    up.partUrls.map(async ({ partNumber, signedUrl }) => {
      const res = await put(signedUrl, bytes.subarray((partNumber - 1) * up.partSize, partNumber * up.partSize))
      assert.equal(res.status, 200, await res.clone().text())
      const etag = res.headers.get('etag')
      assert.ok(etag, 'part PUT answers an ETag')
      return { PartNumber: partNumber, ETag: etag }
    }),
  )
}

const complete = (fake: UpscaylFake, data: unknown, key: string | null = KEY) => post(fake, '/complete-multipart-upload', { data }, key)

async function expectJsonString(res: Response, status: number, message: string | RegExp) {
  assert.equal(res.status, status)
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
  const body: unknown = await res.json()
  assert.equal(typeof body, 'string', `error body is a JSON string: ${JSON.stringify(body)}`)
  if (typeof message === 'string') assert.equal(body, message)
  else assert.match(body as string, message)
}

async function expectS3Error(res: Response, status: number, code: string) {
  assert.equal(res.status, status)
  const text = await res.text()
  assert.match(text, new RegExp(`<Error><Code>${code}</Code>`))
}

describe('Upscayl Cloud fake', () => {
  let fake: UpscaylFake
  before(async () => {
    fake = await startUpscaylFake({ apiKey: KEY })
  })
  after(() => fake.close())

  it('uploads a 200 KB file in one part and stores it under its path', async () => {
    const bytes = randomBytes(200 * 1000)
    const up = await getUploadUrl(fake, { size: bytes.length, type: 'image/jpeg', name: 'Holiday.JPG' })
    assert.equal(up.partSize, 5 * MiB)
    assert.equal(up.partUrls.length, 1)
    assert.equal(up.partUrls[0]!.partNumber, 1)
    assert.ok(up.partUrls[0]!.signedUrl.startsWith(`${fake.url}/s3/`))
    assert.match(up.partUrls[0]!.signedUrl, /[?&]X-Amz-Signature=[0-9a-f]{64}/)
    assert.match(up.fileName, /^[0-9a-f-]{36}\.jpg$/)
    assert.match(up.path, /^users\/[^/]+\/[^/]+$/)
    assert.ok(up.path.endsWith(`/${up.fileName}`), 'path is users/<id>/<fileName>')
    assert.deepEqual([up.fileType, up.fileSize, up.originalFileName], ['image/jpeg', bytes.length, 'Holiday.JPG'])
    assert.equal(up.expiresAt - up.createdAt, 60 * 60 * 1000)
    assert.ok(Math.abs(up.createdAt - Date.now()) < 60_000, 'createdAt is epoch ms')

    // The storage route is a browser-upload bucket: preflight answered, ETag exposed.
    const pre = await fetch(up.partUrls[0]!.signedUrl, { method: 'OPTIONS', headers: { origin: 'http://page.test', 'access-control-request-method': 'PUT' } })
    assert.equal(pre.status, 204)
    assert.equal(pre.headers.get('access-control-allow-origin'), '*')

    const parts = await putAll(up, bytes)
    assert.equal(parts[0]!.ETag, `"${createHash('md5').update(bytes).digest('hex')}"`)
    assert.equal(fake.stored.has(up.path), false, 'not stored before completion')

    const res = await complete(fake, { uploadId: up.uploadId, key: up.path, parts })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS on the API')
    assert.deepEqual(await res.json(), {
      status: 'success',
      data: { uploadId: up.uploadId, key: up.path, path: up.path, fileName: up.fileName, fileSize: bytes.length, fileType: 'image/jpeg', originalFileName: 'Holiday.JPG' },
    })
    const stored = fake.stored.get(up.path)
    assert.ok(stored)
    assert.ok(stored.bytes.equals(bytes))
    assert.equal(stored.type, 'image/jpeg')
    assert.equal(stored.name, 'Holiday.JPG')

    // Completing twice is refused.
    await expectJsonString(await complete(fake, { uploadId: up.uploadId, key: up.path, parts }), 400, 'Bad Request: Upload already completed')
  })

  it('uploads a ~12 MiB file in three parts PUT in parallel; unquoted ETags are accepted', async () => {
    const bytes = randomBytes(12 * MiB + 12345)
    const up = await getUploadUrl(fake, { size: bytes.length, type: 'image/webp', name: 'big.webp' })
    assert.deepEqual(
      up.partUrls.map((p) => p.partNumber),
      [1, 2, 3],
    )
    const parts = await putAll(up, bytes)
    const res = await complete(fake, { uploadId: up.uploadId, key: up.path, parts: parts.map((p) => ({ ...p, ETag: p.ETag.replace(/"/g, '') })) })
    assert.equal(res.status, 200, await res.clone().text())
    assert.ok(fake.stored.get(up.path)?.bytes.equals(bytes))
  })

  it('refuses a missing or wrong X-API-Key with 401', async () => {
    const data = { fileSize: 10, fileType: 'image/png', originalFileName: 'a.png' }
    for (const key of [null, '', 'wrong', KEY.toUpperCase()]) {
      const res = await post(fake, '/get-upload-url', { data }, key)
      assert.equal(res.status, 401)
      assert.deepEqual(await res.json(), { status: 'error', message: 'Unauthorized' })
    }
    for (const key of [null, 'wrong']) {
      const res = await complete(fake, { uploadId: 'x', key: 'y', parts: [] }, key)
      assert.equal(res.status, 401)
      assert.deepEqual(await res.json(), { status: 'error', message: 'Unauthorized' })
    }
  })

  it('refuses missing or invalid fields with 400 and a JSON string', async () => {
    const ok = { fileSize: 10, fileType: 'image/png', originalFileName: 'a.png' }
    const cases: [unknown, string][] = [
      [{}, 'Bad Request: Missing data'],
      [{ data: { ...ok, fileSize: undefined } }, 'Bad Request: Missing fileSize'],
      [{ data: { ...ok, fileType: undefined } }, 'Bad Request: Missing fileType'],
      [{ data: { ...ok, originalFileName: undefined } }, 'Bad Request: Missing originalFileName'],
      [{ data: { ...ok, fileSize: 0 } }, 'Bad Request: Invalid fileSize'],
      [{ data: { ...ok, fileSize: 1.5 } }, 'Bad Request: Invalid fileSize'],
      [{ data: { ...ok, fileSize: '10' } }, 'Bad Request: Invalid fileSize'],
      [{ data: { ...ok, fileType: 'png' } }, 'Bad Request: Invalid fileType'],
      [{ data: { ...ok, fileSize: 500 * MiB + 1 } }, 'Bad Request: File too large'],
    ]
    for (const [body, message] of cases) await expectJsonString(await post(fake, '/get-upload-url', body), 400, message)
    const notJson = await fetch(`${fake.url}/get-upload-url`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'text/plain' }, body: 'x' })
    await expectJsonString(notJson, 400, 'Bad Request: Content-Type must be application/json')
    const badJson = await fetch(`${fake.url}/get-upload-url`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"data":' })
    await expectJsonString(badJson, 400, 'Bad Request: Invalid JSON body')
    const huge = { data: { ...ok, originalFileName: 'x'.repeat(1.1 * MiB) } }
    await expectJsonString(await post(fake, '/get-upload-url', huge), 413, 'Payload Too Large')
  })

  it('answers 402 "Insufficient credits" once credits run out', async () => {
    const poor = await startUpscaylFake({ apiKey: KEY, credits: 1 })
    try {
      await getUploadUrl(poor, { size: 10 })
      assert.equal(poor.credits, 0)
      const res = await post(poor, '/get-upload-url', { data: { fileSize: 10, fileType: 'image/png', originalFileName: 'a.png' } })
      await expectJsonString(res, 402, 'Insufficient credits')
    } finally {
      await poor.close()
    }
  })

  it('failNext makes the next call answer 500 "Internal Server Error", then recovers', async () => {
    fake.failNext('/get-upload-url', 500, 'Internal Server Error')
    const res = await post(fake, '/get-upload-url', { data: { fileSize: 10, fileType: 'image/png', originalFileName: 'a.png' } })
    await expectJsonString(res, 500, 'Internal Server Error')
    await getUploadUrl(fake, { size: 10 })
  })

  it('refuses part PUTs with a missing or altered signature, or an expired URL, with S3 XML 403', async () => {
    const up = await getUploadUrl(fake, { size: 100 })
    const url = new URL(up.partUrls[0]!.signedUrl)
    const body = randomBytes(100)

    const missing = new URL(url)
    missing.searchParams.delete('X-Amz-Signature')
    await expectS3Error(await put(missing.href, body), 403, 'AccessDenied')

    const altered = new URL(url)
    const sig = altered.searchParams.get('X-Amz-Signature')!
    altered.searchParams.set('X-Amz-Signature', (sig[0] === '0' ? '1' : '0') + sig.slice(1))
    await expectS3Error(await put(altered.href, body), 403, 'SignatureDoesNotMatch')

    const longer = new URL(url)
    longer.searchParams.set('X-Amz-Expires', '999999')
    await expectS3Error(await put(longer.href, body), 403, 'SignatureDoesNotMatch')

    const otherPart = new URL(url)
    otherPart.pathname = otherPart.pathname.replace(/\/1$/, '/2')
    await expectS3Error(await put(otherPart.href, body), 403, 'SignatureDoesNotMatch')

    // Expiry: a fake whose clock has moved past the hour.
    let clock = Date.now()
    const timed = await startUpscaylFake({ apiKey: KEY, now: () => clock })
    try {
      const t = await getUploadUrl(timed, { size: 100 })
      clock += 60 * 60 * 1000 + 1000
      await expectS3Error(await put(t.partUrls[0]!.signedUrl, body), 403, 'AccessDenied')
    } finally {
      await timed.close()
    }
    assert.equal((await put(url.href, body)).status, 200, 'the untouched URL still works')
  })

  it('refuses a completion whose key is not the upload path, or with an unknown upload', async () => {
    const bytes = randomBytes(1000)
    const up = await getUploadUrl(fake, { size: bytes.length })
    const parts = await putAll(up, bytes)
    await expectJsonString(await complete(fake, { uploadId: up.uploadId, key: up.fileName, parts }), 400, 'Bad Request: key does not match the upload')
    await expectJsonString(await complete(fake, { uploadId: 'nope', key: up.path, parts }), 400, 'Bad Request: Invalid uploadId')
    await expectJsonString(await complete(fake, { uploadId: up.uploadId, parts }), 400, 'Bad Request: Missing key')
    await expectJsonString(await complete(fake, { uploadId: up.uploadId, key: up.path, parts: [] }), 400, 'Bad Request: Missing parts')
    await expectJsonString(
      await complete(fake, { uploadId: up.uploadId, key: up.path, parts: [{ partNumber: 1, etag: parts[0]!.ETag }] }),
      400,
      /^Bad Request: Invalid part at index 0/,
    )
    assert.equal(fake.stored.has(up.path), false)
  })

  it('refuses a completion with a part missing, unlisted, repeated or out of order', async () => {
    const bytes = randomBytes(11 * MiB)
    const up = await getUploadUrl(fake, { size: bytes.length })
    assert.equal(up.partUrls.length, 3)
    // Parts 1 and 3 uploaded, part 2 never.
    const p1 = await put(up.partUrls[0]!.signedUrl, bytes.subarray(0, up.partSize))
    const p3 = await put(up.partUrls[2]!.signedUrl, bytes.subarray(2 * up.partSize))
    const e1 = p1.headers.get('etag')!
    const e3 = p3.headers.get('etag')!
    const base = { uploadId: up.uploadId, key: up.path }
    await expectJsonString(await complete(fake, { ...base, parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e1 }, { PartNumber: 3, ETag: e3 }] }), 400, 'Bad Request: Part 2 was not uploaded')
    await expectJsonString(await complete(fake, { ...base, parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 3, ETag: e3 }] }), 400, 'Bad Request: Parts must list every part from 1 to 3')
    await expectJsonString(
      await complete(fake, { ...base, parts: [{ PartNumber: 3, ETag: e3 }, { PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e1 }] }),
      400,
      'Bad Request: Parts must be listed once each, in ascending PartNumber order',
    )
    await expectJsonString(
      await complete(fake, { ...base, parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 1, ETag: e1 }, { PartNumber: 3, ETag: e3 }] }),
      400,
      'Bad Request: Parts must be listed once each, in ascending PartNumber order',
    )
  })

  it('refuses a completion with a wrong ETag, then completes once it is right', async () => {
    const bytes = randomBytes(6 * MiB)
    const up = await getUploadUrl(fake, { size: bytes.length })
    const parts = await putAll(up, bytes)
    const wrong = parts.map((p, i) => (i === 1 ? { ...p, ETag: `"${'0'.repeat(32)}"` } : p))
    await expectJsonString(await complete(fake, { uploadId: up.uploadId, key: up.path, parts: wrong }), 400, 'Bad Request: ETag does not match part 2')
    assert.equal((await complete(fake, { uploadId: up.uploadId, key: up.path, parts })).status, 200)
    assert.ok(fake.stored.get(up.path)?.bytes.equals(bytes))
  })

  it('refuses a completion whose parts do not add up to fileSize, or whose non-last part is short', async () => {
    const bytes = randomBytes(6 * MiB)
    const up = await getUploadUrl(fake, { size: bytes.length })
    const base = { uploadId: up.uploadId, key: up.path }
    // Last part one byte short: S3 takes it at PUT time; the completion refuses it.
    const parts = await putAll(up, bytes.subarray(0, bytes.length - 1))
    await expectJsonString(
      await complete(fake, { ...base, parts }),
      400,
      `Bad Request: Uploaded size (${bytes.length - 1} bytes) does not match fileSize (${bytes.length} bytes)`,
    )
    // First part long (S3 takes it), last part short.
    const long = await put(up.partUrls[0]!.signedUrl, bytes.subarray(0, up.partSize + 1))
    const tail = await put(up.partUrls[1]!.signedUrl, bytes.subarray(up.partSize + 1))
    await expectJsonString(
      await complete(fake, { ...base, parts: [{ PartNumber: 1, ETag: long.headers.get('etag')! }, { PartNumber: 2, ETag: tail.headers.get('etag')! }] }),
      400,
      `Bad Request: Part 1 is larger than partSize (${up.partSize} bytes)`,
    )
    // First part short, last part carrying the rest.
    const short = await put(up.partUrls[0]!.signedUrl, bytes.subarray(0, 1000))
    const rest = await put(up.partUrls[1]!.signedUrl, bytes.subarray(1000))
    await expectJsonString(
      await complete(fake, { ...base, parts: [{ PartNumber: 1, ETag: short.headers.get('etag')! }, { PartNumber: 2, ETag: rest.headers.get('etag')! }] }),
      400,
      `Bad Request: Part 1 is smaller than partSize (${up.partSize} bytes)`,
    )
    assert.equal(fake.stored.has(up.path), false)
  })

  it('refuses part PUTs with a wrong Content-MD5, without Content-Length, or another method', async () => {
    const bytes = randomBytes(100)
    const up = await getUploadUrl(fake, { size: bytes.length })
    const url = up.partUrls[0]!.signedUrl
    const md5 = createHash('md5').update(randomBytes(100)).digest('base64')
    await expectS3Error(await fetch(url, { method: 'PUT', headers: { 'content-md5': md5 }, body: new Uint8Array(bytes) }), 400, 'BadDigest')
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { method: 'PUT' }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.write(bytes)
      req.end()
    })
    assert.equal(chunked.status, 411)
    assert.match(chunked.text, /<Error><Code>MissingContentLength<\/Code>/)
    await expectS3Error(await fetch(url), 405, 'MethodNotAllowed')
    const ok = await fetch(url, { method: 'PUT', headers: { 'content-md5': createHash('md5').update(bytes).digest('base64') }, body: new Uint8Array(bytes) })
    assert.equal(ok.status, 200)
  })

  it('refuses part PUTs to a completed upload, and unknown routes', async () => {
    const bytes = randomBytes(10)
    const up = await getUploadUrl(fake, { size: bytes.length })
    const parts = await putAll(up, bytes)
    assert.equal((await complete(fake, { uploadId: up.uploadId, key: up.path, parts })).status, 200)
    await expectS3Error(await put(up.partUrls[0]!.signedUrl, bytes), 404, 'NoSuchUpload')
    await expectJsonString(await post(fake, '/nope', {}), 404, 'Not Found')
    const pre = await fetch(`${fake.url}/get-upload-url`, { method: 'OPTIONS', headers: { origin: 'http://page.test' } })
    assert.equal(pre.status, 404)
    assert.equal(pre.headers.get('access-control-allow-origin'), null)
  })
})
