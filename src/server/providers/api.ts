import { HttpError } from '../errors.js'

export type Fetch = typeof fetch

/** The message a provider put in its error body, in any of the five APIs' shapes. */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined
  if (!body || typeof body !== 'object') return undefined
  const b = body as { message?: unknown; error?: unknown; errors?: unknown }
  if (Array.isArray(b.errors)) {
    const messages = b.errors.map((e) => (e && typeof e === 'object' ? (e as { message?: unknown }).message : undefined)).filter((m) => typeof m === 'string')
    if (messages.length) return messages.join('; ')
  }
  if (typeof b.error === 'string') return b.error
  if (b.error && typeof b.error === 'object') {
    const e = b.error as { message?: unknown; content?: unknown }
    if (typeof e.message === 'string') return e.message
    if (typeof e.content === 'string') return e.content
  }
  if (typeof b.message === 'string') return b.message
  return undefined
}

/**
 * Talks to one hosted API on the server's behalf. Errors become `HttpError`s with stable codes;
 * their messages never hold a secret (each is redacted) or a URL the API signed.
 */
export class ProviderApi {
  readonly #title: string
  readonly #fetch: Fetch
  readonly #secrets: string[]

  constructor(title: string, fetchImpl: Fetch | undefined, secrets: (string | undefined)[]) {
    this.#title = title
    this.#fetch = fetchImpl ?? fetch
    this.#secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4)
  }

  /** Removes every secret from text that may reach a browser or a log. */
  redact(text: string): string {
    let out = text
    for (const s of this.#secrets) out = out.split(s).join('[redacted]')
    return out.length > 300 ? `${out.slice(0, 297)}...` : out
  }

  /** A clear error for what the provider answered; `action` names what was refused. */
  refusal(status: number, body: unknown, action = 'the upload'): HttpError {
    const said = providerMessage(body)
    const detail = said ? `: ${this.redact(said)}` : ''
    const t = this.#title
    // Uploadcare says "out of credits" with a 403 and its own error code.
    const code = (body as { error?: { error_code?: unknown } } | undefined)?.error?.error_code
    if (code === 'AccountLimitsExceededError' || code === 'AccountUnpaidError') return new HttpError(402, 'provider_payment_required', `${t} needs payment before it takes more uploads${detail}.`)
    if (status === 401 || status === 403) return new HttpError(502, 'provider_auth_failed', `${t} refused the server's API credentials (HTTP ${status})${detail}.`)
    if (status === 402) return new HttpError(402, 'provider_payment_required', `${t} needs payment before it takes more uploads (HTTP 402)${detail}.`)
    if (status === 429 || status === 420) return new HttpError(429, 'provider_rate_limited', `${t} is rate limiting uploads (HTTP ${status}); try again shortly${detail}.`, { 'retry-after': '5' })
    if (status >= 500) return new HttpError(502, 'provider_error', `${t} failed to handle the upload (HTTP ${status})${detail}.`)
    return new HttpError(400, 'provider_rejected', `${t} refused ${action} (HTTP ${status})${detail}.`)
  }

  /**
   * Sends one request and answers its JSON body (or text, when it is not JSON). `refuse` may turn a
   * refusal the API documents into a more specific error; the rest get `refusal`'s codes.
   */
  async call(url: string, init: RequestInit, refuse?: (status: number, body: unknown) => HttpError | undefined): Promise<unknown> {
    let response: Response
    try {
      response = await this.#fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) })
    } catch {
      throw new HttpError(502, 'provider_unreachable', `The upload server could not reach ${this.#title}.`)
    }
    const text = await response.text().catch(() => '')
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      // not JSON: keep the text
    }
    if (!response.ok) throw refuse?.(response.status, body) ?? this.refusal(response.status, body)
    return body
  }

  /** The answer was not what the API documents. */
  unexpected(what: string): HttpError {
    return new HttpError(502, 'provider_error', `${this.#title} answered without ${what}.`)
  }
}

/** A form body for APIs that take multipart/form-data fields. */
export function formOf(fields: Record<string, string | undefined>): FormData {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value)
  return form
}

export const trimSlash = (url: string) => url.replace(/\/+$/, '')

/** Options every adapter checks the same way. */
export function requireString(value: unknown, who: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${who}: ${name} is required`)
  return value
}
