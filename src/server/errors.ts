/** An error the handler turns into a JSON `{ error: { code, message } }` response with `status`. */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly headers: Record<string, string>

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.headers = headers
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message)
export const forbidden = (code: string, message: string) => new HttpError(403, code, message)
export const notFound = (code: string, message: string) => new HttpError(404, code, message)

/**
 * A reason phrase carrying the message. Stock Uppy clients only show `response.statusText`,
 * so putting the message there (ASCII, one line) lets their users see why a request failed.
 */
function reasonPhrase(err: HttpError): string {
  const ascii = `[${err.code}] ${err.message}`.replace(/[^\x20-\x7e]/g, '?')
  return ascii.length > 200 ? `${ascii.slice(0, 197)}...` : ascii
}

export function errorResponse(err: unknown, onUnexpected?: (err: unknown) => void): Response {
  const known = err instanceof HttpError
  if (!known) onUnexpected?.(err)
  const http = known ? err : new HttpError(500, 'internal_error', 'The upload server failed to handle this request.')
  return new Response(JSON.stringify({ error: { code: http.code, message: http.message } }), {
    status: http.status,
    statusText: reasonPhrase(http),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...http.headers },
  })
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })
}
