import { networkError, retryableStatus, storageError, TransportError } from './errors.js'
import { abortError } from './retry.js'

export interface PutOptions {
  headers?: Record<string, string>
  signal: AbortSignal
  /** Abort and report a retryable `stalled` error when no byte moves for this long (ms). */
  stallTimeout: number
  onProgress: (bytesSent: number) => void
}

/** PUTs `body` to a presigned URL with XHR (fetch cannot report upload progress); resolves with the ETag. */
export function put(url: string, body: Blob, { headers = {}, signal, stallTimeout, onProgress }: PutOptions): Promise<string | null> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError())
    const xhr = new XMLHttpRequest()
    let timer: ReturnType<typeof setTimeout> | undefined
    let stalled = false
    const watch = () => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        stalled = true
        xhr.abort()
      }, stallTimeout)
    }
    const finish = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
    }
    const onAbort = () => xhr.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    xhr.open('PUT', url)
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value)
    xhr.upload.onprogress = (e) => {
      watch()
      onProgress(e.loaded)
    }
    xhr.onload = () => {
      finish()
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.getResponseHeader('etag'))
      const { code, message } = storageError(xhr.status, xhr.responseText)
      const retryAfter = Number(xhr.getResponseHeader('retry-after')) || undefined
      // An expired URL is fixed by signing it again, which a retry does.
      const expired = xhr.status === 403 && /expired/i.test(xhr.responseText)
      reject(new TransportError(code, message, { status: xhr.status, retryable: expired || retryableStatus(xhr.status), retryAfter }))
    }
    xhr.onerror = () => {
      finish()
      reject(networkError())
    }
    xhr.onabort = () => {
      finish()
      if (stalled) reject(new TransportError('stalled', `No upload progress for ${stallTimeout / 1000} s.`, { retryable: true }))
      else reject(abortError())
    }
    watch()
    xhr.send(body)
  })
}
