// Upscayl Cloud (https://docs.upscayl.org/get-upload-url.md, /complete-a-multipart-upload.md):
// `X-API-Key`. get-upload-url answers every part URL at once and the part size it dictates → the
// browser PUTs the parts → complete-multipart-upload with the parts' ETags. The `key` it takes is "the
// S3 key where the file is stored": the `path` get-upload-url answered, which start-task takes too.
import { badRequest } from '../errors.js'
import { type Fetch, ProviderApi, requireString, trimSlash } from './api.js'
import type { Provider } from './types.js'

export interface UpscaylStorageOptions {
  apiKey: string
  /** Default `https://api.upscayl.org`. */
  apiUrl?: string
  fetch?: Fetch
}

interface State {
  uploadId: string
  path: string
  /** Parts the plan has: a complete must list every one. */
  parts: number
}

interface UploadUrls {
  uploadId?: unknown
  partUrls?: unknown
  partSize?: unknown
  path?: unknown
  expiresAt?: unknown
}

export function upscaylStorage(options: UpscaylStorageOptions): Provider<State> {
  const apiKey = requireString(options?.apiKey, 'upscaylStorage', 'apiKey')
  const base = trimSlash(options.apiUrl ?? 'https://api.upscayl.org')
  const api = new ProviderApi('Upscayl', options.fetch, [apiKey])
  const post = (path: string, data: unknown) =>
    api.call(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ data }) })

  return {
    kind: 'provider',
    name: 'upscayl',
    title: 'Upscayl',
    resumable: false,
    async plan(file) {
      const answer = (await post('/get-upload-url', { fileSize: file.size, fileType: file.type, originalFileName: file.filename })) as { data?: UploadUrls }
      const d = answer?.data
      const partSize = d?.partSize
      if (!d || typeof d.uploadId !== 'string' || typeof d.path !== 'string' || !Array.isArray(d.partUrls)) throw api.unexpected('uploadId, path and partUrls')
      if (typeof partSize !== 'number' || !Number.isSafeInteger(partSize) || partSize <= 0) throw api.unexpected('a part size')
      const urls: Record<string, string> = {}
      for (const p of d.partUrls as { partNumber?: unknown; signedUrl?: unknown }[]) {
        if (typeof p?.partNumber !== 'number' || typeof p.signedUrl !== 'string') throw api.unexpected('a URL for every part')
        urls[p.partNumber] = p.signedUrl
      }
      const count = Math.max(1, Math.ceil(file.size / partSize))
      for (let n = 1; n <= count; n++) if (!urls[n]) throw api.unexpected(`a URL for part ${n} of ${count}`)
      // "Timestamp of URL expiration": epoch milliseconds, or seconds as the docs' examples look.
      const expiresAt = typeof d.expiresAt === 'number' ? (d.expiresAt < 1e12 ? d.expiresAt * 1000 : d.expiresAt) : undefined
      const expires = expiresAt === undefined ? undefined : Math.max(60, Math.floor((expiresAt - Date.now()) / 1000))
      return { plan: { kind: 'parts', partSize, urls, headers: {}, etags: true, expires }, state: { uploadId: d.uploadId, path: d.path, parts: count } }
    },
    async finish(state, result, file) {
      const parts = result.parts ?? []
      // Storage would assemble whatever subset it is given: every planned part must be there.
      if (parts.length !== state.parts) throw badRequest('invalid_parts', `This upload has ${state.parts} parts; the finish call lists ${parts.length}.`)
      const raw = await post('/complete-multipart-upload', { uploadId: state.uploadId, key: state.path, parts })
      // The completion answer is not documented beyond success; the plan's path is the handle. Upscayl
      // reports no size or type: the declared ones stand, and the parts' exact count was checked.
      return { id: state.path, url: '', size: file.size, type: file.type, name: file.name, raw }
    },
  }
}
