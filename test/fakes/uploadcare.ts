// Contract fake of the Uploadcare Upload API (direct `/base/` uploads, multipart uploads straight to
// presigned storage URLs, `/info/`, signed uploads), written from the provider's published docs:
//   - Upload API reference 2022-04-20 (seed /work/shared/seeds/003_a00c5f906bcf9978.txt):
//     https://uploadcare.com/api-refs/upload-api/ — routes, fields, limits, the error catalogue
//   - Signed uploads: https://uploadcare.com/docs/security/secure-uploads/ and
//     https://uploadcare.com/docs/api_reference/upload/signed_uploads/ — `signature` is the hex
//     HMAC-SHA256 of the `expire` UNIX timestamp (seconds, as a decimal string) keyed with the project's
//     secret key; both are required on every upload request of a project with signed uploads; the
//     errors for a missing/invalid/expired `expire` and a wrong `signature`
//   - Upload API errors: https://uploadcare.com/docs/api/upload/errors/ ("a JSON object with an error
//     code, an HTTP status code and an error message")
//   - /from_url/ + /from_url/status/ and /group/ + /group/info/ from the same reference. A link is never
//     fetched: `fake.remote` says what each link holds. The status walks waiting → progress → success
//     (or error), one step per status call.
// Where the docs are silent the fake does what a well-run S3-backed API does, and says so where it does.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import {
  Answer,
  Failures,
  answer,
  type Remote,
  startFake,
  type Fake,
  type FakeRequest,
  type FakeResponse,
  type Form,
  type StoredFile,
} from './common.js'

export interface UploadcareFakeOptions {
  /** The project's public key (`UPLOADCARE_PUB_KEY` / `pub_key`). */
  publicKey: string
  /** Set → the project has signed uploads on: /base/ and /multipart/start/ need `signature` + `expire`. */
  secretKey?: string
  /** The project's max file size cap, bytes (default 5 GiB). */
  maxFileSize?: number
  /** The project's auto-store setting, used for `UPLOADCARE_STORE=auto` (default true, as documented). */
  autostore?: boolean
  /** Lifetime of the presigned part URLs, seconds (default 86400; the docs do not say). */
  partUrlTtlSeconds?: number
}

export interface UploadcareImageInfo {
  format: 'PNG' | 'JPEG'
  width: number
  height: number
  color_mode: string
  orientation: number | null
  sequence: boolean
  geo_location: null
  datetime_original: null
  dpi: null
}

export interface UploadcareMime {
  mime: string
  type: string
  subtype: string
}

export interface UploadcareFileInfo {
  uuid: string
  file_id: string
  size: number
  total: number
  done: number
  original_filename: string
  filename: string
  mime_type: string
  image_info: UploadcareImageInfo | null
  video_info: null
  content_info: { mime: UploadcareMime; image?: UploadcareImageInfo }
  metadata: Record<string, string>
  is_image: boolean
  is_stored: boolean
  is_ready: boolean
}

export interface UploadcareFake extends Fake {
  /**
   * Make the next request to `path` (e.g. '/base/', '/multipart/complete/', or a part path
   * '/s3/<uuid>/1'; a path ending in '*' matches every path it prefixes) answer this instead.
   */
  failNext(path: string, status: number, body: unknown): void
  /** What /info/ would answer for a finished file (stored or temporary), by uuid. */
  fileInfo(uuid: string): UploadcareFileInfo | undefined
  /** What each link holds, for /from_url/ (a link not listed answers as a 404 would). */
  remote: Map<string, Remote>
  /** Groups made, by id (`uuid~N`), with their files' uuids in order. */
  groups: Map<string, { id: string; created: string; uuids: string[] }>
}

// ---- documented limits ------------------------------------------------------------------------------
const MiB = 1024 * 1024
/** "Direct file uploads support files smaller than 100 megabytes only." (MB read as MiB, as 10 MB = 10485760 below.) */
const DIRECT_LIMIT = 100 * MiB
/** "Multipart Uploads support files larger than 10 megabytes only." */
const MULTIPART_MIN = 10 * MiB
const PART_MIN = 5242880
const PART_MAX = 5368709120
/** S3 takes at most 10,000 parts per upload (docs silent; S3's own limit). */
const MAX_PARTS = 10000
const METADATA_MAX_KEYS = 50
const METADATA_KEY_MAX = 64
const METADATA_VALUE_MAX = 512
/** Key format of REST API v0.7 metadata: 1..64 of [A-Za-z0-9_.:-]. */
const METADATA_KEY_RE = /^[A-Za-z0-9_.:-]+$/
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Fake's own bound on any POST body (docs silent): beyond it, RequestSizeLimitExceededError. */
const REQUEST_MAX = DIRECT_LIMIT + 16 * MiB
/** Forms without files (/multipart/start/, /multipart/complete/) — fake's own bound. */
const SMALL_FORM_MAX = 2 * MiB
const MAX_FIELDS = 1000

// ---- the documented error catalogue (the subset this fake can raise) ---------------------------------
const ERRORS = {
  BaseViewsError: [400, 'Request processing failed.'],
  FileMetadataKeyDuplicatedError: [400, "File's metadata key `%s` has a duplicate."],
  FileMetadataKeyEmptyError: [400, "File's metadata key can not be empty."],
  FileMetadataKeyForbiddenError: [400, "File's metadata key `%s` contains symbols not allowed by the metadata key format."],
  FileMetadataKeyLengthTooBigError: [400, 'Length of file metadata key `%s` can not be more than %d symbols.'],
  FileMetadataKeysNumberTooBigError: [400, 'A file can not have more than %d metadata keys.'],
  FileMetadataValueEmptyError: [400, 'Value of the file metadata key `%s` can not be empty.'],
  FileMetadataValueLengthTooBigError: [400, "Value of file metadata's key `%s` can not be more than %d symbols in length."],
  FileSizeLimitExceededError: [400, 'File is too large.'],
  MethodNotAllowedError: [405, 'HTTP method %s is not allowed for %s'],
  NullCharactersForbiddenError: [400, 'Null characters are not allowed.'],
  PostRequestParserFailedError: [400, 'HTTP POST request parsing failed.'],
  ProjectPublicKeyInvalidError: [403, '%s is invalid.'],
  ProjectPublicKeyRequiredError: [403, '%s is required.'],
  RequestFiledsNumberLimitExceededError: [400, 'The request contains too many HTTP POST fields.'],
  RequestSizeLimitExceededError: [413, 'The size of the request is too large.'],
  SignatureExpirationError: [403, 'Expired signature.'],
  SignatureExpirationInvalidError: [400, '`expire` must be a UNIX timestamp.'],
  SignatureExpirationRequiredError: [400, '`expire` is required.'],
  SignatureInvalidError: [403, 'Invalid signature.'],
  SignatureRequiredError: [400, '`signature` is required.'],
  UploadAPIError: [500, 'Internal error.'],
  FileIdInvalidError: [400, 'file_id is invalid.'],
  FileIdRequiredError: [400, 'file_id is required.'],
  FileNotFoundError: [404, 'File is not found.'],
  FileRequiredError: [400, 'There should be a file.'],
  FilesNumberLimitExceededError: [400, 'There are too many files.'],
  FilesRequiredError: [400, 'Request does not contain files.'],
  MultipartFileAlreadyUploadedError: [400, 'File is already uploaded.'],
  MultipartFileIdRequiredError: [400, 'uuid is required.'],
  MultipartFileNotFoundError: [404, 'File is not found.'],
  MultipartFileSizeLimitExceededError: [400, 'File size exceeds project limit.'],
  MultipartFileSizeTooSmallError: [400, 'File size can not be less than %d bytes. Please use direct upload instead of multipart.'],
  MultipartPartSizeInvalidError: [400, 'Multipart Upload Part Size should be an integer.'],
  MultipartPartSizeTooBigError: [400, 'Multipart Upload Part Size can not be more than %d bytes.'],
  MultipartPartSizeTooSmallError: [400, 'Multipart Upload Part Size can not be less than %d bytes.'],
  MultipartSizeInvalidError: [400, 'size should be integer.'],
  MultipartUploadSizeTooSmallError: [400, 'File size mismatch. Not all parts uploaded?'],
  RequestParamRequiredError: [400, '%s is required.'],
  SourceURLRequiredError: [400, 'source_url is required.'],
  TokenRequiredError: [400, 'token is required.'],
  DownloadFileHTTPClientError: [500, 'HTTP client error: %s.'],
  DownloadFileHTTPNetworkError: [500, 'HTTP network error: %s.'],
  DownloadFileSizeLimitExceededError: [500, 'Downloaded file is too big: %s > %s.'],
  GroupFileURLParsingFailedError: [400, 'This is not valid file url: %s.'],
  GroupFilesInvalidError: [400, 'No files[N] parameters found.'],
  GroupFilesNotFoundError: [400, 'Some files not found.'],
  GroupIdRequiredError: [400, 'group_id is required.'],
  GroupNotFoundError: [404, 'group_id is invalid.'],
  URLHostPrivateIPForbiddenError: [400, 'Only public IPs are allowed.'],
  URLHostRequiredError: [400, 'No URL host supplied.'],
  URLParsingFailedError: [400, 'Failed to parse URL.'],
  URLSchemeInvalidError: [400, 'Invalid URL scheme.'],
  URLSchemeRequiredError: [400, 'No URL scheme supplied.'],
  UUIDInvalidError: [400, 'uuid is invalid.'],
  UploadViewsError: [400, 'Upload request processing failed.'],
} as const satisfies Record<string, readonly [number, string]>

export type UploadcareErrorCode = keyof typeof ERRORS

/** The documented error body: `{ error: { content, status_code, error_code } }`. */
export function uploadcareErrorBody(code: UploadcareErrorCode, ...args: (string | number)[]) {
  const [status, template] = ERRORS[code]
  let i = 0
  const content = template.replace(/%[sd]/g, () => String(args[i++] ?? ''))
  return { error: { content, status_code: status, error_code: code } }
}

function fail(code: UploadcareErrorCode, ...args: (string | number)[]): never {
  return answer(ERRORS[code][0], uploadcareErrorBody(code, ...args))
}

/** Errors of the S3 part URLs are S3's own XML. */
function s3Error(status: number, code: string, message: string): never {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`
  return answer(status, body, { 'content-type': 'application/xml' })
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

// ---- image headers (for image_info) ------------------------------------------------------------------
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const PNG_COLOR_MODES: Record<number, string> = { 0: 'L', 2: 'RGB', 3: 'P', 4: 'LA', 6: 'RGBA' }
const JPEG_COLOR_MODES: Record<number, string> = { 1: 'L', 3: 'RGB', 4: 'CMYK' }

function imageInfo(b: Buffer): UploadcareImageInfo | null {
  const base = { orientation: null, sequence: false, geo_location: null, datetime_original: null, dpi: null } as const
  if (b.length >= 33 && b.subarray(0, 8).equals(PNG_SIGNATURE) && b.toString('latin1', 12, 16) === 'IHDR') {
    const width = b.readUInt32BE(16)
    const height = b.readUInt32BE(20)
    if (width === 0 || height === 0) return null
    return { format: 'PNG', width, height, color_mode: PNG_COLOR_MODES[b[25]!] ?? 'RGB', ...base }
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    // Walk the marker segments to the first SOFn frame header. `i` grows on every pass: bounded.
    let i = 2
    while (i + 4 <= b.length) {
      if (b[i] !== 0xff) return null
      const marker = b[i + 1]!
      if (marker === 0xff) {
        i += 1 // fill byte
        continue
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
        i += 2 // standalone markers
        continue
      }
      if (marker === 0xd9 || marker === 0xda) return null // EOI / SOS before any frame header
      const length = b.readUInt16BE(i + 2)
      if (length < 2) return null
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
      if (isSof) {
        if (i + 10 > b.length) return null
        const height = b.readUInt16BE(i + 5)
        const width = b.readUInt16BE(i + 7)
        if (width === 0 || height === 0) return null
        return { format: 'JPEG', width, height, color_mode: JPEG_COLOR_MODES[b[i + 9]!] ?? 'RGB', ...base }
      }
      i += 2 + length
    }
  }
  return null
}

/** "The filename will be sanitized to only contain … abc…XYZ0123456789._" (characters dropped, as in the docs' IMG-0412_123.JPG → IMG0412_123.JPG). */
function sanitizeFilename(name: string): string {
  // Docs silent on a name with no allowed character at all; the fake falls back to "file".
  return name.replace(/[^A-Za-z0-9._]/g, '') || 'file'
}

function splitMime(mime: string): UploadcareMime {
  const [type = 'application', subtype = 'octet-stream'] = mime.split(';')[0]!.trim().toLowerCase().split('/')
  return { mime: `${type}/${subtype}`, type, subtype }
}

interface FinishedFile {
  uuid: string
  bytes: Buffer
  originalFilename: string
  mime: string
  image: UploadcareImageInfo | null
  meta: Record<string, string>
  isStored: boolean
}

interface LinkTask {
  url: string
  filename: string | undefined
  meta: Record<string, string>
  isStored: boolean
  save: boolean
  /** Status calls so far: each moves the fetch one step on. */
  step: number
  /** The final answer, once the fetch has ended. */
  answer?: Record<string, unknown>
}

interface MultipartSession {
  uuid: string
  filename: string
  size: number
  partSize: number
  contentType: string
  isStored: boolean
  meta: Record<string, string>
  tokens: string[]
  parts: (Buffer | undefined)[]
  expiresAt: number
  completed: boolean
}

export async function startUploadcareFake(options: UploadcareFakeOptions): Promise<UploadcareFake> {
  const { publicKey, secretKey } = options
  const maxFileSize = options.maxFileSize ?? 5 * 1024 * MiB
  const autostore = options.autostore ?? true
  const partUrlTtlMs = (options.partUrlTtlSeconds ?? 86400) * 1000
  const stored = new Map<string, StoredFile>()
  const files = new Map<string, FinishedFile>()
  const sessions = new Map<string, MultipartSession>()
  const tasks = new Map<string, LinkTask>()
  /** source_url → uuid, for check_URL_duplicates. */
  const history = new Map<string, string>()
  const groups = new Map<string, { id: string; created: string; uuids: string[] }>()
  // A queued path matches exactly, or as a prefix when it ends with '*'.
  const failures = new Failures((key, path) => key === path || (key.endsWith('*') && path.startsWith(key.slice(0, -1))))
  let base = ''

  // ---- shared checks ----
  const readForm = async (fr: FakeRequest, fileLimit: number, requestMax: number): Promise<Form> => {
    // The docs define every POST body as multipart/form-data (RFC 7578); anything else fails to parse.
    if (!/^multipart\/form-data\s*;/i.test(String(fr.headers['content-type'] ?? ''))) fail('PostRequestParserFailedError')
    const length = Number(fr.headers['content-length'] ?? 0)
    if (length > requestMax) fail('RequestSizeLimitExceededError')
    let form: Form
    try {
      form = await fr.form(fileLimit)
    } catch (err) {
      if (err instanceof Answer) fail(err.response.status === 413 ? 'RequestSizeLimitExceededError' : 'PostRequestParserFailedError')
      throw err
    }
    if (form.list.length + form.files.length > MAX_FIELDS) fail('RequestFiledsNumberLimitExceededError')
    if (form.list.some(([name, value]) => name.includes('\0') || value.includes('\0'))) fail('NullCharactersForbiddenError')
    return form
  }

  const checkPublicKey = (value: string | undefined | null, name: string) => {
    if (!value) fail('ProjectPublicKeyRequiredError', name)
    if (!sameSecret(value, publicKey)) fail('ProjectPublicKeyInvalidError', name)
  }

  // "Credentials are checked only when signed uploads are enabled for the project."
  const checkSignature = (fields: Record<string, string>) => {
    if (secretKey === undefined) return
    const { signature, expire } = fields
    if (!signature) fail('SignatureRequiredError')
    if (expire === undefined || expire === '') fail('SignatureExpirationRequiredError')
    // A UNIX timestamp in seconds. The docs: passing milliseconds "will cause every upload to fail with
    // 'expire' must be a UNIX timestamp" — so at most 11 digits (seconds until the year 5138).
    if (!/^\d{1,11}$/.test(expire)) fail('SignatureExpirationInvalidError')
    // "If your signature has expired, i.e., expire < now" → 403.
    if (Number(expire) < Math.floor(Date.now() / 1000)) fail('SignatureExpirationError')
    const expected = createHmac('sha256', secretKey).update(expire).digest('hex')
    if (!sameSecret(signature, expected)) fail('SignatureInvalidError')
  }

  const parseStore = (fields: Record<string, string>, name = 'UPLOADCARE_STORE'): boolean => {
    const value = fields[name] ?? '0' // documented default "0"
    if (value === '0') return false
    if (value === '1') return true
    if (value === 'auto') return autostore
    // Enum "0" | "1" | "auto"; the catalogue has no dedicated code for another value, so the fake uses
    // its generic upload-request error.
    return fail('UploadViewsError')
  }

  const parseMetadata = (list: [string, string][]): Record<string, string> => {
    const meta = new Map<string, string>()
    for (const [name, value] of list) {
      const m = /^metadata\[(.*)\]$/s.exec(name)
      if (!m) continue
      const key = m[1]!
      if (key === '') fail('FileMetadataKeyEmptyError')
      if ([...key].length > METADATA_KEY_MAX) fail('FileMetadataKeyLengthTooBigError', key, METADATA_KEY_MAX)
      if (!METADATA_KEY_RE.test(key)) fail('FileMetadataKeyForbiddenError', key)
      if (meta.has(key)) fail('FileMetadataKeyDuplicatedError', key)
      if (value === '') fail('FileMetadataValueEmptyError', key)
      if ([...value].length > METADATA_VALUE_MAX) fail('FileMetadataValueLengthTooBigError', key, METADATA_VALUE_MAX)
      meta.set(key, value)
      if (meta.size > METADATA_MAX_KEYS) fail('FileMetadataKeysNumberTooBigError', METADATA_MAX_KEYS)
    }
    return Object.fromEntries(meta)
  }

  const finish = (uuid: string, bytes: Buffer, name: string, declaredType: string, meta: Record<string, string>, isStored: boolean) => {
    // Uploadcare reports the MIME type it detects; the fake detects PNG/JPEG from the header and keeps
    // the declared type for everything else.
    const image = imageInfo(bytes)
    const mime = image ? `image/${image.format.toLowerCase()}` : splitMime(declaredType || 'application/octet-stream').mime
    const file: FinishedFile = { uuid, bytes, originalFilename: name, mime, image, meta, isStored }
    files.set(uuid, file)
    stored.set(uuid, { bytes, type: mime, name, meta: { ...meta } })
    return file
  }

  const infoOf = (f: FinishedFile): UploadcareFileInfo => ({
    uuid: f.uuid,
    file_id: f.uuid,
    size: f.bytes.length,
    total: f.bytes.length,
    done: f.bytes.length,
    original_filename: f.originalFilename,
    filename: sanitizeFilename(f.originalFilename),
    mime_type: f.mime,
    image_info: f.image ? { ...f.image } : null,
    video_info: null,
    content_info: f.image ? { mime: splitMime(f.mime), image: { ...f.image } } : { mime: splitMime(f.mime) },
    metadata: { ...f.meta },
    is_image: f.image !== null,
    is_stored: f.isStored,
    is_ready: true,
  })

  const onlyMethod = (fr: FakeRequest, ...methods: string[]) => {
    if (!methods.includes(fr.method)) fail('MethodNotAllowedError', fr.method, fr.path)
  }

  // ---- POST /base/ ----
  const baseUpload = async (fr: FakeRequest): Promise<FakeResponse> => {
    onlyMethod(fr, 'POST')
    const largest = Math.min(DIRECT_LIMIT - 1, maxFileSize)
    // busboy truncates a file at the limit; reading one byte more tells "too large" from "exactly at cap".
    const form = await readForm(fr, largest + 1, REQUEST_MAX)
    checkPublicKey(form.fields.UPLOADCARE_PUB_KEY, 'UPLOADCARE_PUB_KEY')
    checkSignature(form.fields)
    const isStored = parseStore(form.fields)
    const meta = parseMetadata(form.list)
    if (form.files.length === 0) fail('FilesRequiredError')
    // The response maps each file field to its uuid; this fake takes one file per request (its contract).
    if (form.files.length > 1) fail('FilesNumberLimitExceededError')
    const file = form.files[0]!
    // Docs silent on an empty file part; the fake treats it as no file at all.
    if (file.bytes.length === 0) fail('FileRequiredError')
    if (file.bytes.length > largest) fail('FileSizeLimitExceededError')
    const uuid = randomUUID()
    finish(uuid, file.bytes, file.filename || file.field, file.type, meta, isStored)
    return { status: 200, body: { [file.field]: uuid } }
  }

  // ---- POST /multipart/start/ ----
  const multipartStart = async (fr: FakeRequest): Promise<FakeResponse> => {
    onlyMethod(fr, 'POST')
    const form = await readForm(fr, 1024, SMALL_FORM_MAX)
    const f = form.fields
    checkPublicKey(f.UPLOADCARE_PUB_KEY, 'UPLOADCARE_PUB_KEY')
    checkSignature(f)
    if (!f.filename) fail('RequestParamRequiredError', 'filename')
    if (f.size === undefined || f.size === '') fail('RequestParamRequiredError', 'size')
    if (!/^\d+$/.test(f.size)) fail('MultipartSizeInvalidError')
    if (!f.content_type) fail('RequestParamRequiredError', 'content_type')
    let partSize = PART_MIN // documented default 5242880
    if (f.part_size !== undefined) {
      if (!/^\d+$/.test(f.part_size)) fail('MultipartPartSizeInvalidError')
      partSize = Number(f.part_size)
      if (partSize < PART_MIN) fail('MultipartPartSizeTooSmallError', PART_MIN)
      if (partSize > PART_MAX) fail('MultipartPartSizeTooBigError', PART_MAX)
    }
    const isStored = parseStore(f)
    const meta = parseMetadata(form.list)
    const size = Number(f.size)
    if (size < MULTIPART_MIN) fail('MultipartFileSizeTooSmallError', MULTIPART_MIN)
    if (size > maxFileSize) fail('MultipartFileSizeLimitExceededError')
    const count = Math.ceil(size / partSize)
    if (count > MAX_PARTS) fail('MultipartPartSizeTooSmallError', Math.ceil(size / MAX_PARTS))
    const uuid = randomUUID()
    const tokens = Array.from({ length: count }, () => randomBytes(32).toString('hex'))
    sessions.set(uuid, {
      uuid,
      filename: f.filename,
      size,
      partSize,
      contentType: f.content_type,
      isStored,
      meta,
      tokens,
      parts: new Array<Buffer | undefined>(count).fill(undefined),
      expiresAt: Date.now() + partUrlTtlMs,
      completed: false,
    })
    const parts = tokens.map((token, i) => `${base}/s3/${uuid}/${i + 1}?X-Amz-Signature=${token}`)
    return { status: 200, body: { uuid, parts } }
  }

  // ---- PUT /s3/<uuid>/<n> (presigned part URL) ----
  const partPut = async (fr: FakeRequest): Promise<FakeResponse> => {
    const m = /^\/s3\/([^/]+)\/(\d{1,5})$/.exec(fr.path)
    if (!m) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.')
    if (fr.method !== 'PUT') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
    const token = fr.query.get('X-Amz-Signature')
    if (!token) return s3Error(403, 'AccessDenied', 'Access Denied')
    const session = sessions.get(m[1]!)
    const n = Number(m[2])
    // A URL is signed for one upload and one part number: anything else cannot carry a valid signature.
    if (!session || n < 1 || n > session.tokens.length || !sameSecret(token, session.tokens[n - 1]!)) {
      return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.')
    }
    if (Date.now() >= session.expiresAt) return s3Error(403, 'AccessDenied', 'Request has expired')
    if (session.completed) {
      return s3Error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.')
    }
    // "Note: You MUST define Content-Type header for your data." (Any type: the docs do not tie it to
    // the start call's content_type.)
    if (!fr.headers['content-type']) return s3Error(400, 'InvalidRequest', 'Missing required header for this request: Content-Type')
    // S3 refuses a presigned PUT without a length (no chunked uploads to a signed part URL).
    const lengthHeader = fr.headers['content-length']
    if (lengthHeader === undefined) return s3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    const last = n === session.tokens.length
    const expected = last ? session.size - session.partSize * (session.tokens.length - 1) : session.partSize
    // Stricter than S3 itself (which only insists on >= 5 MiB for non-last parts and checks at
    // completion): Uploadcare signs the part URLs for its own part plan (size / part_size), so the fake
    // refuses at once any part that is not exactly the length the plan gives it.
    if (Number(lengthHeader) !== expected) {
      return s3Error(400, 'InvalidPartSize', `Part ${n} must be exactly ${expected} bytes (part_size ${session.partSize}), not ${lengthHeader}.`)
    }
    const bytes = await fr.body(expected)
    if (bytes.length !== expected) return s3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.')
    session.parts[n - 1] = bytes // a part may be sent again (a retry): the last one wins, as on S3
    return { status: 200, body: '', headers: { etag: `"${md5(bytes)}"` } }
  }

  // ---- POST /multipart/complete/ ----
  const multipartComplete = async (fr: FakeRequest): Promise<FakeResponse> => {
    onlyMethod(fr, 'POST')
    const form = await readForm(fr, 1024, SMALL_FORM_MAX)
    // Documented fields: UPLOADCARE_PUB_KEY and uuid only (no signature).
    checkPublicKey(form.fields.UPLOADCARE_PUB_KEY, 'UPLOADCARE_PUB_KEY')
    const uuid = form.fields.uuid
    if (!uuid) fail('MultipartFileIdRequiredError')
    if (!UUID_RE.test(uuid)) fail('UUIDInvalidError')
    const session = sessions.get(uuid.toLowerCase())
    if (!session) fail('MultipartFileNotFoundError')
    if (session.completed) fail('MultipartFileAlreadyUploadedError')
    if (session.parts.some((p) => p === undefined)) fail('MultipartUploadSizeTooSmallError')
    const bytes = Buffer.concat(session.parts as Buffer[], session.size)
    session.completed = true
    session.parts = [] // the parts are assembled; S3 forgets them
    const file = finish(session.uuid, bytes, session.filename, session.contentType, session.meta, session.isStored)
    return { status: 200, body: infoOf(file) }
  }

  // ---- GET /info/ ----
  const info = (fr: FakeRequest): FakeResponse => {
    onlyMethod(fr, 'GET', 'HEAD')
    checkPublicKey(fr.query.get('pub_key'), 'pub_key')
    const id = fr.query.get('file_id')
    if (!id) fail('FileIdRequiredError')
    if (!UUID_RE.test(id)) fail('FileIdInvalidError')
    // Docs silent on an unfinished multipart upload; the fake knows a file only once it is finished.
    const file = files.get(id.toLowerCase())
    if (!file) fail('FileNotFoundError')
    return { status: 200, body: infoOf(file) }
  }

  // ---- GET /cdn/<uuid>/ ----
  const cdn = (fr: FakeRequest): FakeResponse => {
    const m = /^\/cdn\/([0-9a-f-]{36})\/$/i.exec(fr.path)
    const file = m ? files.get(m[1]!.toLowerCase()) : undefined
    if (!file) return { status: 404, body: 'Not Found', headers: { 'content-type': 'text/plain' } }
    if (fr.method !== 'GET' && fr.method !== 'HEAD') return { status: 405, body: 'Method Not Allowed', headers: { 'content-type': 'text/plain' } }
    return { status: 200, body: file.bytes, headers: { 'content-type': file.mime, etag: `"${md5(file.bytes)}"`, 'cache-control': 'public, max-age=31536000' } }
  }

  // ---- POST /from_url/ ----
  const fromUrl = async (fr: FakeRequest): Promise<FakeResponse> => {
    onlyMethod(fr, 'POST')
    const form = await readForm(fr, 1024, SMALL_FORM_MAX)
    const f = form.fields
    checkPublicKey(f.pub_key, 'pub_key')
    checkSignature(f)
    const source = f.source_url
    if (!source) fail('SourceURLRequiredError')
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(source)) fail('URLSchemeRequiredError')
    let url: URL
    try {
      url = new URL(source)
    } catch {
      return fail('URLParsingFailedError')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('URLSchemeInvalidError')
    if (!url.hostname) fail('URLHostRequiredError')
    // "The URL should point to a resource publicly available": the fake refuses the plain spellings
    // of loopback and private hosts (it never resolves names).
    if (/^(localhost|127\.|10\.|192\.168\.|169\.254\.|172\.(1[6-9]|2\d|3[01])\.|\[::1?\]|0\.)/i.test(url.hostname)) fail('URLHostPrivateIPForbiddenError')
    const isStored = parseStore(f, 'store')
    for (const name of ['check_URL_duplicates', 'save_URL_duplicates']) {
      // Enum "0" | "1"; no dedicated code for another value (as for UPLOADCARE_STORE).
      if (f[name] !== undefined && f[name] !== '0' && f[name] !== '1') fail('UploadViewsError')
    }
    const meta = parseMetadata(form.list)
    const check = f.check_URL_duplicates === '1'
    const save = (f.save_URL_duplicates ?? f.check_URL_duplicates) === '1'
    const earlier = check ? files.get(history.get(source) ?? '') : undefined
    if (earlier) return { status: 200, body: { type: 'file_info', ...infoOf(earlier) } }
    const token = randomUUID()
    tasks.set(token, { url: source, filename: f.filename, meta, isStored, save, step: 0 })
    return { status: 200, body: { type: 'token', token } }
  }

  // ---- GET /from_url/status/ ----
  const fromUrlStatus = (fr: FakeRequest): FakeResponse => {
    onlyMethod(fr, 'GET', 'HEAD')
    const token = fr.query.get('token')
    if (!token) fail('TokenRequiredError')
    const task = tasks.get(token)
    // Uploadcare answers a token it does not know with the status "unknown" (its clients' FromUrlStatus).
    if (!task) return { status: 200, body: { status: 'unknown' } }
    if (task.answer) return { status: 200, body: task.answer }
    const remote = fake.remote.get(task.url)
    const step = task.step++
    if (step === 0) return { status: 200, body: { status: 'waiting' } }
    const end = (body: Record<string, unknown>) => {
      task.answer = body
      return { status: 200, body }
    }
    const failWith = (code: UploadcareErrorCode, ...args: (string | number)[]) => end({ status: 'error', error: uploadcareErrorBody(code, ...args).error.content })
    if (remote === undefined) return failWith('DownloadFileHTTPClientError', '404 Not Found')
    if (remote === 'unreachable') return failWith('DownloadFileHTTPNetworkError', 'connection refused')
    const total = remote.bytes.length
    if (step === 1) return { status: 200, body: { status: 'progress', done: Math.floor(total / 2), total } }
    if (total > maxFileSize) return failWith('DownloadFileSizeLimitExceededError', total, maxFileSize)
    const name = task.filename || decodeURIComponent(new URL(task.url).pathname.split('/').pop() || '') || 'file'
    const file = finish(randomUUID(), remote.bytes, name, remote.type, task.meta, task.isStored)
    if (task.save) history.set(task.url, file.uuid)
    return end({ status: 'success', ...infoOf(file) })
  }

  // ---- groups ----
  const groupBody = (g: { id: string; created: string; uuids: string[] }) => ({
    id: g.id,
    datetime_created: g.created,
    datetime_stored: null,
    files_count: g.uuids.length,
    files: g.uuids.map((u) => (files.get(u) ? infoOf(files.get(u)!) : null)),
  })

  const groupCreate = async (fr: FakeRequest): Promise<FakeResponse> => {
    onlyMethod(fr, 'POST')
    const form = await readForm(fr, 1024, SMALL_FORM_MAX)
    checkPublicKey(form.fields.pub_key, 'pub_key')
    checkSignature(form.fields)
    const entries = form.list
      .map(([name, value]) => [/^files\[(\d{1,4})\]$/.exec(name)?.[1], value] as const)
      .filter((e): e is readonly [string, string] => e[0] !== undefined)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
    if (entries.length === 0) fail('GroupFilesInvalidError')
    const uuids = entries.map(([, value]) => {
      // "Each element can be a file UUID or a CDN URL (with or without the applied image processing operations)."
      const m = /^(?:https?:\/\/[^/]+\/(?:cdn\/)?)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/(?:-\/.*)?)?$/i.exec(value)
      if (!m) fail('GroupFileURLParsingFailedError', value)
      return m![1]!.toLowerCase()
    })
    if (uuids.some((u) => !files.has(u))) fail('GroupFilesNotFoundError')
    const group = { id: `${randomUUID()}~${uuids.length}`, created: new Date().toISOString().replace('Z', '000Z'), uuids }
    groups.set(group.id, group)
    return { status: 200, body: groupBody(group) }
  }

  const groupInfo = (fr: FakeRequest): FakeResponse => {
    onlyMethod(fr, 'GET', 'HEAD')
    checkPublicKey(fr.query.get('pub_key'), 'pub_key')
    const id = fr.query.get('group_id')
    if (!id) fail('GroupIdRequiredError')
    const group = groups.get(id)
    if (!group) fail('GroupNotFoundError')
    return { status: 200, body: groupBody(group) }
  }

  const route = async (fr: FakeRequest): Promise<FakeResponse> => {
    try {
      return await dispatch(fr)
    } catch (err) {
      if (err instanceof Answer) throw err
      // Never a stack trace: an unexpected failure is the catalogue's internal error.
      return { status: 500, body: uploadcareErrorBody('UploadAPIError') }
    }
  }

  const dispatch = async (fr: FakeRequest): Promise<FakeResponse> => {
    const failure = failures.take(fr.path)
    if (failure) {
      const isText = typeof failure.body === 'string'
      return { status: failure.status, body: failure.body, headers: isText ? { 'content-type': 'text/plain' } : {} }
    }
    switch (fr.path) {
      case '/base/':
        return baseUpload(fr)
      case '/multipart/start/':
        return multipartStart(fr)
      case '/multipart/complete/':
        return multipartComplete(fr)
      case '/info/':
        return info(fr)
      case '/from_url/':
        return fromUrl(fr)
      case '/from_url/status/':
        return fromUrlStatus(fr)
      case '/group/':
        return groupCreate(fr)
      case '/group/info/':
        return groupInfo(fr)
    }
    if (fr.path.startsWith('/s3/')) return partPut(fr)
    if (fr.path.startsWith('/cdn/')) return cdn(fr)
    // "All API endpoints end with a forward slash /" — `/base` and friends are not routes. The catalogue
    // has no code for an unknown route; the fake answers 404 in the documented error shape.
    return { status: 404, body: { error: { content: 'Not found.', status_code: 404, error_code: 'NotFoundError' } } }
  }

  // The Upload API is called from browsers, and so are the part URLs and the CDN: CORS everywhere.
  const started = await startFake(route, () => true, stored)
  const fake = { ...started, remote: new Map<string, Remote>() }
  base = fake.url
  return {
    ...fake,
    groups,
    failNext(path: string, status: number, body: unknown) {
      failures.add(path, { status, body })
    },
    fileInfo(uuid: string) {
      const file = files.get(uuid.toLowerCase())
      return file ? infoOf(file) : undefined
    },
  }
}
