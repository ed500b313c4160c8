// Contract fake of Upscayl Cloud's upload API, written from the provider's published docs:
//   https://docs.upscayl.org/get-upload-url.md              (POST /get-upload-url, its OpenAPI)
//   https://docs.upscayl.org/complete-a-multipart-upload.md (POST /complete-multipart-upload)
//   https://docs.upscayl.org/start-task.md                  (what `path` is for; the `users/<id>/<name>` shape)
//
// The flow: the server asks `POST /get-upload-url` (header `X-API-Key`) for a file of a declared
// size, type and name; the answer names the upload, dictates `partSize`, and lists a presigned PUT
// URL for EVERY part at once. The bytes go straight to storage (here `PUT /s3/<uploadId>/<part>`,
// CORS like a browser-upload bucket, answering each part's `ETag`), then the server calls
// `POST /complete-multipart-upload` with `{ data: { uploadId, key, parts: [{ PartNumber, ETag }] } }`,
// where `key` is the `path` get-upload-url answered. Only then is the file in `fake.stored`, under
// that `path` (the provider's own handle: start-task takes it).
//
// Error bodies: the OpenAPI documents them as JSON whose example is a bare string
// ('Bad Request: Missing User ID', 'Insufficient credits', 'Internal Server Error'), so every API
// error here is a JSON string `"Bad Request: …"` with `content-type: application/json`, except 401,
// whose shape the docs do not give: `{ status: 'error', message: 'Unauthorized' }` (decided for both
// sides). Storage errors are S3's XML `<Error><Code>…</Code>…</Error>`.
//
// Where the docs are silent the fake does what an S3-backed API run well would do; each such place
// says so below.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { Failures, Answer, answer, startFake, type Fake, type FakeRequest, type FakeResponse, type StoredFile } from './common.js'

export interface UpscaylFakeOptions {
  /** The only `X-API-Key` accepted on the API routes. */
  apiKey: string
  /** Successful get-upload-url calls left; each spends one; at 0 the call answers 402. Default Infinity. */
  credits?: number
  /** Largest `fileSize` accepted; larger → 400 "Bad Request: File too large". Default 500 MiB. */
  maxFileSize?: number
  /** The part size the provider dictates. Default 5 MiB (5242880, S3's minimum part). */
  partSize?: number
  /** The account's user id, used in `path` (`users/<userId>/<fileName>`). Default a random one. */
  userId?: string
  /** How long the part URLs are valid. Default 1 hour. */
  urlTtlMs?: number
  /** The fake's clock (epoch ms), so tests can expire URLs. Default `Date.now`. */
  now?: () => number
}

export interface UpscaylFake extends Fake {
  /**
   * Make the next request to `path` (an API path like '/get-upload-url', or a storage path) answer
   * `status` with `body` instead. The body is sent as JSON (a string becomes a JSON string, as the
   * docs' error examples are), e.g. `failNext('/get-upload-url', 500, 'Internal Server Error')`.
   * Calls queue: two calls fail the next two requests.
   */
  failNext(path: string, status: number, body: unknown): void
  /** Credits left (Infinity unless `options.credits` was given). */
  readonly credits: number
  /** Uploads by `uploadId`, as the fake holds them (for tests that need to look inside). */
  readonly uploads: ReadonlyMap<string, UpscaylUpload>
}

export interface UpscaylUpload {
  uploadId: string
  fileName: string
  fileType: string
  fileSize: number
  originalFileName: string
  path: string
  partSize: number
  partCount: number
  createdAt: number
  expiresAt: number
  /** Parts received so far, by part number (the last PUT of a part wins, as on S3). */
  parts: Map<number, { bytes: Buffer; etag: string }>
  completed: boolean
}

const MiB = 1024 * 1024
/** S3's limit on parts in one multipart upload. */
const MAX_PARTS = 10_000
const API_BODY_LIMIT = MiB

const json = (status: number, body: unknown): FakeResponse => ({
  status,
  // common.ts writes a string body as is: encode it here so that it goes out as a JSON string.
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json; charset=utf-8' },
})
/** A documented API error: a JSON string such as "Bad Request: Missing fileSize". */
const refuse = (status: number, message: string): never => {
  throw new Answer(json(status, message))
}
const badRequest = (what: string): never => refuse(400, `Bad Request: ${what}`)

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
/** S3's error answer. */
const s3Error = (status: number, code: string, message: string, extra: Record<string, string> = {}): never => {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('')
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
    `${fields}<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`
  return answer(status, body, { 'content-type': 'application/xml' })
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''
/** `type/subtype` per RFC 6838 (parameters allowed), e.g. `image/png`, `image/svg+xml; charset=utf-8`. */
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/i

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
/** S3 accepts a completion ETag with or without its surrounding quotes. */
const unquote = (etag: string) => etag.trim().replace(/^"(.*)"$/, '$1')

/** `20240102T030405Z`, as X-Amz-Date. */
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
const parseAmzDate = (s: string): number => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN
}

/** The generated stored name keeps the original's extension, else one from the MIME type. */
function extensionFor(originalFileName: string, fileType: string): string {
  const fromName = /\.([a-z0-9]{1,10})$/i.exec(originalFileName)?.[1]
  if (fromName) return fromName.toLowerCase()
  const sub = fileType.split(';')[0]!.split('/')[1]!.split('+')[0]!.toLowerCase()
  return sub === 'jpeg' ? 'jpg' : /^[a-z0-9]{1,10}$/.test(sub) ? sub : 'bin'
}

export async function startUpscaylFake(options: UpscaylFakeOptions): Promise<UpscaylFake> {
  const apiKey = options.apiKey
  let credits = options.credits ?? Infinity
  const maxFileSize = options.maxFileSize ?? 500 * MiB
  const partSize = options.partSize ?? 5 * MiB
  const userId = options.userId ?? randomBytes(8).toString('hex')
  const ttlMs = options.urlTtlMs ?? 60 * 60 * 1000
  const now = options.now ?? Date.now
  if (!apiKey) throw new Error('startUpscaylFake: options.apiKey is required')
  if (!Number.isInteger(partSize) || partSize < 1) throw new Error('startUpscaylFake: partSize must be a positive integer')

  const stored = new Map<string, StoredFile>()
  const uploads = new Map<string, UpscaylUpload>()
  const failures = new Failures()
  /** Signs part URLs; unknown outside the fake, so a URL cannot be forged or altered. */
  const secret = randomBytes(32)
  let base = ''

  const sign = (uploadId: string, part: number, date: string, expires: string) =>
    createHmac('sha256', secret).update(`PUT\n/s3/${uploadId}/${part}\n${date}\n${expires}`).digest('hex')

  const partUrl = (uploadId: string, part: number, createdAt: number) => {
    const date = amzDate(createdAt)
    const expires = String(Math.ceil(ttlMs / 1000))
    const q = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': sign(uploadId, part, date, expires),
    })
    return `${base}/s3/${encodeURIComponent(uploadId)}/${part}?${q}`
  }

  /** Auth on the API routes. The docs give the header; 401 and its body were decided for both sides. */
  const authorize = (req: FakeRequest) => {
    const given = req.headers['x-api-key']
    const a = Buffer.from(typeof given === 'string' ? given : '')
    const b = Buffer.from(apiKey)
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new Answer({ status: 401, body: { status: 'error', message: 'Unauthorized' } })
    }
  }

  /** The `data` object of a JSON body. The docs say `application/json`: anything else is refused. */
  const readData = async (req: FakeRequest): Promise<Record<string, unknown>> => {
    const type = String(req.headers['content-type'] ?? '')
    if (!/^application\/json\s*(;|$)/i.test(type)) badRequest('Content-Type must be application/json')
    // Judged on Content-Length first: common.ts's reader drops the connection on overflow, before
    // any answer could be read.
    if (Number(req.headers['content-length'] ?? 0) > API_BODY_LIMIT) refuse(413, 'Payload Too Large')
    let raw: Buffer
    try {
      raw = await req.body(API_BODY_LIMIT)
    } catch (err) {
      if (err instanceof Answer && err.response.status === 413) refuse(413, 'Payload Too Large')
      throw err
    }
    let body: unknown
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return badRequest('Invalid JSON body')
    }
    if (!isObject(body) || !isObject(body.data)) return badRequest('Missing data')
    return body.data
  }

  const getUploadUrl = async (req: FakeRequest): Promise<FakeResponse> => {
    authorize(req)
    const data = await readData(req)
    const { fileSize, fileType, originalFileName } = data
    if (fileSize === undefined || fileSize === null) badRequest('Missing fileSize')
    if (typeof fileSize !== 'number' || !Number.isSafeInteger(fileSize) || fileSize <= 0) badRequest('Invalid fileSize')
    if (fileType === undefined || fileType === null || fileType === '') badRequest('Missing fileType')
    if (typeof fileType !== 'string' || !MIME.test(fileType)) badRequest('Invalid fileType')
    if (originalFileName === undefined || originalFileName === null || originalFileName === '') badRequest('Missing originalFileName')
    if (!nonEmptyString(originalFileName) || originalFileName.length > 1024) badRequest('Invalid originalFileName')
    const size = fileSize as number
    const partCount = Math.max(1, Math.ceil(size / partSize))
    // Docs silent on a size limit; the fake has `maxFileSize`, and S3 allows at most 10,000 parts.
    if (size > maxFileSize || partCount > MAX_PARTS) badRequest('File too large')
    // Validation first, then credits: a malformed request spends nothing and is told what is wrong.
    if (credits <= 0) refuse(402, 'Insufficient credits')
    credits -= 1

    const createdAt = now()
    const uploadId = randomBytes(24).toString('base64url')
    const fileName = `${randomUUID()}.${extensionFor(originalFileName as string, fileType as string)}`
    const upload: UpscaylUpload = {
      uploadId,
      fileName,
      fileType: fileType as string,
      fileSize: size,
      originalFileName: originalFileName as string,
      path: `users/${userId}/${fileName}`,
      partSize,
      partCount,
      createdAt,
      expiresAt: createdAt + ttlMs,
      parts: new Map(),
      completed: false,
    }
    uploads.set(uploadId, upload)
    return json(200, {
      status: 'success',
      data: {
        uploadId,
        partUrls: Array.from({ length: partCount }, (_, i) => ({ partNumber: i + 1, signedUrl: partUrl(uploadId, i + 1, createdAt) })),
        partSize,
        fileName,
        fileType: upload.fileType,
        fileSize: upload.fileSize,
        originalFileName: upload.originalFileName,
        path: upload.path,
        // The docs say "Timestamp"; epoch milliseconds was decided for both sides.
        createdAt,
        expiresAt: upload.expiresAt,
      },
    })
  }

  /** A part PUT to a presigned URL, checked as S3 checks one. */
  const putPart = async (req: FakeRequest, uploadId: string, partText: string): Promise<FakeResponse> => {
    const q = req.query
    const signature = q.get('X-Amz-Signature')
    const date = q.get('X-Amz-Date')
    const expires = q.get('X-Amz-Expires')
    if (!signature || !date || !expires || q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      s3Error(403, 'AccessDenied', 'Query-string authentication requires the X-Amz-Algorithm, X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters')
    }
    const part = /^[1-9]\d{0,4}$/.test(partText) ? Number(partText) : NaN
    const expected = Number.isNaN(part) ? '' : sign(uploadId, part, date!, expires!)
    const given = Buffer.from(signature!)
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
    }
    const signedAt = parseAmzDate(date!)
    if (!(signedAt + Number(expires) * 1000 > now())) {
      s3Error(403, 'AccessDenied', 'Request has expired', { Expires: new Date(signedAt + Number(expires) * 1000).toISOString() })
    }
    const upload = uploads.get(uploadId)
    // A completed upload's parts are gone, as on S3.
    if (!upload || upload.completed || part > upload.partCount) {
      s3Error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId })
    }
    // S3 refuses a PUT without a length (chunked bodies need its own streaming signature).
    if (req.headers['content-length'] === undefined) s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    // S3 takes parts of any size at PUT time (up to 5 GiB) and judges sizes at completion; the fake
    // bounds a part to twice the part size (at least 64 MiB) to stay bounded.
    const limit = Math.max(64 * MiB, 2 * upload!.partSize)
    if (Number(req.headers['content-length']) > limit) s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
    let bytes: Buffer
    try {
      bytes = await req.body(limit)
    } catch (err) {
      if (err instanceof Answer && err.response.status === 413) s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
      throw err
    }
    const contentMd5 = req.headers['content-md5']
    if (typeof contentMd5 === 'string' && contentMd5 !== createHash('md5').update(bytes!).digest('base64')) {
      s3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what was received.')
    }
    const etag = md5(bytes!)
    upload!.parts.set(part, { bytes: bytes!, etag })
    return { status: 200, headers: { etag: `"${etag}"` } }
  }

  const completeMultipartUpload = async (req: FakeRequest): Promise<FakeResponse> => {
    authorize(req)
    const data = await readData(req)
    const { uploadId, key, parts } = data
    if (!nonEmptyString(uploadId)) badRequest('Missing uploadId')
    if (!nonEmptyString(key)) badRequest('Missing key')
    if (!Array.isArray(parts) || parts.length === 0) badRequest('Missing parts')
    // Docs silent on these answers; S3 says NoSuchUpload (404), the decision was 400 like the rest.
    const upload = uploads.get(uploadId as string)
    if (!upload) return badRequest('Invalid uploadId')
    if (upload.completed) badRequest('Upload already completed')
    if (key !== upload.path) badRequest('key does not match the upload')
    const list = parts as unknown[]
    if (list.length > MAX_PARTS) badRequest('Too many parts')
    // S3's CompletedPart shape, as the docs' `{ PartNumber, ETag }`.
    list.forEach((p, i) => {
      if (!isObject(p) || !Number.isInteger(p.PartNumber) || !nonEmptyString(p.ETag)) {
        badRequest(`Invalid part at index ${i}: PartNumber (integer) and ETag (string) are required`)
      }
    })
    const given = list as { PartNumber: number; ETag: string }[]
    for (let i = 1; i < given.length; i++) {
      // S3: InvalidPartOrder.
      if (given[i]!.PartNumber <= given[i - 1]!.PartNumber) badRequest('Parts must be listed once each, in ascending PartNumber order')
    }
    // Docs silent; the URLs were issued for exactly this many parts, so all of them must be listed.
    if (given.length !== upload.partCount || given.some((p, i) => p.PartNumber !== i + 1)) {
      badRequest(`Parts must list every part from 1 to ${upload.partCount}`)
    }
    let total = 0
    for (const p of given) {
      const got = upload.parts.get(p.PartNumber)
      // S3: InvalidPart, for a part not uploaded or an ETag that is not the part's.
      if (!got) badRequest(`Part ${p.PartNumber} was not uploaded`)
      if (unquote(p.ETag) !== got!.etag) badRequest(`ETag does not match part ${p.PartNumber}`)
      const last = p.PartNumber === upload.partCount
      // S3: EntityTooSmall. Larger parts are refused too: the URLs were for this declared layout.
      if (!last && got!.bytes.length < upload.partSize) badRequest(`Part ${p.PartNumber} is smaller than partSize (${upload.partSize} bytes)`)
      if (!last && got!.bytes.length > upload.partSize) badRequest(`Part ${p.PartNumber} is larger than partSize (${upload.partSize} bytes)`)
      total += got!.bytes.length
    }
    if (total !== upload.fileSize) badRequest(`Uploaded size (${total} bytes) does not match fileSize (${upload.fileSize} bytes)`)

    const bytes = Buffer.concat(given.map((p) => upload.parts.get(p.PartNumber)!.bytes), total)
    upload.completed = true
    upload.parts.clear()
    stored.set(upload.path, {
      bytes,
      type: upload.fileType,
      name: upload.originalFileName,
      meta: { uploadId: upload.uploadId, fileName: upload.fileName, path: upload.path },
    })
    // The docs are silent on the success answer; this is the decided shape: the upload's record.
    return json(200, {
      status: 'success',
      data: {
        uploadId: upload.uploadId,
        key: upload.path,
        path: upload.path,
        fileName: upload.fileName,
        fileSize: upload.fileSize,
        fileType: upload.fileType,
        originalFileName: upload.originalFileName,
      },
    })
  }

  const route = async (req: FakeRequest): Promise<FakeResponse> => {
    const failure = failures.take(req.path)
    if (failure) return failure
    const storage = /^\/s3\/([^/]+)\/([^/]+)$/.exec(req.path)
    if (storage) {
      if (req.method !== 'PUT') s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
      let id: string
      try {
        id = decodeURIComponent(storage[1]!)
      } catch {
        return s3Error(404, 'NoSuchUpload', 'The specified upload does not exist.')
      }
      return putPart(req, id, storage[2]!)
    }
    // Both API calls are POSTs; anything else is not a route (as an Express app answers it).
    if (req.method === 'POST' && req.path === '/get-upload-url') return getUploadUrl(req)
    if (req.method === 'POST' && req.path === '/complete-multipart-upload') return completeMultipartUpload(req)
    return json(404, 'Not Found')
  }

  const fake = await startFake(route, (path) => path.startsWith('/s3/'), stored)
  base = fake.url
  return {
    url: fake.url,
    requests: fake.requests,
    stored: fake.stored,
    close: fake.close,
    failNext(path: string, status: number, body: unknown) {
      failures.add(path, json(status, body))
    },
    get credits() {
      return credits
    },
    uploads,
  }
}
