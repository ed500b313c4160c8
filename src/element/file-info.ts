import { Backend, defaultRetry, type HeadersOption, type StoredInfo } from '../transport/index.js'
import { extensionOf } from '../shared/names.js'
import { partCount, partSizeFor } from '../shared/parts.js'
import type { FileInfo } from './events.js'
import type { WithPrepared } from '../prepare/uppy-file.js'

/** What of an Uppy file the description reads. */
interface UploadedFile extends WithPrepared {
  id: string
  name?: string
  size: number | null
  data?: unknown
  meta: Record<string, unknown>
}

interface DescribeContext {
  endpoint: string | undefined
  headers: HeadersOption | undefined
  withCredentials: boolean
  multipartThreshold: number
  chunkSize: number | undefined
  startedAt: number
  finishedAt: number
}

/** A file's FileInfo after upload; the server's answer about the stored object is the truth. */
export async function describeFile(file: UploadedFile, answer: Partial<StoredInfo> & { parts?: number }, c: DescribeContext): Promise<FileInfo> {
  const link = file.meta.hoistLink
  // Hoist's server describes the file in its finish (or complete) answer; otherwise (a stock
  // transport, or a size other than the file's) the endpoint is asked, which also checks size and
  // type. A link's size is the server's to find out.
  const described = typeof answer.url === 'string' && (answer.size === file.size || typeof link === 'string')
  const read = () => fetchStored(c.endpoint ?? '', answer.key ?? '', file.size ?? 0, { headers: c.headers, withCredentials: c.withCredentials })
  const [stored, dims] = await Promise.all([described ? (answer as StoredInfo) : read(), imageSize(file.data)])
  // The bytes' own count when the transport reports it (hosted APIs dictate their part sizes).
  const parts = answer.parts ?? ((file.size ?? 0) > c.multipartThreshold ? partCount(stored.size, partSizeFor(stored.size, c.chunkSize)) : 1)
  const { declaredSize: _s, partSize: _p, name: _n, type: _t, hoistLink: _l, ...meta } = file.meta
  const info: FileInfo = {
    id: file.id,
    key: stored.key,
    url: stored.url,
    // A link's name is the server's to give (from its headers), a picked file's the user's.
    name: typeof link === 'string' ? stored.name : (file.name ?? stored.name),
    size: stored.size,
    type: stored.type,
    extension: extensionOf((typeof link === 'string' ? stored.name : file.name) ?? ''),
    width: stored.width ?? dims?.width ?? null,
    height: stored.height ?? dims?.height ?? null,
    etag: stored.etag,
    multipart: parts > 1,
    parts,
    startedAt: new Date(c.startedAt).toISOString(),
    finishedAt: new Date(c.finishedAt).toISOString(),
    durationMs: c.finishedAt - c.startedAt,
    meta,
    source: typeof link === 'string' ? 'url' : 'local',
    stored: stored.stored ?? true,
    originalSize: file.hoistPrepared?.originalSize ?? stored.size,
  }
  if (file.hoistPrepared) info.processing = file.hoistPrepared.processing
  if (stored.provider) info.provider = stored.provider
  return info
}

/**
 * Asks the server for what it stored under `key`, with the same headers, credentials and retries as
 * every other endpoint call (the file is stored by now: a lost answer is no reason to fail it); the
 * server also checks size and type.
 */
export function fetchStored(endpoint: string, key: string, declaredSize: number, auth: { headers?: HeadersOption; withCredentials?: boolean } = {}): Promise<StoredInfo> {
  return endpointClient({ endpoint, ...auth }).info(key, declaredSize)
}

/** The endpoint, for the calls the element makes itself (read-back, delete, groups), with the transport's retries. */
export function endpointClient(auth: { endpoint: string; headers?: HeadersOption; withCredentials?: boolean }): Backend {
  return new Backend({ ...auth, retry: defaultRetry })
}

/** Pixel size of an image file, or null for anything the browser cannot decode as one. */
export async function imageSize(blob: unknown): Promise<{ width: number; height: number } | null> {
  if (!(blob instanceof Blob) || !blob.type.startsWith('image/') || typeof createImageBitmap !== 'function') return null
  try {
    const bitmap = await createImageBitmap(blob)
    const size = { width: bitmap.width, height: bitmap.height }
    bitmap.close()
    return size
  } catch {
    return null
  }
}

export type { FileInfo }
