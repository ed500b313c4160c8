import { forbidden } from './errors.js'

const ALLOW_METHODS = 'GET, POST, PUT, DELETE, HEAD, OPTIONS'
const ALLOW_HEADERS = 'authorization, content-type, x-requested-with'

/**
 * The request's origin when it is cross-origin (undefined for same-origin and non-browser calls). Same
 * origin means the same scheme, host and port as the request URL; behind a proxy, `toNodeHandler`'s
 * `trustProxy` builds that URL from the forwarded headers, and nothing here trusts them on its own.
 */
export function crossOrigin(request: Request): string | undefined {
  const origin = request.headers.get('origin')
  if (!origin || origin === 'null') return origin ?? undefined
  try {
    return new URL(origin).origin === new URL(request.url).origin ? undefined : origin
  } catch {
    return origin
  }
}

/** Refuses cross-origin calls from origins not allowed, so a page elsewhere cannot use a visitor's cookies here. */
export function assertOrigin(request: Request, allowed: (origin: string) => boolean): string | undefined {
  const origin = crossOrigin(request)
  if (origin !== undefined && !allowed(origin)) {
    throw forbidden('origin_not_allowed', `Requests from ${origin.slice(0, 100)} are not allowed; add it to allowedOrigins.`)
  }
  return origin
}

export function preflight(request: Request, allowed: (origin: string) => boolean): Response {
  const origin = crossOrigin(request)
  if (origin === undefined || !allowed(origin)) return new Response(null, { status: 204 })
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': ALLOW_METHODS,
      // The app decides which headers its client sends (a bearer token, an API key): echo what is asked.
      'access-control-allow-headers': request.headers.get('access-control-request-headers') || ALLOW_HEADERS,
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
      vary: 'Origin',
    },
  })
}

/** Adds CORS headers for an allowed cross-origin request; exposes `ETag`, which multipart uploads need. */
export function withCors(response: Response, origin: string | undefined): Response {
  const headers = new Headers(response.headers)
  headers.append('vary', 'Origin')
  if (origin !== undefined) {
    headers.set('access-control-allow-origin', origin)
    headers.set('access-control-allow-credentials', 'true')
    headers.set('access-control-expose-headers', 'ETag, Content-Range, Accept-Ranges, Retry-After')
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}
