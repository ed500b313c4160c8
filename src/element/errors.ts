import type { UploadErrorInfo } from './events.js'
import { storageError } from '../transport/errors.js'

const COMPANION_PREFIX = 'Companion request failed: '

/** `[code] message`, the reason phrase the Hoist server sends; stock clients only see the status text. */
function fromReason(reason: string): UploadErrorInfo {
  const m = /^\[([a-z0-9_]+)\] (.*)$/s.exec(reason)
  if (m) return { code: m[1], message: m[2] }
  return { code: 'endpoint_error', message: reason ? `The upload endpoint refused the request: ${reason}.` : 'The upload endpoint refused the request.' }
}

/** Turns whatever Uppy or its S3 client threw into `{ code, message }`. */
export function toErrorInfo(err: unknown): UploadErrorInfo {
  const e = err as { message?: string; code?: string; request?: XMLHttpRequest | null; isNetworkError?: boolean }
  if (e && typeof e.code === 'string' && typeof e.message === 'string' && !e.request) return { code: e.code, message: e.message }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  if (message.startsWith(COMPANION_PREFIX)) return fromReason(message.slice(COMPANION_PREFIX.length))
  const xhr = e?.request
  if (xhr && xhr.status > 0) {
    let body = ''
    try {
      body = typeof xhr.response === 'string' ? xhr.response : (xhr.responseText ?? '')
    } catch {
      // responseText throws for non-text response types
    }
    return storageError(xhr.status, body)
  }
  if (e?.isNetworkError || (xhr && xhr.status === 0) || /Failed to fetch|NetworkError|Load failed/i.test(message)) {
    return { code: 'network_error', message: 'The network failed while uploading; check the connection and retry.' }
  }
  return { code: 'upload_failed', message }
}
