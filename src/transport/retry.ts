import { isAbort, TransportError } from './errors.js'

export interface RetryPolicy {
  /** Attempts after the first before giving up (default 8). */
  retries: number
  /** First backoff in ms, doubled each time (default 500). */
  baseDelay: number
  /** Longest backoff in ms (default 20,000). */
  maxDelay: number
}

export const defaultRetry: RetryPolicy = { retries: 8, baseDelay: 500, maxDelay: 20_000 }

/** Exponential backoff with jitter: a random delay in the upper half of `base·2^attempt`, capped. */
export function backoff(attempt: number, p: RetryPolicy): number {
  const ceiling = Math.min(p.maxDelay, p.baseDelay * 2 ** attempt)
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

export function abortError(): DOMException {
  return new DOMException('The upload was stopped.', 'AbortError')
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError())
    const done = () => {
      signal?.removeEventListener('abort', stop)
      resolve()
    }
    const timer = setTimeout(done, ms)
    const stop = () => {
      clearTimeout(timer)
      reject(abortError())
    }
    signal?.addEventListener('abort', stop, { once: true })
  })
}

const offline = () => typeof navigator !== 'undefined' && navigator.onLine === false

/** Resolves at once when online, else when the browser says it is back online. */
export function whenOnline(signal?: AbortSignal): Promise<void> {
  if (!offline()) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const online = () => {
      signal?.removeEventListener('abort', stop)
      resolve()
    }
    const stop = () => {
      removeEventListener('online', online)
      reject(abortError())
    }
    addEventListener('online', online, { once: true })
    signal?.addEventListener('abort', stop, { once: true })
  })
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, or the policy runs out.
 * Time spent offline does not use up attempts: it waits for the browser to come back online.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (err: TransportError, n: number) => void,
): Promise<T> {
  for (let n = 0; ; n++) {
    await whenOnline(signal)
    try {
      return await attempt(n)
    } catch (err) {
      if (isAbort(err) || signal?.aborted) throw signal?.aborted ? abortError() : err
      if (!(err instanceof TransportError) || !err.retryable) throw err
      if (offline()) {
        n-- // the link went away; that is not the request's fault
        continue
      }
      if (n >= policy.retries) throw err
      onRetry?.(err, n)
      const wait = err.retryAfter !== undefined ? Math.min(err.retryAfter * 1000, 60_000) : backoff(n, policy)
      await sleep(wait, signal)
    }
  }
}
