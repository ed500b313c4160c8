// Cloudinary Upload API (https://cloudinary.com/documentation/upload_images,
// /image_upload_api_reference, /authentication_signatures): the server signs the upload parameters,
// the browser POSTs the file (in chunks with Content-Range and X-Unique-Upload-Id above `chunkSize`),
// and the server verifies the answer's signature before it reports the file. Without an API secret,
// uploads are unsigned and go through an unsigned upload preset. Links: an upload whose `file` is the
// URL, answered when Cloudinary has fetched it (the seed documents no destroy: no deleteIds).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { badRequest, HttpError } from '../errors.js'
import { type Fetch, formOf, ProviderApi, requireString, trimSlash } from './api.js'
import { nameFromUrl, settled, settledStatus } from './link.js'
import type { Provider, ProviderRecord } from './types.js'
import { MIN_PART_SIZE } from '../../shared/parts.js'

export interface CloudinaryStorageOptions {
  cloudName: string
  /** With `apiSecret`: signed uploads. Without both: unsigned uploads through `uploadPreset`. */
  apiKey?: string
  apiSecret?: string
  /** Default `https://api.cloudinary.com`. */
  uploadPrefix?: string
  uploadPreset?: string
  folder?: string
  /** `image`, `video`, `raw` or `auto` (default). */
  resourceType?: 'auto' | 'image' | 'video' | 'raw'
  /** Files above this go in chunks of this size, at least 5 MB (default 20 MB). */
  chunkSize?: number
  /** `sha1` (default) or `sha256`: the product environment's signature algorithm setting. */
  signatureAlgorithm?: 'sha1' | 'sha256'
  fetch?: Fetch
}

/**
 * Cloudinary's signature: the parameters (except `file`, `cloud_name`, `resource_type` and
 * `api_key`) sorted by name as `name=value` joined by `&`, the API secret appended, hashed.
 */
export function cloudinarySignature(params: Record<string, string | number>, apiSecret: string, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  const skip = new Set(['file', 'cloud_name', 'resource_type', 'api_key', 'signature'])
  const text = Object.keys(params)
    .filter((k) => !skip.has(k) && params[k] !== '' && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&')
  return createHash(algorithm).update(text + apiSecret).digest('hex')
}

/** Metadata as Cloudinary's `context`: `key=value` pairs joined by `|`, with `=` and `|` escaped. */
const contextOf = (metadata: Record<string, string>) =>
  Object.entries(metadata)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v.replace(/([=|])/g, '\\$1')}`)
    .join('|')

interface State {
  publicId: string
}

/** Types for the formats Cloudinary names in its answer (it reports a format, not a MIME type). */
const FORMAT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', svg: 'image/svg+xml',
  bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff', heic: 'image/heic', pdf: 'application/pdf',
  mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
}

interface UploadAnswer {
  format?: unknown
  public_id?: unknown
  version?: unknown
  signature?: unknown
  bytes?: unknown
  secure_url?: unknown
  width?: unknown
  height?: unknown
  etag?: unknown
  resource_type?: unknown
  original_filename?: unknown
  done?: unknown
}

export function cloudinaryStorage(options: CloudinaryStorageOptions): Provider<State> {
  const cloudName = requireString(options?.cloudName, 'cloudinaryStorage', 'cloudName')
  const { apiKey, apiSecret, uploadPreset, folder } = options
  const signedMode = apiSecret !== undefined && apiSecret !== ''
  if (signedMode && !apiKey) throw new TypeError('cloudinaryStorage: apiKey is required with apiSecret')
  if (!signedMode && !uploadPreset) throw new TypeError('cloudinaryStorage: give apiKey and apiSecret for signed uploads, or an unsigned uploadPreset')
  const resourceType = options.resourceType ?? 'auto'
  if (!['auto', 'image', 'video', 'raw'].includes(resourceType)) throw new TypeError('cloudinaryStorage: resourceType must be auto, image, video or raw')
  const chunkSize = options.chunkSize ?? 20_000_000
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_PART_SIZE) throw new TypeError('cloudinaryStorage: chunkSize must be a whole number of bytes, at least 5 MiB')
  const algorithm = options.signatureAlgorithm ?? 'sha1'
  const prefix = trimSlash(options.uploadPrefix ?? 'https://api.cloudinary.com')
  const endpoint = (type: string, action: string) => `${prefix}/v1_1/${encodeURIComponent(cloudName)}/${type}/${action}`
  const api = new ProviderApi('Cloudinary', options.fetch, [apiSecret])
  const now = () => String(Math.floor(Date.now() / 1000))

  /** The form fields every request of one upload sends (each chunk sends them all again). */
  function fields(file: { metadata: Record<string, string> }, publicId: string): Record<string, string> {
    const params: Record<string, string> = { public_id: publicId }
    if (folder) params.folder = folder
    if (uploadPreset) params.upload_preset = uploadPreset
    const context = contextOf(file.metadata)
    if (context) params.context = context
    if (!signedMode) return params
    params.timestamp = now()
    return { ...params, api_key: apiKey!, signature: cloudinarySignature(params, apiSecret!, algorithm) }
  }

  /** The asset as Cloudinary's Admin API describes it (Basic auth with the key and secret). */
  async function details(r: UploadAnswer): Promise<UploadAnswer> {
    const type = typeof r.resource_type === 'string' && /^(image|video|raw)$/.test(r.resource_type) ? r.resource_type : 'image'
    const id = String(r.public_id).split('/').map(encodeURIComponent).join('/')
    const auth = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`
    const asset = (await api.call(`${prefix}/v1_1/${encodeURIComponent(cloudName)}/resources/${type}/upload/${id}`, { headers: { authorization: auth } })) as UploadAnswer
    if (!asset || typeof asset.bytes !== 'number') throw api.unexpected("the asset's details")
    return asset
  }

  return {
    kind: 'provider',
    name: 'cloudinary',
    title: 'Cloudinary',
    resumable: false,
    async plan(file) {
      // The server names the asset, so the answer can be matched to this plan.
      const publicId = randomUUID()
      const url = endpoint(resourceType, 'upload')
      const f = fields(file, publicId)
      if (file.size <= chunkSize) return { plan: { kind: 'form', url, fields: f, fileField: 'file' }, state: { publicId } }
      const headers = { 'x-unique-upload-id': randomBytes(16).toString('hex') }
      return { plan: { kind: 'chunks', url, chunkSize, fields: f, fileField: 'file', headers }, state: { publicId } }
    },
    async finish(state, result, file) {
      const r = result.response as UploadAnswer | undefined
      if (!r || typeof r !== 'object' || typeof r.public_id !== 'string') {
        throw badRequest('invalid_response', "The finish call must send Cloudinary's JSON answer to the upload (the last chunk's, for a chunked upload).")
      }
      if (r.done === false) throw badRequest('upload_incomplete', 'Cloudinary has not received the whole file yet (done: false).')
      if (r.public_id !== state.publicId && !r.public_id.endsWith(`/${state.publicId}`)) {
        throw badRequest('invalid_response', 'That Cloudinary answer is for another upload than this plan.')
      }
      // Unsigned: nothing can be checked without the secret; the page's report is all there is.
      let stored: UploadAnswer = r
      if (signedMode) {
        const expected = Buffer.from(cloudinarySignature({ public_id: r.public_id, version: String(r.version) }, apiSecret!, algorithm))
        const given = Buffer.from(typeof r.signature === 'string' ? r.signature : '')
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new HttpError(400, 'invalid_signature', "The Cloudinary answer's signature does not verify; it was not sent by Cloudinary for this upload.")
        }
        // The signature covers only public_id and version: size, URL and pixel size come from
        // Cloudinary itself where its Admin API answers (it is rate limited per hour); else from the
        // verified answer.
        stored = await details(r).catch(() => r)
      }
      const record = {
        id: r.public_id,
        url: typeof stored.secure_url === 'string' ? stored.secure_url : '',
        size: typeof stored.bytes === 'number' ? stored.bytes : -1,
        type: file.type,
        name: file.name,
        etag: typeof stored.etag === 'string' ? stored.etag : undefined,
        raw: r,
      }
      if (typeof stored.width === 'number' && typeof stored.height === 'number') Object.assign(record, { width: stored.width, height: stored.height })
      return record
    },
    async fromUrl(link) {
      // "A remote FTP, HTTP or HTTPS URL of an existing file" as `file` (never signed); "Uploading is
      // performed synchronously": the answer comes to this server from Cloudinary, so it is the record.
      const r = (await api.call(endpoint(resourceType, 'upload'), { method: 'POST', body: formOf({ ...fields(link, randomUUID()), file: link.url }) }, (status, body) => api.refusal(status, body, 'the link'))) as UploadAnswer
      if (!r || typeof r.public_id !== 'string' || typeof r.bytes !== 'number') throw api.unexpected("the fetched file's public_id and size")
      const format = typeof r.format === 'string' ? r.format.toLowerCase() : ''
      const kind = typeof r.resource_type === 'string' ? r.resource_type : ''
      const type = FORMAT_TYPES[format] ?? (format && (kind === 'image' || kind === 'video') ? `${kind}/${format}` : 'application/octet-stream')
      const named = typeof r.original_filename === 'string' && r.original_filename ? `${r.original_filename}${format ? `.${format}` : ''}` : nameFromUrl(link.url)
      const record: ProviderRecord = { id: r.public_id, url: typeof r.secure_url === 'string' ? r.secure_url : '', size: r.bytes, type, name: link.filename ?? named, raw: r }
      if (typeof r.width === 'number' && typeof r.height === 'number') Object.assign(record, { width: r.width, height: r.height })
      return settled(record)
    },
    async urlStatus(state) {
      return settledStatus(state, 'Cloudinary')
    },
    async delete(record) {
      if (!signedMode) return // an unsigned upload cannot be destroyed without the secret
      const type = typeof (record.raw as UploadAnswer).resource_type === 'string' ? String((record.raw as UploadAnswer).resource_type) : 'image'
      const params = { public_id: record.id, timestamp: now() }
      await api.call(endpoint(type, 'destroy'), { method: 'POST', body: formOf({ ...params, api_key: apiKey, signature: cloudinarySignature(params, apiSecret!, algorithm) }) })
    },
  }
}
