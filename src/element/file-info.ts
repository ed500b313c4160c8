import { Backend, defaultRetry, type HeadersOption, type StoredInfo } from '../transport/index.js'
import type { FileInfo } from './events.js'

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
export async function imageSize(blob: Blob | undefined): Promise<{ width: number; height: number } | null> {
  if (!blob || !blob.type.startsWith('image/') || typeof createImageBitmap !== 'function') return null
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
