// VIESUS Cloud (https://docs.viesus.com/reference/cloud-api/uploading): GraphQL with `x-api-key`.
// createSignedUploadUrl → one PUT of the file, with its exact type and size → completeSignedUpload,
// whose record's `id` is what enhancement calls take. Links: createUploadFromUrl; deletes: deleteUploads.
import { HttpError } from '../errors.js'
import { type Fetch, ProviderApi, requireString } from './api.js'
import { checkIds, nameFromUrl, settled, settledStatus } from './link.js'
import type { Provider, ProviderRecord } from './types.js'

export interface ViesusStorageOptions {
  apiKey: string
  /** Default `https://api.viesus.cloud/graphql`. */
  apiUrl?: string
  fetch?: Fetch
}

interface State {
  uploadId: string
}

/**
 * A GraphQL string literal. Arguments are written inline, as the docs' examples are, so no input
 * type name has to be guessed; JSON's string escapes are valid GraphQL escapes.
 */
const literal = (s: string) => JSON.stringify(s)

const RECORD = 'id status filesize mimetype extension originalFilename filename width height url startedAt finishedAt duration'

interface ViesusRecord {
  id?: unknown
  status?: unknown
  filesize?: unknown
  mimetype?: unknown
  originalFilename?: unknown
  url?: unknown
  width?: unknown
  height?: unknown
}

/** VIESUS's record as Hoist's; `name` wins over VIESUS's original name when the app gave one. */
function recordOf(r: ViesusRecord, file: { size: number; type: string; name: string }, name?: string): ProviderRecord {
  if (typeof r.id !== 'string') throw new HttpError(502, 'provider_error', 'VIESUS answered without the upload id.')
  const record: ProviderRecord = {
    id: r.id,
    url: typeof r.url === 'string' ? r.url : '',
    size: typeof r.filesize === 'number' ? r.filesize : file.size,
    type: typeof r.mimetype === 'string' ? r.mimetype : file.type,
    name: name ?? (typeof r.originalFilename === 'string' ? r.originalFilename : file.name),
    raw: r,
  }
  // Width and height are 0 for documents; only real pixel sizes are reported.
  if (typeof r.width === 'number' && typeof r.height === 'number' && r.width > 0 && r.height > 0) Object.assign(record, { width: r.width, height: r.height })
  return record
}

export function viesusStorage(options: ViesusStorageOptions): Provider<State> {
  const apiKey = requireString(options?.apiKey, 'viesusStorage', 'apiKey')
  const apiUrl = options.apiUrl ?? 'https://api.viesus.cloud/graphql'
  const api = new ProviderApi('VIESUS', options.fetch, [apiKey])

  /** One GraphQL operation; its `errors` become a clear refusal of `action`. */
  async function graphql<T>(query: string, field: string, action?: string): Promise<T> {
    const body = (await api.call(apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ query }),
    })) as { data?: Record<string, unknown> | null; errors?: unknown[] } | undefined
    if (Array.isArray(body?.errors) && body.errors.length) {
      const code = (body.errors[0] as { extensions?: { code?: unknown } })?.extensions?.code
      throw api.refusal(code === 'UNAUTHENTICATED' ? 401 : 400, body, action)
    }
    const value = body?.data?.[field]
    if (!value || typeof value !== 'object') throw api.unexpected(`data.${field}`)
    return value as T
  }

  return {
    kind: 'provider',
    name: 'viesus',
    title: 'VIESUS',
    resumable: false,
    async plan(file) {
      const input = `{ filename: ${literal(file.filename)}, filesize: ${file.size}, mimetype: ${literal(file.type)} }`
      const signed = await graphql<{ uploadId?: unknown; uploadUrl?: unknown }>(`mutation { createSignedUploadUrl(input: ${input}) { uploadId uploadUrl } }`, 'createSignedUploadUrl')
      if (typeof signed.uploadId !== 'string' || typeof signed.uploadUrl !== 'string') throw api.unexpected('uploadId and uploadUrl')
      // "filesize and mimetype must match the actual file": the PUT sends that exact type (the browser sets the length).
      return { plan: { kind: 'put', url: signed.uploadUrl, headers: { 'content-type': file.type } }, state: { uploadId: signed.uploadId } }
    },
    async finish(state, _result, file) {
      const r = await graphql<ViesusRecord>(`mutation { completeSignedUpload(id: ${literal(state.uploadId)}) { ${RECORD} } }`, 'completeSignedUpload')
      return recordOf(r, file)
    },
    async delete(record) {
      await graphql(`mutation { deleteUploads(ids: [${literal(record.id)}]) { deletedUploadIds } }`, 'deleteUploads')
    },
    // The docs document no query for an upload's status: createUploadFromUrl answers the upload's
    // record (size, type, pixel size, finishedAt), so its answer is taken as final.
    async fromUrl(link) {
      const r = await graphql<ViesusRecord>(`mutation { createUploadFromUrl(input: { url: ${literal(link.url)} }) { ${RECORD} } }`, 'createUploadFromUrl', 'the link')
      if (typeof r.status === 'string' && /fail|error/i.test(r.status)) {
        throw new HttpError(400, 'provider_rejected', `VIESUS could not fetch the link (upload status ${api.redact(r.status)}).`)
      }
      // The input takes only `url`: the app's file name is Hoist's, VIESUS keeps its own.
      const name = link.filename ?? (typeof r.originalFilename === 'string' && r.originalFilename ? r.originalFilename : nameFromUrl(link.url))
      return settled(recordOf(r, { size: -1, type: 'application/octet-stream', name }, name))
    },
    async urlStatus(state) {
      return settledStatus(state, 'VIESUS')
    },
    async deleteIds(ids) {
      const list = checkIds(ids, 1000)
      // Ids already gone are not listed in deletedUploadIds; a delete that finds nothing is done.
      await graphql(`mutation { deleteUploads(ids: [${list.map(literal).join(', ')}]) { deletedUploadIds } }`, 'deleteUploads', 'the delete')
    },
  }
}
