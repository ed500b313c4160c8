// Uploadcare Upload API (https://uploadcare.com/api-refs/upload-api/): small files are a form the
// browser POSTs straight to /base/; from 10 MB up the server starts a multipart upload, the browser
// PUTs the parts, the server completes it. /info/ describes the file. With a secret key every upload
// is signed (https://uploadcare.com/docs/security/secure-uploads/): the signature is made here, and
// the secret never reaches the page.
import { createHmac, randomBytes } from 'node:crypto'
import { badRequest } from '../errors.js'
import { type Fetch, formOf, ProviderApi, requireString, trimSlash } from './api.js'
import type { Provider, ProviderFile } from './types.js'
import { partSizeFor } from '../../shared/parts.js'

export interface UploadcareStorageOptions {
  publicKey: string
  /** Signs every upload (the project must require signed uploads for this to protect it). */
  secretKey?: string
  /** Default `https://upload.uploadcare.com`. */
  uploadUrl?: string
  /** `UPLOADCARE_STORE`: `'auto'` (the project's auto-store setting, the default), `'1'` stored, `'0'` deleted after 24 h. */
  store?: 'auto' | '0' | '1' | boolean
  /** Where files are served, for `FileInfo.url` (default `https://ucarecdn.com`). */
  cdnUrl?: string
  fetch?: Fetch
}

/** Multipart takes files from 10 MB; direct uploads take files under 100 MB. */
export const UPLOADCARE_MULTIPART_FROM = 10 * 1024 * 1024

/** `signature` for a signed upload valid until `expire` (UNIX seconds): HMAC-SHA256 of the expire time, keyed by the secret. */
export function uploadcareSignature(secretKey: string, expire: number): string {
  return createHmac('sha256', secretKey).update(String(expire)).digest('hex')
}

interface State {
  /** Set for multipart uploads; a form upload's uuid comes with its answer. */
  uuid?: string
  /** A form upload's mark (metadata `hoist_upload`), which ties its answer's uuid to this plan. */
  mark?: string
}

/** The metadata key that marks a form upload as this plan's. */
const MARK = 'hoist_upload'

interface Info {
  metadata?: Record<string, unknown> | null
  uuid?: unknown
  size?: unknown
  mime_type?: unknown
  original_filename?: unknown
  image_info?: { width?: unknown; height?: unknown } | null
}

function metadataFields(file: ProviderFile): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(file.metadata)) {
    if (v === '') continue
    if (v.length > 512) throw badRequest('invalid_metadata', `metadata field "${k}" is longer than Uploadcare's 512 characters.`)
    out[`metadata[${k}]`] = v
  }
  return out
}

export function uploadcareStorage(options: UploadcareStorageOptions): Provider<State> {
  const publicKey = requireString(options?.publicKey, 'uploadcareStorage', 'publicKey')
  const base = trimSlash(options.uploadUrl ?? 'https://upload.uploadcare.com')
  const cdn = trimSlash(options.cdnUrl ?? 'https://ucarecdn.com')
  const store = options.store === true ? '1' : options.store === false ? '0' : (options.store ?? 'auto')
  if (!['auto', '0', '1'].includes(store)) throw new TypeError('uploadcareStorage: store must be "auto", "0" or "1"')
  const api = new ProviderApi('Uploadcare', options.fetch, [options.secretKey])

  const signed = (expiresIn: number): Record<string, string> => {
    if (!options.secretKey) return {}
    const expire = Math.floor(Date.now() / 1000) + expiresIn
    return { signature: uploadcareSignature(options.secretKey, expire), expire: String(expire) }
  }

  async function info(uuid: string): Promise<Info> {
    const answer = (await api.call(`${base}/info/?${new URLSearchParams({ pub_key: publicKey, file_id: uuid })}`, {})) as Info
    if (typeof answer?.uuid !== 'string') throw api.unexpected('the file info')
    return answer
  }

  return {
    kind: 'provider',
    name: 'uploadcare',
    title: 'Uploadcare',
    resumable: false,
    async plan(file) {
      const common = { UPLOADCARE_PUB_KEY: publicKey, UPLOADCARE_STORE: store, ...metadataFields(file), ...signed(file.expiresIn) }
      if (file.size < UPLOADCARE_MULTIPART_FROM) {
        const mark = randomBytes(12).toString('hex')
        return { plan: { kind: 'form', url: `${base}/base/`, fields: { ...common, [`metadata[${MARK}]`]: mark }, fileField: 'file' }, state: { mark } }
      }
      const partSize = partSizeFor(file.size)
      const started = (await api.call(`${base}/multipart/start/`, {
        method: 'POST',
        body: formOf({ ...common, filename: file.filename, size: String(file.size), part_size: String(partSize), content_type: file.type }),
      })) as { uuid?: unknown; parts?: unknown }
      if (typeof started?.uuid !== 'string' || !Array.isArray(started.parts) || started.parts.some((u) => typeof u !== 'string')) throw api.unexpected('uuid and part URLs')
      const urls = Object.fromEntries((started.parts as string[]).map((u, i) => [String(i + 1), u]))
      // "You MUST define Content-Type header for your data."
      return { plan: { kind: 'parts', partSize, urls, headers: { 'content-type': file.type }, etags: false }, state: { uuid: started.uuid } }
    },
    async finish(state, result, file) {
      let uuid = state.uuid
      if (uuid) {
        await api.call(`${base}/multipart/complete/`, { method: 'POST', body: formOf({ UPLOADCARE_PUB_KEY: publicKey, uuid }) })
      } else {
        // A form upload answers `{ "<file field>": "<uuid>" }`.
        const answer = result.response as Record<string, unknown> | undefined
        uuid = typeof answer?.file === 'string' ? answer.file : undefined
        if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid)) throw badRequest('invalid_response', 'The finish call must send Uploadcare\'s answer to the form upload, { "file": "<uuid>" }.')
      }
      const raw = await info(uuid)
      const size = typeof raw.size === 'number' ? raw.size : -1
      // A form upload's answer names the file by uuid; its mark proves it is this plan's file. A file
      // whose info carries no mark at all must at least have the planned name and size.
      const mark = raw.metadata && typeof raw.metadata === 'object' ? raw.metadata[MARK] : undefined
      const planned = mark === undefined ? size === file.size && raw.original_filename === file.name : mark === state.mark
      if (!state.uuid && !planned) throw badRequest('invalid_response', `The file ${uuid} at Uploadcare was not uploaded by this plan.`)
      const record = { id: uuid, url: `${cdn}/${uuid}/`, size, type: typeof raw.mime_type === 'string' ? raw.mime_type : file.type, name: typeof raw.original_filename === 'string' ? raw.original_filename : file.name, raw }
      const img = raw.image_info
      if (img && typeof img.width === 'number' && typeof img.height === 'number') Object.assign(record, { width: img.width, height: img.height })
      return record
    },
  }
}
