import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { setClientAddress } from './client-address.js'
import type { UploadHandler } from './handler.js'

export interface NodeHandlerOptions {
  /**
   * Trust `X-Forwarded-Proto`/`X-Forwarded-Host` from a reverse proxy when building the request URL, and
   * `X-Forwarded-For` for the client's address (the rate limit's default key for users without an id).
   */
  trustProxy?: boolean
}

function toRequest(req: IncomingMessage & { originalUrl?: string }, trustProxy: boolean): Request {
  const forwarded = (name: string) => (trustProxy ? String(req.headers[name] ?? '').split(',')[0].trim() : '')
  const proto = forwarded('x-forwarded-proto') || ('encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http')
  const host = forwarded('x-forwarded-host') || req.headers.host || 'localhost'
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  const request = new Request(`${proto}://${host}${req.originalUrl ?? req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // @ts-expect-error -- Node's fetch needs `duplex` for a streamed body; the DOM types lack it.
    duplex: hasBody ? 'half' : undefined,
  })
  // Behind a trusted proxy, the address it saw is the last one it added; otherwise the socket's peer.
  const forwardedFor = trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',').at(-1)?.trim() : ''
  setClientAddress(request, forwardedFor || req.socket.remoteAddress)
  return request
}

/**
 * Adapts a web-standard handler to `node:http` and Express: `app.use('/api/uploads', toNodeHandler(handler))`.
 * Express's `originalUrl` is used, so keep `basePath` equal to the mount path.
 */
export function toNodeHandler(handler: UploadHandler, options: NodeHandlerOptions = {}) {
  return async function nodeHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const response = await handler(toRequest(req, options.trustProxy ?? false))
      res.statusCode = response.status
      if (response.statusText) res.statusMessage = response.statusText
      response.headers.forEach((value, name) => res.setHeader(name, value))
      if (response.body) {
        for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r))
        }
      }
      res.end()
    } catch (err) {
      console.error('hoist-uploader:', err)
      if (!res.headersSent) {
        res.statusCode = 500
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ error: { code: 'internal_error', message: 'The upload server failed to handle this request.' } }))
      } else res.destroy()
    }
  }
}
