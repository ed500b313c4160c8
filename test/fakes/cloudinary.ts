// Contract fake of Cloudinary's Upload API (upload + destroy) and of its delivery CDN, written from
// the provider's published docs:
//   /work/shared/seeds/004_72040e69c742615d.txt = https://cloudinary.com/documentation/upload_images
//       (endpoint `POST /v1_1/<cloud>/<resource_type>/upload`, resource types image|raw|video|auto,
//       signed / Basic / unsigned requests, chunked uploads, the upload response, error statuses and
//       the `{ error: { message } }` body)
//   https://cloudinary.com/documentation/authentication_signatures (the string to sign; the worked
//       example with secret 'abcd'; SHA-1 or SHA-256; valid for 1 hour)
//   https://cloudinary.com/documentation/response_signatures (`public_id=<id>&version=<v>` + secret)
//   https://cloudinary.com/documentation/signatures (array values joined with commas)
//   https://cloudinary.com/documentation/image_upload_api_reference (upload and destroy methods,
//       `#unsigned_upload_parameters`)
//   https://cloudinary.com/documentation/ts_unsupported_parameters_in_unsigned_uploads (the exact
//       "XXX parameter is not allowed when using unsigned upload. Only … are allowed." error and the list)
//   https://cloudinary.com/documentation/upload_presets (signed / unsigned presets, preset precedence)
//   https://support.cloudinary.com/hc/en-us/articles/208263735 (chunked uploads: X-Unique-Upload-Id
//       identical on every chunk, `Content-Range: bytes <start>-<end>/<total>`, every chunk but the
//       last > 5 MB, the last chunk sent after every other one has been answered)
//   Error wordings seen from the real service in public issue threads: "Invalid Signature <sig>. String
//   to sign - '<string>'." (nuxt-modules/cloudinary#69), "Stale request - reported time is <t> which is
//   more than 1 hour ago" (cloudinary/cloudinary_gem#222), "Upload preset must be specified when using
//   unsigned upload" (Vydia/react-native-background-upload#91), "Upload preset must be whitelisted for
//   unsigned uploads" (cloudinary/cloudinary_npm#254).
//
// Routes:
//   POST /v1_1/<cloud>/<image|video|raw|auto>/upload   CORS (documented for browser uploads)
//   POST /v1_1/<cloud>/<image|video|raw>/destroy       no CORS (a server call)
//   GET  /v1_1/<cloud>/resources/<rt>/upload/<id>      Admin API details, Basic auth, no CORS
//   GET|HEAD /<cloud>/<resource_type>/upload[/v<version>]/<public_id>[.<format>]   the CDN, CORS
// `fake.stored` holds each asset under its public_id once its upload is complete.
// A remote HTTP(S) URL as `file` is never fetched: `fake.remote` says what each link holds.
//
// Where the docs are silent the fake does what a well-run S3-backed API would do; each such place
// says so below ("Docs silent").
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Busboy } from '@fastify/busboy'
import { Failures, Answer, startFake, type Fake, type FakeRequest, type FakeResponse, type Remote, type StoredFile } from './common.js'

export interface CloudinaryPreset {
  /** Unsigned presets may be used by unsigned (browser) uploads; signed ones only by signed uploads. */
  unsigned: boolean
  /** Folder the preset puts assets in (takes precedence over the call's `folder`, as the docs say). */
  folder?: string
}

export interface CloudinaryFakeOptions {
  cloudName: string
  apiKey: string
  apiSecret: string
  presets?: Record<string, CloudinaryPreset>
  /** Largest file one non-chunked upload request may carry. Default 100 MiB (the docs: `upload_large`
   *  "is required for any files that are larger than 100 MB"). */
  maxFileSize?: number
  /** Largest total a chunked upload may declare in `Content-Range`. Default 20 GiB. */
  maxChunkedFileSize?: number
  /** The fake's clock (epoch ms), for timestamps and versions. Default `Date.now`. */
  now?: () => number
}

/** A chunked upload in progress, by its `X-Unique-Upload-Id`. */
export interface CloudinaryChunkedUpload {
  uploadId: string
  resourceType: string
  total: number
  /** Byte ranges received so far (inclusive ends), in arrival order. */
  chunks: { start: number; end: number; bytes: Buffer }[]
  received: number
  /** The string to sign of the first chunk's parameters (less timestamp/signature): every chunk must match. */
  paramsKey: string
  publicId: string
  assetId: string
  filename: string
  contentType: string
}

export interface CloudinaryFake extends Fake {
  /**
   * Make the next request to `path` answer `status` with `body` (sent as JSON) instead, e.g.
   * `failNext('/v1_1/demo/image/upload', 420, { error: { message: 'Rate Limited' } })`. `path` is the
   * request's path, or a tail of it starting with '/' ('/image/upload' matches any cloud's). The
   * request body is read (and dropped) first. Calls queue.
   */
  failNext(path: string, status: number, body: unknown): void
  /** The full upload response of every stored asset, by public_id. */
  readonly assets: ReadonlyMap<string, Record<string, unknown>>
  /** Chunked uploads not yet complete, by X-Unique-Upload-Id. */
  readonly chunkedUploads: ReadonlyMap<string, CloudinaryChunkedUpload>
  /** What each link holds, for an upload whose `file` is a URL (a link not listed answers as a 404 would). */
  readonly remote: Map<string, Remote>
}

const MiB = 1024 * 1024
/** Docs: every chunk except the last "must be larger than 5mb"; the SDKs' floor is 5 MB = 5,242,880 bytes. */
export const MIN_CHUNK_SIZE = 5 * MiB
/** Docs silent on a chunk's upper bound: one chunk is one request, so it gets the non-chunked ceiling. */
const MAX_CHUNK_SIZE = 100 * MiB
/** Room for the non-file fields and the multipart framing in a request body. */
const FIELDS_ROOM = MiB
/** Docs: "The signature is valid for 1 hour." */
const SIGNATURE_TTL_S = 3600
/** Bounds on what unfinished chunked uploads may hold (the fake keeps chunks in memory). */
const MAX_OPEN_CHUNKED = 64
const MAX_BUFFERED = 2048 * MiB

/** Documented allow-list for unsigned uploads (ts_unsupported_parameters_in_unsigned_uploads), in its order. */
export const UNSIGNED_ALLOWED = [
  'upload_preset', 'callback', 'public_id', 'folder', 'asset_folder', 'tags', 'context', 'metadata',
  'face_coordinates', 'custom_coordinates', 'source', 'filename_override', 'manifest_transformation',
  'manifest_json', 'template', 'template_vars', 'regions', 'public_id_prefix',
] as const
/**
 * Not upload options but what clients send along anyway: the SDKs' unsigned upload still posts
 * `api_key` and `timestamp` (cloudinary_java#23; the real service answers such a call about the preset
 * only, react-native-background-upload#91), so they are tolerated and ignored, not refused.
 */
const UNSIGNED_TOLERATED = new Set(['file', 'api_key', 'timestamp'])

const UPLOAD_TYPES = new Set(['image', 'video', 'raw', 'auto'])
const DESTROY_TYPES = new Set(['image', 'video', 'raw'])
/** Image formats Cloudinary takes that the fake cannot parse: accepted by name, without width/height. */
const OTHER_IMAGE_EXTS = new Set(['svg', 'pdf', 'bmp', 'tif', 'tiff', 'ico', 'heic', 'heif', 'avif', 'jp2', 'psd', 'eps', 'ai'])
const MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml',
  pdf: 'application/pdf', mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
}

const API_PATH = /^\/v1_1\/([^/]+)\/([^/]+)\/(upload|destroy)$/
const ADMIN_RESOURCE = /^\/v1_1\/([^/]+)\/resources\/([^/]+)\/([^/]+)\/(.+)$/
const CDN_PATH = /^\/([^/]+)\/(image|video|raw)\/upload\/(?:v(\d+)\/)?(.+)$/

// ---------------------------------------------------------------------------------------------------
// Signatures (pure)

const EXCLUDED_FROM_SIGNATURE = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature'])

/**
 * The documented string to sign (without the secret): every parameter except file, cloud_name,
 * resource_type and api_key (and the signature itself), sorted by name, `name=value` joined with `&`.
 * Empty values are left out, as the SDKs' `api_sign_request` does (and so must the server, or no SDK
 * signature would verify).
 */
export function stringToSign(params: Record<string, string | number>): string {
  return Object.keys(params)
    .filter((k) => !EXCLUDED_FROM_SIGNATURE.has(k) && params[k] !== undefined && params[k] !== null && String(params[k]) !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')
}

/** The documented authentication signature: hex SHA-1 (or SHA-256) of the string to sign + the API secret. */
export function sign(params: Record<string, string | number>, secret: string, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  return createHash(algorithm).update(stringToSign(params) + secret).digest('hex')
}

/** The signature in an upload response: SHA-1 of `public_id=<id>&version=<version>` + the API secret. */
export function responseSignature(publicId: string, version: number | string, secret: string): string {
  return createHash('sha1').update(`public_id=${publicId}&version=${version}${secret}`).digest('hex')
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name]
  return Array.isArray(v) ? v.join(', ') : v
}
/** Random public_id like the docs' "gotjephlnz2jgiu20zni": 20 lowercase letters and digits. */
const randomPublicId = () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('')
}

/** The documented error: JSON `{ error: { message } }`, also in the `X-Cld-Error` header as the service does. */
const cldError = (status: number, message: string): Answer =>
  new Answer({
    status,
    body: { error: { message } },
    // Header values must be printable ASCII; the message can quote caller-sent text.
    headers: { 'x-cld-error': message.replace(/[^\x20-\x7e]/g, '?').slice(0, 2000) },
  })
const fail = (status: number, message: string): never => {
  throw cldError(status, message)
}

/** "2016-12-15 04:02:46 +0000", the format of the real Stale request message. */
const fmtTime = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000')
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

const extOf = (filename: string) => {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(filename)
  return m ? m[1]!.toLowerCase() : ''
}
const baseName = (filename: string) => filename.replace(/^.*[\\/]/, '').replace(/\.[A-Za-z0-9]{1,10}$/, '')

// ---------------------------------------------------------------------------------------------------
// What the bytes are (width/height from the headers the docs' response reports)

interface Sniffed {
  format: string
  width?: number
  height?: number
}

export function sniffImage(b: Buffer): Sniffed | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) {
    if (b.toString('latin1', 12, 16) !== 'IHDR') return { format: 'png' }
    return { format: 'png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the JPEG markers to the first SOFn (baseline, progressive, lossless…; not DHT/JPG/DAC).
    let i = 2
    while (i + 9 <= b.length) {
      if (b[i] !== 0xff) break
      const marker = b[i + 1]!
      if (marker === 0xff) {
        i += 1
        continue
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
        i += 2
        continue
      }
      const len = b.readUInt16BE(i + 2)
      if (len < 2) break
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) }
      }
      i += 2 + len
    }
    return { format: 'jpg' }
  }
  if (b.length >= 10 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) }
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const kind = b.toString('latin1', 12, 16)
    if (kind === 'VP8 ') return { format: 'webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff }
    if (kind === 'VP8L') {
      const bits = b.readUInt32LE(21)
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
    }
    if (kind === 'VP8X') return { format: 'webp', width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 }
    return { format: 'webp' }
  }
  return undefined
}

const sniffVideo = (b: Buffer): string | undefined => {
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') return b.toString('latin1', 8, 10) === 'qt' ? 'mov' : 'mp4'
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm'
  return undefined
}

// ---------------------------------------------------------------------------------------------------
// Request bodies

interface Params {
  /** Every non-file parameter, query string first, then the body (the body wins). */
  params: Record<string, string>
  file?: { bytes: Buffer; filename: string; type: string }
  /** The link given as `file`, to look up in `fake.remote`. */
  remoteUrl?: string
}

function parseMultipart(contentType: string, body: Buffer): Promise<{ fields: [string, string][]; files: { field: string; filename: string; type: string; bytes: Buffer }[] }> {
  return new Promise((resolve, reject) => {
    const bad = () => reject(cldError(400, 'Invalid multipart/form-data or urlencoded body'))
    let parser: ReturnType<typeof Busboy>
    try {
      parser = Busboy({ headers: { 'content-type': contentType }, limits: { fields: 1000, parts: 1010, files: 8, fieldSize: MiB } })
    } catch {
      return bad()
    }
    const fields: [string, string][] = []
    const files: { field: string; filename: string; type: string; bytes: Buffer }[] = []
    const pending: Promise<void>[] = []
    let limited = false
    parser.on('field', (name, value, _nameTruncated, valueTruncated) => {
      if (valueTruncated) limited = true
      fields.push([name, value])
    })
    parser.on('file', (field, stream, filename, _enc, type) => {
      const chunks: Buffer[] = []
      pending.push(
        new Promise((done) => {
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => {
            files.push({ field, filename, type, bytes: Buffer.concat(chunks) })
            done()
          })
        }),
      )
    })
    for (const ev of ['fieldsLimit', 'filesLimit', 'partsLimit'] as const) parser.on(ev, () => (limited = true))
    parser.on('error', bad)
    parser.on('finish', () => {
      void Promise.all(pending).then(() => (limited ? reject(cldError(400, 'Too many or too large form fields')) : resolve({ fields, files })))
    })
    parser.end(body)
  })
}

async function readParams(fr: FakeRequest, limit: number): Promise<Params> {
  const contentType = header(fr.headers, 'content-type') ?? ''
  const body = await fr.body(limit)
  const list: [string, string][] = [...fr.query.entries()]
  let file: Params['file']
  if (/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType)) {
    const form = await parseMultipart(contentType, body)
    list.push(...form.fields)
    for (const f of form.files) {
      // Docs silent on stray file parts: only `file` carries bytes; anything else is refused, not guessed at.
      if (f.field !== 'file') fail(400, `Unexpected file field '${f.field}'`)
      if (file) fail(400, 'Only one file can be uploaded per request')
      file = { bytes: f.bytes, filename: f.filename, type: f.type }
    }
  } else if (/^application\/json\b/i.test(contentType)) {
    // Docs silent: a flat JSON object of parameters is accepted like a form (arrays joined with commas).
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      fail(400, 'Invalid JSON body')
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) fail(400, 'Invalid JSON body')
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v === null || v === undefined) continue
      list.push([k, Array.isArray(v) ? v.join(',') : typeof v === 'object' ? JSON.stringify(v) : String(v)])
    }
  } else if (body.length > 0) {
    fail(400, `Unsupported Content-Type '${contentType}'`)
  }
  const params: Record<string, string> = {}
  const arrays: Record<string, string[]> = {}
  for (const [name, value] of list) {
    // `tags[]=a&tags[]=b` is an array parameter; the signing docs join array values with commas.
    if (name.endsWith('[]')) (arrays[name.slice(0, -2)] ??= []).push(value)
    else params[name] = value
  }
  for (const [name, values] of Object.entries(arrays)) params[name] = values.join(',')
  if (params.file !== undefined) {
    if (file) fail(400, 'Only one file can be uploaded per request')
    // The real API also takes a data URI, an FTP or a storage URL as `file`. This fake takes bytes
    // and HTTP(S) links (looked up, never fetched) and refuses the others rather than pretend.
    if (!/^https?:\/\/[^/]/i.test(params.file)) fail(400, "This fake accepts file bytes (a multipart part named 'file') or an http(s) URL, not a data URI or path")
    const remoteUrl = params.file
    delete params.file
    return { params, remoteUrl }
  }
  return { params, file }
}

// ---------------------------------------------------------------------------------------------------

type AuthMode = 'signed' | 'basic' | 'unsigned'

export async function startCloudinaryFake(options: CloudinaryFakeOptions): Promise<CloudinaryFake> {
  const { cloudName, apiKey, apiSecret } = options
  const presets = options.presets ?? {}
  const maxFileSize = options.maxFileSize ?? 100 * MiB
  const maxChunked = options.maxChunkedFileSize ?? 20 * 1024 * MiB
  const now = options.now ?? Date.now
  const stored = new Map<string, StoredFile>()
  const assets = new Map<string, Record<string, unknown>>()
  const chunked = new Map<string, CloudinaryChunkedUpload>()
  const remote = new Map<string, Remote>()
  // A queued path matches the request's path exactly, or as its tail when it starts with '/'.
  const failures = new Failures((key, path) => path === key || (key.startsWith('/') && path.endsWith(key)))
  let base = ''

  // -------------------------------------------------------------------------------------------------
  // Authentication

  const checkSigned = (params: Record<string, string>) => {
    const given = params.api_key
    if (!given) fail(401, 'Must supply api_key')
    if (given !== apiKey) fail(401, `Invalid api_key ${given}`)
    const ts = params.timestamp
    if (ts === undefined || ts === '') fail(400, 'Missing required parameter - timestamp')
    if (!/^\d{1,12}$/.test(ts!)) fail(400, `Invalid timestamp ${ts}`)
    const seconds = Number(ts)
    const nowS = Math.floor(now() / 1000)
    if (nowS - seconds > SIGNATURE_TTL_S) fail(400, `Stale request - reported time is ${fmtTime(seconds)} which is more than 1 hour ago`)
    // Docs silent on timestamps ahead of the clock: a signature from more than an hour ahead is refused too.
    if (seconds - nowS > SIGNATURE_TTL_S) fail(400, `Stale request - reported time is ${fmtTime(seconds)} which is more than 1 hour in the future`)
    const signature = params.signature!
    const toSign = stringToSign(params)
    // Docs: "By default, Cloudinary supports both SHA-1 and SHA-256 digests for validation."
    const algorithm = signature.length === 64 ? 'sha256' : 'sha1'
    const expected = Buffer.from(createHash(algorithm).update(toSign + apiSecret).digest('hex'))
    const got = Buffer.from(signature.toLowerCase())
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      fail(401, `Invalid Signature ${signature}. String to sign - '${toSign}'.`)
    }
  }

  /** The seed's Basic Authentication (API key and secret in an Authorization header) for server calls. */
  const checkBasic = (authorization: string) => {
    const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, ''), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const key = colon < 0 ? decoded : decoded.slice(0, colon)
    const secret = colon < 0 ? '' : decoded.slice(colon + 1)
    if (key !== apiKey) fail(401, `Invalid api_key ${key}`)
    const a = Buffer.from(secret)
    const b = Buffer.from(apiSecret)
    // Docs silent on the wording for a wrong secret.
    if (a.length !== b.length || !timingSafeEqual(a, b)) fail(401, 'Invalid credentials')
  }

  const humanize = (name: string) => {
    const words = name.replace(/_/g, ' ')
    return words.charAt(0).toUpperCase() + words.slice(1)
  }

  /** Signed when a signature is sent, else Basic when an Authorization header is, else unsigned (preset). */
  const authenticateUpload = (params: Record<string, string>, headers: IncomingHttpHeaders): { mode: AuthMode; preset?: CloudinaryPreset } => {
    const authorization = header(headers, 'authorization')
    let mode: AuthMode
    if (params.signature !== undefined) {
      checkSigned(params)
      mode = 'signed'
    } else if (authorization && /^Basic\s/i.test(authorization)) {
      checkBasic(authorization)
      mode = 'basic'
    } else {
      mode = 'unsigned'
      // The real service reports every problem at once, joined with ', ' (seen in the wild:
      // "Transformation parameter is not allowed … are allowed., Upload preset must be specified …").
      const problems: string[] = []
      const disallowed = Object.keys(params).find((k) => !UNSIGNED_TOLERATED.has(k) && !(UNSIGNED_ALLOWED as readonly string[]).includes(k))
      if (disallowed) {
        problems.push(`${humanize(disallowed)} parameter is not allowed when using unsigned upload. Only ${UNSIGNED_ALLOWED.join(',')} upload parameters are allowed.`)
      }
      const name = params.upload_preset
      if (!name) problems.push('Upload preset must be specified when using unsigned upload')
      else if (!Object.hasOwn(presets, name)) problems.push('Upload preset not found')
      else if (!presets[name]!.unsigned) problems.push('Upload preset must be whitelisted for unsigned uploads')
      if (problems.length) fail(400, problems.join(', '))
      return { mode, preset: presets[name!] }
    }
    // A signed call may name a (signed or unsigned) preset; it must exist.
    const name = params.upload_preset
    if (name !== undefined && name !== '') {
      if (!Object.hasOwn(presets, name)) fail(400, 'Upload preset not found')
      return { mode, preset: presets[name] }
    }
    return { mode }
  }

  // -------------------------------------------------------------------------------------------------
  // Finishing an upload: the documented response, and `fake.stored`

  const checkPublicId = (id: string) => {
    // The upload_parameters docs: no leading/trailing space or slash; none of ? & # \ % < > +.
    if (id.length > 255 || /^[\s/]|[\s/]$|[?&#\\%<>+]|\/\//.test(id) || /[\x00-\x1f]/.test(id)) fail(400, `Invalid public_id ${id}`)
  }

  /** The public_id an upload gets: the given one, else random (under the folder, when there is one). */
  const choosePublicId = (params: Record<string, string>, folder: string, resourceType: string, filename: string): string => {
    let id = params.public_id
    if (!id) {
      let name = randomPublicId()
      if (params.use_filename === 'true' || params.use_filename === '1') {
        const original = baseName(params.filename_override || filename).replace(/[^\w-]+/g, '_') || 'file'
        name = params.unique_filename === 'false' || params.unique_filename === '0' ? original : `${original}_${randomPublicId().slice(0, 6)}`
      } else if (params.public_id_prefix) name = `${params.public_id_prefix}${name}`
      id = folder ? `${folder.replace(/^\/+|\/+$/g, '')}/${name}` : name
      // Raw assets keep their extension in the public_id (the format is not stored apart from it).
      const ext = extOf(params.filename_override || filename)
      if (resourceType === 'raw' && ext) id = `${id}.${ext}`
    }
    checkPublicId(id)
    return id
  }

  const finish = (
    requested: string,
    params: Record<string, string>,
    mode: AuthMode,
    preset: CloudinaryPreset | undefined,
    bytes: Buffer,
    filename: string,
    partType: string,
    fixed?: { publicId?: string; assetId: string },
  ): Record<string, unknown> => {
    const image = sniffImage(bytes)
    const ext = extOf(params.filename_override || filename)
    // Docs: `auto` detects the type. The fake recognises PNG/JPEG/GIF/WebP as images and mp4/mov/webm as
    // video; everything else is raw.
    const resourceType = requested === 'auto' ? (image ? 'image' : sniffVideo(bytes) ? 'video' : 'raw') : requested
    let format: string | undefined
    if (resourceType === 'image') {
      format = image?.format ?? (OTHER_IMAGE_EXTS.has(ext) ? ext : undefined)
      if (!format) fail(400, 'Invalid image file')
    } else if (resourceType === 'video') {
      format = sniffVideo(bytes) ?? (ext || undefined)
      if (!format) fail(400, 'Invalid video file')
    }
    // Preset precedence (upload_presets docs): the preset's value usually wins over the call's.
    const folder = preset?.folder ?? params.folder ?? ''
    const publicId = fixed?.publicId ?? choosePublicId(params, folder, resourceType, filename)
    const existing = assets.get(publicId)
    // Unsigned uploads can never overwrite (the `overwrite` option is not theirs); signed ones do
    // by default unless `overwrite=false`. An upload that may not overwrite answers the existing asset.
    const overwrite = mode !== 'unsigned' && params.overwrite !== 'false' && params.overwrite !== '0'
    if (existing && !overwrite) return { ...existing, existing: true }
    let version = Math.floor(now() / 1000)
    if (existing && typeof existing.version === 'number' && existing.version >= version) version = existing.version + 1
    const delivered = `${publicId}${format ? `.${format}` : ''}`
    const url = `${base}/${cloudName}/${resourceType}/upload/v${version}/${delivered}`
    const tags = (params.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean)
    const response: Record<string, unknown> = {
      asset_id: fixed?.assetId ?? hex(16),
      public_id: publicId,
      version,
      version_id: hex(16),
      signature: responseSignature(publicId, version, apiSecret),
      ...(image?.width !== undefined && resourceType === 'image' ? { width: image.width, height: image.height } : {}),
      ...(format ? { format } : {}),
      resource_type: resourceType,
      created_at: isoSeconds(now()),
      tags,
      ...(resourceType === 'image' ? { pages: 1 } : {}),
      bytes: bytes.length,
      type: 'upload',
      etag: md5(bytes),
      placeholder: false,
      url,
      // The fake serves plain http only; both URLs point at it.
      secure_url: url,
      asset_folder: params.asset_folder ?? folder,
      display_name: params.display_name || publicId.replace(/^.*\//, ''),
      ...(params.context ? { context: { custom: Object.fromEntries(params.context.split('|').map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')])) } } : {}),
      original_filename: baseName(params.filename_override || filename) || 'file',
      ...(mode !== 'unsigned' ? { api_key: apiKey } : {}),
    }
    assets.set(publicId, response)
    stored.set(publicId, {
      bytes,
      type: image ? MIME[image.format]! : partType && partType !== 'application/octet-stream' ? partType : (format && MIME[format]) || 'application/octet-stream',
      name: filename,
      meta: {
        public_id: publicId,
        asset_id: String(response.asset_id),
        version: String(version),
        resource_type: resourceType,
        format: format ?? '',
        folder,
        tags: tags.join(','),
        mode,
        ...(params.upload_preset ? { upload_preset: params.upload_preset } : {}),
      },
    })
    return response
  }

  // -------------------------------------------------------------------------------------------------
  // POST /v1_1/<cloud>/<resource_type>/upload

  const parseRange = (value: string) => {
    const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(value.trim())
    if (!m) fail(400, `Invalid Content-Range header '${value}': expected 'bytes <start>-<end>/<total>'`)
    const [start, end, total] = [Number(m![1]), Number(m![2]), Number(m![3])]
    if (start > end || end >= total) fail(400, `Invalid Content-Range header '${value}': need start <= end < total`)
    return { start, end, total }
  }

  const upload = async (fr: FakeRequest, resourceType: string): Promise<FakeResponse> => {
    const rangeHeader = header(fr.headers, 'content-range')
    const isChunk = rangeHeader !== undefined
    const { params, file, remoteUrl } = await readParams(fr, (isChunk ? MAX_CHUNK_SIZE : 2 * maxFileSize) + FIELDS_ROOM)
    const { mode, preset } = authenticateUpload(params, fr.headers)
    if (remoteUrl !== undefined) {
      if (isChunk) fail(400, 'A remote URL cannot be uploaded in chunks (Content-Range)')
      // Docs silent on a link that fails: the wordings the service is seen to give.
      const found = remote.get(remoteUrl)
      if (found === undefined) fail(400, `Resource not found - ${remoteUrl}`)
      if (found === 'unreachable') fail(400, `Error in loading ${remoteUrl} - connection refused`)
      const { bytes, type } = found as Exclude<Remote, 'unreachable'>
      if (bytes.length > maxFileSize) fail(400, `File size too large. Got ${bytes.length}. Maximum is ${maxFileSize}.`)
      const name = decodeURIComponent(new URL(remoteUrl).pathname.split('/').pop() ?? '') || 'file'
      return { status: 200, body: finish(resourceType, params, mode, preset, bytes, name, type) }
    }
    if (!file) fail(400, 'Missing required parameter - file')
    const f = file!
    if (!isChunk) {
      if (f.bytes.length > maxFileSize) fail(400, `File size too large. Got ${f.bytes.length}. Maximum is ${maxFileSize}.`)
      return { status: 200, body: finish(resourceType, params, mode, preset, f.bytes, f.filename, f.type) }
    }

    // Chunked (support article 208263735 + the guide's "multiple responses to a chunked upload").
    const uploadId = header(fr.headers, 'x-unique-upload-id')
    if (!uploadId) fail(400, 'Chunked upload (Content-Range) requires an X-Unique-Upload-Id header')
    if (uploadId!.length > 255) fail(400, 'X-Unique-Upload-Id is too long')
    const { start, end, total } = parseRange(rangeHeader!)
    if (total > maxChunked) fail(400, `File size too large. Got ${total}. Maximum is ${maxChunked}.`)
    const size = end - start + 1
    if (f.bytes.length !== size) {
      fail(400, `Chunk size ${f.bytes.length} does not match Content-Range bytes ${start}-${end} (${size} bytes)`)
    }
    const isLast = end === total - 1
    if (!isLast && size < MIN_CHUNK_SIZE) {
      fail(400, `Chunk bytes ${start}-${end} is ${size} bytes: every chunk except the last must be at least ${MIN_CHUNK_SIZE} bytes`)
    }
    if (size > MAX_CHUNK_SIZE) fail(400, `Chunk size ${size} is too large. Maximum is ${MAX_CHUNK_SIZE}.`)
    // Every chunk carries the same upload parameters and the same kind of authentication (signed
    // afresh or not); only the timestamp and signature may differ. Docs silent on a mismatch: refused.
    const { timestamp: _t, signature: _s, ...rest } = params
    const paramsKey = `${resourceType}|${mode}?${stringToSign(rest)}`
    let session = chunked.get(uploadId!)
    if (session) {
      if (session.total !== total) fail(400, `Content-Range total ${total} does not match the total ${session.total} of the earlier chunks of upload ${uploadId}`)
      if (session.paramsKey !== paramsKey) fail(400, `Chunk parameters differ from the first chunk of upload ${uploadId}`)
      const clash = session.chunks.find((c) => start <= c.end && c.start <= end)
      if (clash) fail(400, `Chunk bytes ${start}-${end} overlap bytes ${clash.start}-${clash.end} already received for upload ${uploadId}`)
    } else {
      if (chunked.size >= MAX_OPEN_CHUNKED) fail(420, 'Rate Limited: too many chunked uploads in progress')
      const folder = preset?.folder ?? params.folder ?? ''
      session = {
        uploadId: uploadId!,
        resourceType,
        total,
        chunks: [],
        received: 0,
        paramsKey,
        // Chosen now so that every answer names it; with `auto` the type (and so a raw extension) is
        // only known from the whole file, so the public_id is chosen at the end.
        publicId: resourceType === 'auto' && !params.public_id ? '' : choosePublicId(params, folder, resourceType, f.filename),
        assetId: hex(16),
        filename: f.filename,
        contentType: f.type,
      }
    }
    // Support article: "Last chunk must be last, meaning it must arrive the server after all other
    // chunks had already returned."
    if (isLast && session.received + size !== total) {
      fail(400, `The last chunk (bytes ${start}-${end}) must be sent after all other chunks of upload ${uploadId}: ${total - session.received - size} bytes are missing`)
    }
    const buffered = [...chunked.values()].reduce((n, s) => n + s.received, 0)
    if (!isLast && buffered + size > MAX_BUFFERED) fail(420, 'Rate Limited: too many bytes in unfinished chunked uploads')
    chunked.set(uploadId!, session)
    session.chunks.push({ start, end, bytes: f.bytes })
    session.received += size
    if (!isLast) {
      // Guide: "one [response] after each chunk that only includes basic information plus the
      // `done : false` parameter". Docs silent on which basic information: these fields.
      return {
        status: 200,
        body: { done: false, upload_id: uploadId, ...(session.publicId ? { public_id: session.publicId } : {}), asset_id: session.assetId, type: 'upload' },
      }
    }
    chunked.delete(uploadId!)
    const bytes = Buffer.concat([...session.chunks].sort((a, b) => a.start - b.start).map((c) => c.bytes), total)
    const fixed = { publicId: session.publicId || undefined, assetId: session.assetId }
    const response = finish(resourceType, params, mode, preset, bytes, session.filename, session.contentType, fixed)
    return { status: 200, body: { ...response, done: true } }
  }

  // -------------------------------------------------------------------------------------------------
  // POST /v1_1/<cloud>/<resource_type>/destroy (signed or Basic; never unsigned)

  const destroy = async (fr: FakeRequest, resourceType: string): Promise<FakeResponse> => {
    const { params, file } = await readParams(fr, FIELDS_ROOM)
    if (file) fail(400, 'Unexpected file field \'file\'')
    const authorization = header(fr.headers, 'authorization')
    if (params.signature !== undefined) checkSigned(params)
    else if (authorization && /^Basic\s/i.test(authorization)) checkBasic(authorization)
    else if (!params.api_key) fail(401, 'Must supply api_key')
    else fail(401, 'Missing required parameter - signature')
    const publicId = params.public_id
    if (!publicId) fail(400, 'Missing required parameter - public_id')
    const asset = assets.get(publicId!)
    const type = params.type || 'upload'
    if (!asset || asset.resource_type !== resourceType || type !== 'upload') return { status: 200, body: { result: 'not found' } }
    assets.delete(publicId!)
    stored.delete(publicId!)
    return { status: 200, body: { result: 'ok' } }
  }

  // -------------------------------------------------------------------------------------------------
  // GET /<cloud>/<resource_type>/upload[/v<version>]/<public_id>[.<format>] — the CDN

  const deliver = (fr: FakeRequest, m: RegExpExecArray): FakeResponse => {
    const plain = (status: number, message: string): FakeResponse => ({ status, body: message, headers: { 'content-type': 'text/plain', 'x-cld-error': message } })
    if (fr.method !== 'GET' && fr.method !== 'HEAD') return plain(405, 'Method not allowed')
    if (m[1] !== cloudName) return plain(404, 'Resource not found')
    let rest: string
    try {
      rest = decodeURIComponent(m[4]!)
    } catch {
      return plain(404, 'Resource not found')
    }
    const resourceType = m[2]!
    // Raw public_ids carry their extension; images and videos are addressed as <public_id>.<format>
    // (or bare). The version segment is optional and, as on the real CDN, does not pick old versions.
    const find = (id: string) => {
      const a = assets.get(id)
      return a && a.resource_type === resourceType ? a : undefined
    }
    let asset = find(rest)
    const dot = rest.lastIndexOf('.')
    if (!asset && dot > rest.lastIndexOf('/')) {
      const candidate = find(rest.slice(0, dot))
      // The fake cannot convert formats: only the stored format (or no extension) is served.
      if (candidate && candidate.format !== undefined && candidate.format === rest.slice(dot + 1)) asset = candidate
    }
    if (!asset) return plain(404, 'Resource not found')
    const file = stored.get(String(asset.public_id))!
    return { status: 200, body: file.bytes, headers: { 'content-type': file.type, etag: `"${md5(file.bytes)}"`, 'cache-control': 'public, max-age=2592000' } }
  }

  // -------------------------------------------------------------------------------------------------

  const route = async (fr: FakeRequest): Promise<FakeResponse> => {
    const failure = failures.take(fr.path)
    if (failure) {
      // Read the body first so that the client sees the answer, not a reset connection.
      await fr.body(MAX_CHUNK_SIZE + 2 * maxFileSize + FIELDS_ROOM).catch(() => undefined)
      return failure
    }
    const api = API_PATH.exec(fr.path)
    if (api) {
      const [, cloud, resourceType, action] = api
      if (fr.method !== 'POST') fail(404, `Unsupported method ${fr.method}`)
      // Brief: an unknown cloud answers 404 (the service words it "Invalid cloud_name <name>").
      if (cloud !== cloudName) fail(404, `Invalid cloud_name ${cloud}`)
      if (action === 'upload') {
        if (!UPLOAD_TYPES.has(resourceType!)) fail(400, `Invalid resource_type ${resourceType}. Valid values: image, video, raw, auto`)
        return upload(fr, resourceType!)
      }
      if (!DESTROY_TYPES.has(resourceType!)) fail(400, `Invalid resource_type ${resourceType}. Valid values: image, video, raw`)
      return destroy(fr, resourceType!)
    }
    const admin = ADMIN_RESOURCE.exec(fr.path)
    if (admin) return resource(fr, admin)
    const cdn = CDN_PATH.exec(fr.path)
    if (cdn) return deliver(fr, cdn)
    return fail(404, 'Not found')
  }

  // Admin API, "Get details of a single resource by public ID"
  // (https://cloudinary.com/documentation/admin_api#get_details_of_a_single_resource_by_public_id):
  // GET /v1_1/<cloud>/resources/<resource_type>/<type>/<public_id>, Basic auth with key and secret
  // only (a server call: no CORS). Answers the asset as stored, never its upload signature.
  const resource = (fr: FakeRequest, m: RegExpExecArray): FakeResponse => {
    const [, cloud, resourceType, type, encodedId] = m
    if (fr.method !== 'GET') fail(404, `Unsupported method ${fr.method}`)
    if (cloud !== cloudName) fail(404, `Invalid cloud_name ${cloud}`)
    const authorization = String(fr.headers.authorization ?? '')
    if (!/^Basic\s/i.test(authorization)) fail(401, 'Must supply api_key')
    checkBasic(authorization)
    const publicId = decodeURIComponent(encodedId!)
    const asset = assets.get(publicId)
    if (!asset || asset.resource_type !== resourceType || asset.type !== type) fail(404, `Resource not found - ${publicId}`)
    const { signature: _s, api_key: _k, done: _d, existing: _e, ...details } = asset!
    return { status: 200, body: details }
  }

  // The upload endpoint is documented for browser uploads (CORS); so is delivery. Destroy is not.
  const cors = (path: string) => /^\/v1_1\/[^/]+\/[^/]+\/upload$/.test(path) || CDN_PATH.test(path)

  const fake = await startFake(route, cors, stored)
  base = fake.url
  return {
    ...fake,
    failNext(path: string, status: number, body: unknown) {
      failures.add(path, { status, body })
    },
    assets,
    chunkedUploads: chunked,
    remote,
  }
}
