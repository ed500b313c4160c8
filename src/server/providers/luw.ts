// Luw.ai (https://docs.luw.ai, "Uploading Files"): Bearer token. POST /v2/upload (form `filename`,
// optional `pid`) → one PUT to `signed_url` with Content-Type, Cache-Control and Expires →
// GET /v2/finalize_upload?url=<final_url>. The token stays on the server; the page only PUTs.
import { badRequest, HttpError } from '../errors.js'
import { type Fetch, formOf, ProviderApi, requireString, trimSlash } from './api.js'
import type { Provider } from './types.js'

export interface LuwStorageOptions {
  token: string
  /** Default `https://api.luw.ai`. */
  apiUrl?: string
  /** Persona id the uploads belong to (default: the account's first persona). */
  pid?: number | string
  /** Name files with the documented `x12tmp-` prefix: Luw.ai deletes them after 12 hours. */
  temporary?: boolean
  fetch?: Fetch
}

/** The documented file types, and the Content-Type each one's PUT sends. */
export const LUW_TYPES: Record<string, string> = {
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
  fbx: 'application/octet-stream',
}

const TEMPORARY = 'x12tmp-'
/**
 * The docs' long-lived caching headers for the stored file, exactly as documented: the signed URL
 * may sign them, so the value is the documented one rather than one of Hoist's choosing.
 */
const CACHE_CONTROL = 'max-age=315360000'
const EXPIRES = 'Sun, 19 Jul 2030 18:06:32 GMT'

interface State {
  finalUrl: string
}

export function luwStorage(options: LuwStorageOptions): Provider<State> {
  const token = requireString(options?.token, 'luwStorage', 'token')
  const base = trimSlash(options.apiUrl ?? 'https://api.luw.ai')
  if (options.pid !== undefined && !/^\d+$/.test(String(options.pid))) throw new TypeError('luwStorage: pid must be an integer persona id')
  const api = new ProviderApi('Luw.ai', options.fetch, [token])
  const auth = { authorization: `Bearer ${token}` }

  /**
   * The stored file's length as Luw.ai's CDN serves it: a HEAD's Content-Length, else (a CDN that
   * answers no HEAD) the bytes of a GET, counted as they stream and never past `limit` + 1.
   */
  async function storedSize(finalUrl: string, limit: number): Promise<number> {
    const get = options.fetch ?? fetch
    const unreachable = () => new HttpError(502, 'provider_unreachable', "The upload server could not reach Luw.ai's CDN to check the stored file.")
    const head = await get(finalUrl, { method: 'HEAD', signal: AbortSignal.timeout(30_000) }).catch(() => undefined)
    const length = Number(head?.headers.get('content-length') ?? NaN)
    if (head?.ok && Number.isSafeInteger(length)) return length
    const response = await get(finalUrl, { signal: AbortSignal.timeout(120_000) }).catch(() => {
      throw unreachable()
    })
    if (!response.ok || !response.body) throw new HttpError(502, 'provider_error', `Luw.ai's CDN did not serve the stored file (HTTP ${response.status}).`)
    const reader = response.body.getReader()
    let bytes = 0
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return bytes
        bytes += value.length
        if (bytes > limit) return bytes
      }
    } catch {
      throw unreachable()
    } finally {
      await reader.cancel().catch(() => {})
    }
  }

  return {
    kind: 'provider',
    name: 'luw',
    title: 'Luw.ai',
    resumable: false,
    async plan(file) {
      const extension = /\.([^.]+)$/.exec(file.safeName)?.[1]?.toLowerCase() ?? ''
      const type = LUW_TYPES[extension]
      if (!type) {
        throw badRequest('type_not_allowed', `Luw.ai takes ${Object.keys(LUW_TYPES).join(', ')} files; "${file.filename}" is not one of them.`)
      }
      const filename = options.temporary && !file.safeName.startsWith(TEMPORARY) ? `${TEMPORARY}${file.safeName}` : file.safeName
      const form = formOf({ filename, pid: options.pid === undefined ? undefined : String(options.pid) })
      const answer = (await api.call(`${base}/v2/upload`, { method: 'POST', headers: auth, body: form })) as { status?: unknown; signed_url?: unknown; final_url?: unknown }
      if (answer?.status !== true || typeof answer.signed_url !== 'string' || typeof answer.final_url !== 'string') throw api.unexpected('signed_url and final_url')
      const headers = { 'content-type': type, 'cache-control': CACHE_CONTROL, expires: EXPIRES }
      return { plan: { kind: 'put', url: answer.signed_url, headers }, state: { finalUrl: answer.final_url } }
    },
    async finish(state, _result, file) {
      const raw = (await api.call(`${base}/v2/finalize_upload?${new URLSearchParams({ url: state.finalUrl })}`, { headers: auth })) as { status?: unknown }
      if (raw?.status !== true) throw api.refusal(400, raw)
      // Luw.ai's answer says nothing of the file: its CDN tells what is stored.
      const size = await storedSize(state.finalUrl, file.size)
      return { id: state.finalUrl, url: state.finalUrl, size, type: LUW_TYPES[/\.([^.]+)$/.exec(file.name)?.[1]?.toLowerCase() ?? ''] ?? file.type, name: file.name, raw }
    },
  }
}
