// Contract fake of Luw.ai's two-step file upload, written from the provider's published docs:
//   https://luw-ai.gitbook.io/api/luw.ai-api-documentation/introduction/uploading-files
//   (seed: /work/shared/seeds/002_f8d65ad46a103816.txt)
//
// The flow as documented:
//   1. POST /v2/upload (Authorization: Bearer <token>, form fields `filename` = a file *name*, optional
//      integer `pid`) → { status: true, signed_url, final_url }
//   2. PUT <signed_url> with the bytes and the headers Content-Type, Cache-Control: max-age=315360000
//      and Expires → 200
//   3. GET /v2/finalize_upload?url=<final_url> (Bearer token) → { status: true }; then final_url serves
//      the file.
// Supported types: jpg, jpeg, png, webp, gif, svg, tif/tiff, mp4, glb, gltf, fbx. A name starting with
// `x12tmp-` is a temporary upload (kept 12 h).
//
// Where the docs are silent this fake behaves like a well-run API in front of a GCS/S3 bucket, and says
// so next to the code. One deliberate departure: the docs' browser example calls the API from a page
// (so the real API presumably answers CORS), but the token must never reach a page, so here the API
// routes answer no CORS at all and the fake records every request's Origin: a test can prove Hoist
// only ever calls them from its server.
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Failures, answer, startFake, type Fake, type FakeRequest, type FakeResponse, type StoredFile } from './common.js'

export interface LuwFakeOptions {
  /** The API token the fake accepts as `Authorization: Bearer <token>`. */
  token: string
  /** Clock (ms since epoch) for signed-URL expiry and the `Expires` check; defaults to `Date.now`. */
  now?: () => number
  /** Largest body the storage PUT accepts (bytes); defaults to 64 MiB. The docs state no limit. */
  maxFileSize?: number
}

/** The headers of the storage PUT that the signed URL signs, as the successful PUT sent them. */
export interface LuwPutHeaders {
  'content-type': string
  'cache-control': string
  expires: string
}

export interface LuwUpload {
  /** The `filename` field as sent to /v2/upload (before any de-duplicating suffix). */
  filename: string
  /** The `pid` field as sent, or undefined when none was. */
  pid: string | undefined
  /** True when `filename` starts with `x12tmp-` (the docs: kept 12 hours). */
  temporary: boolean
  /** Headers of the last accepted storage PUT; undefined until one succeeded. */
  putHeaders: LuwPutHeaders | undefined
}

export interface LuwFake extends Fake {
  /**
   * Make the next request to `path` answer `status` + `body` instead (queued; one per call). `path` is
   * matched exactly or as a prefix of whole segments, so '/storage' hits the next storage PUT. A string
   * body starting with '<' is sent as XML, any other string as text, anything else as JSON.
   */
  failNext(path: string, status: number, body: unknown): void
  /** Every allocation /v2/upload answered, by its final_url. */
  readonly uploads: Map<string, LuwUpload>
}

/** Extension → the Content-Type the storage PUT must carry (the signed URL is signed for it). */
const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  glb: 'model/gltf-binary',
  gltf: 'model/gltf+json',
  // FBX has no registered media type; generic binary is what a bucket expects for it.
  fbx: 'application/octet-stream',
}

const CACHE_CONTROL = 'max-age=315360000'
/** Signed URLs are valid 15 minutes (the docs are silent; a common GCS signed-URL lifetime). */
const SIGNED_URL_TTL_MS = 15 * 60 * 1000
const API_BODY_LIMIT = 64 * 1024
/** Bound on allocations held, so a runaway client cannot grow the fake without end. */
const MAX_UPLOADS = 10_000
const TEMPORARY_PREFIX = 'x12tmp-'
/** RFC 9110 §5.6.7 IMF-fixdate, the only form a sender may generate (the obsolete forms are refused). */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

interface Pending {
  id: string
  signature: string
  issuedAt: number
  finalUrl: string
  upload: LuwUpload
  bytes: Buffer | undefined
  type: string | undefined
  finalized: boolean
}

/** The JSON error body the docs' responses imply: `{ status: false, message }`. */
const fail = (status: number, message: string): never => answer(status, { status: false, message })

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
/** A GCS-style XML error, as the bucket behind the signed URL answers. */
const xmlError = (status: number, code: string, message: string): never =>
  answer(status, `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`, {
    'content-type': 'application/xml; charset=UTF-8',
  })

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

/** Refuses a body whose declared length is over `limit` before reading it (else the read stops at it). */
const declaredTooLarge = (fr: FakeRequest, limit: number) => Number(header(fr.headers, 'content-length') ?? 0) > limit

export async function startLuwFake(options: LuwFakeOptions): Promise<LuwFake> {
  const now = options.now ?? Date.now
  const maxFileSize = options.maxFileSize ?? 64 * 1024 * 1024
  const uploads = new Map<string, LuwUpload>()
  const byFinalUrl = new Map<string, Pending>()
  const byId = new Map<string, Pending>()
  const stored = new Map<string, StoredFile>()
  // A queued path matches exactly or as a whole-segment prefix ('/storage' hits any storage PUT).
  const failures = new Failures((key, path) => path === key || path.startsWith(key.endsWith('/') ? key : `${key}/`))
  let base = ''

  const authorize = (fr: FakeRequest) => {
    const m = /^Bearer (.+)$/i.exec(header(fr.headers, 'authorization') ?? '')
    if (!m || m[1] !== options.token) fail(401, 'Unauthorized')
  }

  const readForm = async (fr: FakeRequest): Promise<FormData> => {
    const type = (header(fr.headers, 'content-type') ?? '').toLowerCase()
    // The docs use curl -F (multipart/form-data); a urlencoded form is accepted too. JSON is not
    // documented, and is refused rather than guessed at.
    if (!type.startsWith('multipart/form-data') && !type.startsWith('application/x-www-form-urlencoded')) {
      fail(400, 'Body must be multipart/form-data or application/x-www-form-urlencoded')
    }
    if (declaredTooLarge(fr, API_BODY_LIMIT)) fail(413, 'Request body too large')
    let body: Buffer
    try {
      body = await fr.body(API_BODY_LIMIT)
    } catch {
      return fail(413, 'Request body too large')
    }
    try {
      return await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData()
    } catch {
      return fail(400, 'Malformed form body')
    }
  }

  const upload = async (fr: FakeRequest): Promise<FakeResponse> => {
    authorize(fr)
    if (fr.method !== 'POST') fail(405, 'Method not allowed')
    const form = await readForm(fr)
    const names = form.getAll('filename')
    if (names.length === 0 || names[0] === '') fail(400, 'The filename field is required')
    if (names.length > 1) fail(400, 'filename must be sent once')
    const filename = names[0]
    // The docs' table says type "file" but the text and both examples send the file's *name*; the
    // bytes go to the signed URL. A file part here is a client sending the file to the wrong place.
    if (typeof filename !== 'string') return fail(400, 'filename must be a file name, not a file')
    // A well-run API allocates object names, not paths: no separators, no control characters.
    if (filename.length > 255 || /[/\\\x00-\x1f\x7f]/.test(filename) || filename === '.' || filename === '..') {
      fail(400, 'filename must be a plain file name')
    }
    const pids = form.getAll('pid')
    if (pids.length > 1) fail(400, 'pid must be sent once')
    const rawPid = pids[0]
    const pid = typeof rawPid === 'string' ? rawPid : undefined
    if (rawPid !== undefined && (pid === undefined || !/^\d{1,18}$/.test(pid))) fail(400, 'pid must be an integer')
    const ext = /\.([^.]+)$/.exec(filename)?.[1]?.toLowerCase()
    if (ext === undefined || !(ext in TYPES)) fail(400, 'Unsupported file type')
    if (uploads.size >= MAX_UPLOADS) fail(429, 'Too many uploads')

    const folder = `${base}/cdn/luwai/${pid ?? 'default'}/`
    // The docs name the object after `filename` (…/luwai/123/image.jpg) and say nothing of a second
    // upload of the same name. Silently overwriting another upload's final_url would be the worst
    // choice, so, like most CDN-backed APIs, a taken name gets a short random suffix before its
    // extension (image-3fa9c1.jpg). The loop is bounded; a collision of 24 random bits 8 times over
    // is not going to happen.
    let objectName = filename
    for (let i = 0; byFinalUrl.has(folder + encodeURIComponent(objectName)); i++) {
      if (i >= 8) fail(409, 'Could not allocate a unique file name')
      objectName = `${filename.slice(0, -(ext!.length + 1))}-${randomBytes(3).toString('hex')}.${filename.slice(-ext!.length)}`
    }
    const finalUrl = folder + encodeURIComponent(objectName)
    const record: LuwUpload = { filename, pid, temporary: filename.startsWith(TEMPORARY_PREFIX), putHeaders: undefined }
    const pending: Pending = {
      id: randomBytes(16).toString('hex'),
      signature: randomBytes(32).toString('hex'),
      issuedAt: now(),
      finalUrl,
      upload: record,
      bytes: undefined,
      type: undefined,
      finalized: false,
    }
    uploads.set(finalUrl, record)
    byFinalUrl.set(finalUrl, pending)
    byId.set(pending.id, pending)
    return {
      status: 200,
      body: { status: true, signed_url: `${base}/storage/${pending.id}?X-Goog-Signature=${pending.signature}`, final_url: finalUrl },
    }
  }

  const put = async (fr: FakeRequest): Promise<FakeResponse> => {
    const pending = byId.get(fr.path.slice('/storage/'.length))
    const signatures = fr.query.getAll('X-Goog-Signature')
    // The method is part of what a signed URL signs: anything but PUT, an unknown object, or a
    // missing/altered signature is a signature mismatch, as GCS/S3 answer it.
    if (fr.method !== 'PUT' || !pending || signatures.length !== 1 || signatures[0] !== pending.signature) {
      xmlError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
    }
    const p = pending!
    if (now() - p.issuedAt > SIGNED_URL_TTL_MS) xmlError(403, 'AccessDenied', 'Request has expired')
    // Once finalized the object is committed to the CDN; the docs are silent, and a well-run API does
    // not let a stale signed URL swap the bytes behind a published final_url.
    if (p.finalized) xmlError(403, 'AccessDenied', 'The object has already been finalized')

    // The signed URL signs these three headers (the docs' curl example sends all three), so the bucket
    // refuses a PUT that lacks one or sends another value. A real GCS bucket answers such a PUT 403
    // SignatureDoesNotMatch without saying which; this fake answers 400 InvalidArgument naming the
    // header, so a failing test says what is wrong.
    const ext = /\.([^.]+)$/.exec(p.upload.filename)![1]!.toLowerCase()
    const expectedType = TYPES[ext]!
    const contentType = header(fr.headers, 'content-type')
    if (contentType === undefined) xmlError(400, 'InvalidArgument', `Missing required header Content-Type (signed as ${expectedType})`)
    // Exact (case-insensitive) match: a signed header value has no room for extra parameters.
    if (contentType!.trim().toLowerCase() !== expectedType) {
      xmlError(400, 'InvalidArgument', `Content-Type must be ${expectedType} for .${ext}, got ${contentType}`)
    }
    const cacheControl = header(fr.headers, 'cache-control')
    if (cacheControl === undefined) xmlError(400, 'InvalidArgument', `Missing required header Cache-Control (signed as ${CACHE_CONTROL})`)
    if (cacheControl !== CACHE_CONTROL) xmlError(400, 'InvalidArgument', `Cache-Control must be exactly ${CACHE_CONTROL}, got ${cacheControl}`)
    const expires = header(fr.headers, 'expires')
    if (expires === undefined) xmlError(400, 'InvalidArgument', 'Missing required header Expires (an HTTP date in the future)')
    // Any IMF-fixdate is taken, whether or not its weekday name matches the date: HTTP date parsers
    // ignore it, and the docs' own example (Sun, 19 Jul 2030) names the wrong day (it is a Friday).
    const expiresAt = IMF_FIXDATE.test(expires!) ? Date.parse(expires!) : NaN
    if (Number.isNaN(expiresAt)) xmlError(400, 'InvalidArgument', `Expires must be an HTTP date (IMF-fixdate), got ${expires}`)
    if (expiresAt <= now()) xmlError(400, 'InvalidArgument', `Expires must be in the future, got ${expires}`)

    if (declaredTooLarge(fr, maxFileSize)) xmlError(413, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
    let bytes: Buffer
    try {
      bytes = await fr.body(maxFileSize)
    } catch {
      return xmlError(413, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size')
    }
    // Re-PUT before finalize overwrites the object, as a bucket does.
    p.bytes = bytes
    p.type = expectedType
    p.upload.putHeaders = { 'content-type': contentType!, 'cache-control': cacheControl!, expires: expires! }
    return { status: 200, headers: { etag: `"${createHash('md5').update(bytes).digest('hex')}"` } }
  }

  const finalize = (fr: FakeRequest): FakeResponse => {
    authorize(fr)
    // The docs call it with GET (axios.get with params).
    if (fr.method !== 'GET') fail(405, 'Method not allowed')
    const url = fr.query.get('url')
    if (!url) return fail(400, 'The url parameter is required')
    const p = byFinalUrl.get(url)
    if (!p) return fail(404, 'Upload not found')
    if (p.bytes === undefined) fail(400, 'File not uploaded')
    // Idempotent: it is a GET, and a server that lost the first answer (timeout, restart) must be able
    // to retry without its upload turning into an error. A second call changes nothing.
    if (!p.finalized) {
      p.finalized = true
      stored.set(p.finalUrl, {
        bytes: p.bytes!,
        type: p.type!,
        name: p.upload.filename,
        meta: { temporary: String(p.upload.temporary), pid: p.upload.pid ?? '' },
      })
    }
    return { status: 200, body: { status: true } }
  }

  const cdn = (fr: FakeRequest): FakeResponse => {
    if (fr.method !== 'GET' && fr.method !== 'HEAD') xmlError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
    // Not served before finalize: the object is not published yet.
    const file = stored.get(base + fr.path)
    if (!file) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.')
    const etag = `"${createHash('md5').update(file.bytes).digest('hex')}"`
    return { status: 200, body: file.bytes, headers: { 'content-type': file.type, 'cache-control': CACHE_CONTROL, etag } }
  }

  const route = async (fr: FakeRequest): Promise<FakeResponse> => {
    const failure = failures.take(fr.path)
    if (failure) return failure
    if (fr.path === '/v2/upload') return upload(fr)
    if (fr.path === '/v2/finalize_upload') return finalize(fr)
    if (fr.path.startsWith('/storage/')) return put(fr)
    if (fr.path.startsWith('/cdn/')) return cdn(fr)
    return fail(404, 'Not found')
  }

  const fake = await startFake(route, (path) => path.startsWith('/storage/') || path.startsWith('/cdn/'), stored)
  base = fake.url
  return {
    ...fake,
    uploads,
    failNext(path: string, status: number, body: unknown) {
      const response: FakeResponse =
        typeof body === 'string'
          ? { status, body, headers: { 'content-type': body.startsWith('<') ? 'application/xml; charset=UTF-8' : 'text/plain; charset=utf-8' } }
          : { status, body }
      failures.add(path, response)
    },
  }
}
