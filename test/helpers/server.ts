import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUploadHandler, diskStorage, type UploadHandlerOptions } from '../../src/server/index.js'

export const SECRET = 'test-secret-0123456789abcdef'
export const BASE = 'http://app.test/api/uploads'

/** A handler on disk storage in `dir` (default: a fresh temp folder); `cleanup()` removes it. */
export function diskHandler(overrides: Partial<UploadHandlerOptions<{ id: string }>> = {}, dir = mkdtempSync(join(tmpdir(), 'hoist-test-'))) {
  const storage = diskStorage({ dir, secret: SECRET })
  const handler = createUploadHandler<{ id: string }>({
    storage,
    secret: SECRET,
    basePath: '/api/uploads',
    authorize: () => ({ id: 'u1' }),
    onError: () => {},
    ...overrides,
  })
  return { handler, storage, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export type Handler = (r: Request) => Promise<Response>

export async function call(handler: Handler, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    if (body instanceof Uint8Array || body instanceof FormData || typeof body === 'string') init.body = body as BodyInit
    else {
      init.body = JSON.stringify(body)
      ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
    }
  }
  const url = path.startsWith('http') ? path : `${BASE}${path}`
  return answer(await handler(new Request(url, init)))
}

/** A response read whole: its status, reason phrase, headers, text and, when it is JSON, the parsed body. */
export async function answer(response: Response) {
  const text = await response.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: response.status, statusText: response.statusText, headers: response.headers, json, text }
}

/** Creates a multipart upload and returns its key and uploadId. */
export async function createMultipart(handler: Handler, filename = 'video.mp4', metadata: Record<string, unknown> = {}, type = 'video/mp4') {
  const r = await call(handler, 'POST', '/s3/multipart', { filename, type, metadata })
  if (r.status !== 200) throw new Error(`create failed: ${r.status} ${r.text}`)
  return r.json as { key: string; uploadId: string }
}

/** PUTs bytes to a signed URL through the handler (disk storage URLs point back at it). */
export async function put(handler: Handler, url: string, bytes: Uint8Array) {
  const r = await handler(new Request(url, { method: 'PUT', body: bytes as BodyInit }))
  return { status: r.status, etag: (r.headers.get('etag') ?? '').replace(/"/g, ''), json: r.status >= 400 ? await r.json() : null }
}

/** Runs `fn` as if the clock were `seconds` ahead (tokens carry their expiry in Unix seconds). */
export async function later<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now
  Date.now = () => realNow() + seconds * 1000
  try {
    return await fn()
  } finally {
    Date.now = realNow
  }
}

export const q = (params: Record<string, string>) => `?${new URLSearchParams(params)}`
export const MiB = 1024 * 1024

/** A form as a browser sends it: a body with Content-Type (boundary) and Content-Length. */
export async function serializeForm(form: FormData) {
  const encoded = new Response(form)
  const body = new Uint8Array(await encoded.arrayBuffer())
  return { body, headers: { 'content-type': encoded.headers.get('content-type')!, 'content-length': String(body.length) } }
}

/** POSTs a form upload (`fields`, then the file) to a signed form URL through the handler. */
export async function postForm(handler: Handler, url: string, fields: Record<string, string>, bytes: Uint8Array) {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  form.set('file', new Blob([bytes as BlobPart]))
  return handler(new Request(url, { method: 'POST', ...(await serializeForm(form)) }))
}
