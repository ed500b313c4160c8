// Uploadcare Upload API (https://uploadcare.com/api-refs/upload-api/): small files are a form the
// browser POSTs straight to /base/; from 10 MB up the server starts a multipart upload, the browser
// PUTs the parts, the server completes it. /info/ describes the file. With a secret key every upload
// is signed (https://uploadcare.com/docs/security/secure-uploads/): the signature is made here, and
// the secret never reaches the page. Links: /from_url/ and /from_url/status/; groups: /group/ and
// /group/info/. The Upload API documents no delete and no way to store a file later.
import { createHmac, randomBytes } from 'node:crypto'
import { badRequest, HttpError } from '../errors.js'
import { type Fetch, formOf, ProviderApi, providerMessage, requireString, trimSlash } from './api.js'
import { checkIds } from './link.js'
import { linkRefusal, linkErrorCode } from './uploadcare-errors.js'
import type { LinkStatus, Provider, ProviderGroup, ProviderRecord } from './types.js'
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

/** A link fetch: Uploadcare's token, or the file itself when Uploadcare answered a known duplicate. */
interface LinkState {
  token?: string
  uuid?: string
}

interface Group {
  id?: unknown
  files_count?: unknown
  files?: unknown
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const GROUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}~\d{1,5}$/i

function metadataFields(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(metadata)) {
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

  /** Uploadcare's file info as Hoist's record. */
  function recordOf(raw: Info, fallback: { type: string; name: string }): ProviderRecord {
    const uuid = String(raw.uuid)
    const record: ProviderRecord = {
      id: uuid,
      url: `${cdn}/${uuid}/`,
      size: typeof raw.size === 'number' ? raw.size : -1,
      type: typeof raw.mime_type === 'string' ? raw.mime_type : fallback.type,
      name: typeof raw.original_filename === 'string' ? raw.original_filename : fallback.name,
      raw,
    }
    const img = raw.image_info
    if (img && typeof img.width === 'number' && typeof img.height === 'number') Object.assign(record, { width: img.width, height: img.height })
    return record
  }

  /** A group's answer: each entry is a file's info, as /info/ answers it. */
  async function groupOf(answer: Group): Promise<ProviderGroup> {
    if (typeof answer?.id !== 'string' || typeof answer.files_count !== 'number' || !Array.isArray(answer.files)) throw api.unexpected('the group id, count and files')
    const records = await Promise.all(
      (answer.files as (Info | null)[]).map(async (f) => {
        const entry = f && typeof f === 'object' && typeof f.uuid === 'string' && typeof f.size === 'number' ? f : undefined
        if (entry) return recordOf(entry, { type: 'application/octet-stream', name: '' })
        throw api.unexpected("a file's info in the group")
      }),
    )
    return { id: answer.id, count: answer.files_count, records }
  }

  /** Signatures for server-side calls: only as long as the call itself needs. */
  const signedNow = () => signed(600)

  return {
    kind: 'provider',
    name: 'uploadcare',
    title: 'Uploadcare',
    resumable: false,
    async plan(file) {
      const common = { UPLOADCARE_PUB_KEY: publicKey, UPLOADCARE_STORE: store, ...metadataFields(file.metadata), ...signed(file.expiresIn) }
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
      return recordOf(raw, file)
    },
    async fromUrl(link) {
      // check_URL_duplicates stays at its default "0": a duplicate would answer an earlier upload's
      // file, which may be another user's, with that user's metadata.
      const fields = { pub_key: publicKey, source_url: link.url, store, filename: link.filename, ...metadataFields(link.metadata), ...signedNow() }
      const answer = (await api.call(`${base}/from_url/`, { method: 'POST', body: formOf(fields) }, (status, body) => linkRefusal(api, status, body))) as { type?: unknown; token?: unknown; uuid?: unknown }
      if (answer?.type === 'token' && typeof answer.token === 'string') return { state: { token: answer.token } satisfies LinkState }
      // A duplicate the project tracks: "this request will return information about the already uploaded file".
      if (typeof answer?.uuid === 'string' && UUID.test(answer.uuid)) return { state: { uuid: answer.uuid } satisfies LinkState }
      throw api.unexpected('a from_url token')
    },
    async urlStatus(state) {
      const { token, uuid } = state as LinkState
      if (typeof uuid === 'string' && UUID.test(uuid)) return { status: 'success', record: recordOf(await info(uuid), { type: 'application/octet-stream', name: '' }) }
      if (typeof token !== 'string') throw new HttpError(400, 'invalid_token', 'That link upload token was not made for Uploadcare.')
      const s = (await api.call(`${base}/from_url/status/?${new URLSearchParams({ token })}`, {})) as Info & { status?: unknown; done?: unknown; total?: unknown; error?: unknown; error_code?: unknown }
      const bytes = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined)
      switch (s?.status) {
        case 'waiting':
          return { status: 'waiting' }
        case 'progress': {
          const out: LinkStatus = { status: 'progress' }
          const done = bytes(s.done)
          const total = bytes(s.total)
          if (done !== undefined) out.done = done
          if (total !== undefined) out.total = total
          return out
        }
        case 'success': {
          // The answer holds the file's info; a thin one is completed from /info/.
          const raw = typeof s.uuid === 'string' && typeof s.size === 'number' ? s : typeof s.uuid === 'string' ? await info(s.uuid) : undefined
          if (!raw) throw api.unexpected("the fetched file's uuid")
          const { status: _s, done: _d, total: _t, ...fileInfo } = raw as typeof s
          return { status: 'success', record: recordOf(fileInfo, { type: 'application/octet-stream', name: '' }) }
        }
        case 'error': {
          const said = api.redact(providerMessage(s.error) ?? 'no reason given')
          return { status: 'error', error: { code: linkErrorCode(s.error_code, said), message: `Uploadcare could not fetch the link: ${said}` } }
        }
        case 'unknown':
          return { status: 'error', error: { code: 'not_found', message: 'Uploadcare does not know this link upload (status unknown): its token has expired or was never issued.' } }
      }
      throw api.unexpected('a from_url status')
    },
    async group(ids) {
      const list = checkIds(ids, 1000)
      const files = Object.fromEntries(list.map((id, i) => [`files[${i}]`, id]))
      const answer = (await api.call(`${base}/group/`, { method: 'POST', body: formOf({ pub_key: publicKey, ...files, ...signedNow() }) }, (status, body) => groupRefusal(api, status, body))) as Group
      return groupOf(answer)
    },
    async groupInfo(id) {
      if (typeof id !== 'string' || !GROUP_ID.test(id)) return null
      try {
        return await groupOf((await api.call(`${base}/group/info/?${new URLSearchParams({ pub_key: publicKey, group_id: id })}`, {}, (status) => (status === 404 ? GONE : undefined))) as Group)
      } catch (err) {
        if (err === GONE) return null
        throw err
      }
    },
  }
}

/** Marks Uploadcare's "group_id is invalid" (404): the group does not exist. */
const GONE = new HttpError(404, 'not_found', 'Uploadcare knows no such group.')

/** "Some files not found" names no file: the ids are the app's, so the refusal says which call it was. */
function groupRefusal(api: ProviderApi, status: number, body: unknown): HttpError | undefined {
  const code = (body as { error?: { error_code?: unknown } } | undefined)?.error?.error_code
  if (code === 'GroupFilesNotFoundError') return new HttpError(404, 'not_found', 'Uploadcare knows no file for some of those ids, so no group was made.')
  if (code === 'GroupFileURLParsingFailedError') return new HttpError(400, 'invalid_files', `Uploadcare cannot read a file id: ${api.redact(providerMessage(body) ?? '')}`)
  return api.refusal(status, body, 'the group')
}
