import { networkError, retryableStatus, storageError, TransportError } from './errors.js'
import { abortError } from './retry.js'

export interface SendOptions {
  method: 'PUT' | 'POST'
  headers?: Record<string, string>
  signal: AbortSignal
  /** Abort and report a retryable `stalled` error when no byte moves for this long (ms). */
  stallTimeout: number
  onProgress: (bytesSent: number) => void
}

export interface Sent {
  status: number
  etag: string | null
  text: string
}

/**
 * Sends one body (a Blob for a PUT, a FormData for a form or chunk POST) to storage with XHR: fetch
 * cannot report upload progress. Resolves on 2xx; anything else becomes a TransportError.
 */
export function send(url: string, body: Blob | FormData, { method, headers = {}, signal, stallTimeout, onProgress }: SendOptions): Promise<Sent> {
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
    xhr.open(method, url)
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value)
    xhr.upload.onprogress = (e) => {
      watch()
      onProgress(e.loaded)
    }
    xhr.onload = () => {
      finish()
      if (xhr.status >= 200 && xhr.status < 300) return resolve({ status: xhr.status, etag: xhr.getResponseHeader('etag'), text: xhr.responseText })
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

/** The JSON a form or chunk POST answered. */
export function answerOf(sent: Sent): unknown {
  try {
    return JSON.parse(sent.text)
  } catch {
    throw new TransportError('invalid_response', `Storage answered HTTP ${sent.status} without the JSON the upload needs.`)
  }
}
