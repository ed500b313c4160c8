import { endpointAuth, type HeadersOption, type StoredInfo } from '../transport/index.js'
import type { FileInfo } from './events.js'

/**
 * Asks the server for what it stored under `key`, with the same headers and credentials as every
 * other endpoint call; the server also checks size and type and deletes violators.
 */
export async function fetchStored(endpoint: string, key: string, declaredSize: number, auth: { headers?: HeadersOption; withCredentials?: boolean } = {}): Promise<StoredInfo> {
  const query = new URLSearchParams({ key, declaredSize: String(declaredSize) })
  // A failed fetch rejects with a TypeError, which toErrorInfo reports as network_error.
  const response = await fetch(`${endpoint.replace(/\/+$/, '')}/object?${query}`, await endpointAuth(auth.headers, auth.withCredentials))
  const body = await response.json().catch(() => null)
  if (!response.ok) {
    const error = body?.error ?? { code: 'endpoint_error', message: `The upload endpoint answered HTTP ${response.status}.` }
    throw Object.assign(new Error(error.message), { code: error.code })
  }
  return body as StoredInfo
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
