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
export const retryableStatus = (status: number): boolean => status === 0 || status === 408 || status === 420 || status === 429 || status >= 500

/** The stable code for a hosted API's refusal, by status. */
function providerCode(status: number): string {
  if (status === 401 || status === 403) return 'provider_auth_failed'
  if (status === 402) return 'provider_payment_required'
  if (status === 413) return 'file_too_large'
  if (status === 420 || status === 429) return 'provider_rate_limited'
  return status >= 500 ? 'provider_error' : 'provider_rejected'
}

/** Reads a storage error body: Hoist's JSON `{ error: { code, message } }` or S3's XML `<Code>`/`<Message>`. */
export function storageError(status: number, body: string): { code: string; message: string } {
  try {
    const parsed = JSON.parse(body)
    if (parsed?.error?.code) return { code: String(parsed.error.code), message: String(parsed.error.message ?? '') }
    // Hosted APIs the page posts to: Cloudinary's `{ error: { message } }`, Uploadcare's `{ error: { content } }`.
    const said = parsed?.error?.message ?? parsed?.error?.content
    if (typeof said === 'string') return { code: providerCode(status), message: `Storage refused the upload (HTTP ${status}): ${said.slice(0, 300)}` }
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
