/** What every transport error carries: a stable `code`, a sentence for people, and whether trying again may help. */
export class TransportError extends Error {
  override name = 'HoistTransportError'
  readonly code: string
  readonly status: number
  readonly retryable: boolean
  /** Seconds the server asked us to wait (`Retry-After`). */
  readonly retryAfter: number | undefined

  constructor(code: string, message: string, { status = 0, retryable = false, retryAfter }: { status?: number; retryable?: boolean; retryAfter?: number } = {}) {
    super(message)
    this.code = code
    this.status = status
    this.retryable = retryable
    this.retryAfter = retryAfter
  }
}

/** Statuses worth another try: timeouts, rate limits and server trouble. */
export const retryableStatus = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500

/** Reads a storage error body: Hoist's JSON `{ error: { code, message } }` or S3's XML `<Code>`/`<Message>`. */
export function storageError(status: number, body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body)
    if (parsed?.error?.code) return { code: String(parsed.error.code), message: String(parsed.error.message ?? '') }
  } catch {
    // not JSON
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1]
  if (code) {
    const detail = /<Message>([^<]+)<\/Message>/.exec(body)?.[1]
    const snake = code.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()
    return { code: `storage_${snake}`, message: `Storage refused the upload (${code}${detail ? `: ${detail}` : ''}).` }
  }
  return { code: 'storage_error', message: `Storage answered HTTP ${status}.` }
}

export const networkError = (): TransportError =>
  new TransportError('network_error', 'The network failed while uploading; check the connection and retry.', { retryable: true })

export const isAbort = (err: unknown): boolean => (err as { name?: string } | null)?.name === 'AbortError'
