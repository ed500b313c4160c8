// What every contract fake shares: a loopback node:http server that records each request, reads
// bodies and forms, answers JSON, and plays a correctly configured bucket's CORS on storage routes.
import { Busboy } from '@fastify/busboy'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** The request's `Origin` header: set by a browser (on CORS and on every POST/PUT from a page). */
  origin: string | undefined
  fromBrowser: boolean
  /** The body as received, when the route read it (not for large part bodies: see `size`). */
  body: Buffer | undefined
  size: number
}

export interface StoredFile {
  bytes: Buffer
  type: string
  name: string
  meta: Record<string, string>
}

/**
 * A file on the web as a fake provider would fetch it from a link. Fakes never connect anywhere: the
 * test says what each link holds (`fake.remote.set(url, …)`), or that it cannot be reached.
 */
export interface RemoteFile {
  bytes: Buffer
  type: string
}
export type Remote = RemoteFile | 'unreachable'

export interface Fake {
  /** Base URL, e.g. `http://127.0.0.1:41234`, for the adapter's API URL option. */
  url: string
  requests: Recorded[]
  /** Files as the provider holds them, by the provider's own id. */
  stored: Map<string, StoredFile>
  close(): Promise<void>
}

export interface FakeRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  record: Recorded
  /** Reads the whole body (at most `limit` bytes, else a 413 is thrown). */
  body(limit?: number): Promise<Buffer>
  json(): Promise<unknown>
  form(limit?: number): Promise<Form>
}

export interface Form {
  fields: Record<string, string>
  /** Fields in the order sent, repeated names kept. */
  list: [string, string][]
  files: { field: string; filename: string; type: string; bytes: Buffer }[]
}

export interface FakeResponse {
  status: number
  /** A Buffer/Uint8Array is sent as bytes, a string as text, anything else as JSON. */
  body?: unknown
  headers?: Record<string, string>
}

/** Thrown by a route to answer at once (a documented error). */
export class Answer extends Error {
  constructor(readonly response: FakeResponse) {
    super(`fake answers ${response.status}`)
  }
}
export const answer = (status: number, body?: unknown, headers?: Record<string, string>): never => {
  throw new Answer({ status, body, headers })
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): FakeResponse => ({ status, body, headers })

/**
 * The queued answers behind each fake's `failNext(path, …)`. A fake says how a queued path matches a
 * request's path (exactly, by default; some take a prefix or a tail); the first match answers next.
 */
export class Failures {
  readonly #queues = new Map<string, FakeResponse[]>()
  readonly #matches: (queued: string, path: string) => boolean

  constructor(matches: (queued: string, path: string) => boolean = (queued, path) => queued === path) {
    this.#matches = matches
  }

  add(path: string, response: FakeResponse): void {
    const queue = this.#queues.get(path) ?? []
    queue.push(response)
    this.#queues.set(path, queue)
  }

  take(path: string): FakeResponse | undefined {
    for (const [key, queue] of this.#queues) {
      if (!this.#matches(key, path)) continue
      const next = queue.shift()
      if (queue.length === 0) this.#queues.delete(key)
      return next
    }
    return undefined
  }
}

/** CORS of a bucket configured for browser uploads: any origin, PUT/POST/GET, any header, ETag exposed. */
export const bucketCors: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD, PUT, POST',
  'access-control-allow-headers': '*',
  'access-control-expose-headers': 'ETag',
  'access-control-max-age': '600',
}

/**
 * Reads the whole body, at most `limit` bytes, else rejects with a 413. Past the limit nothing more is
 * kept, but the socket stays open: destroying it would reset the connection under the client, which
 * would never see the answer. The route answers (the 413, or its own error), and `Connection: close`
 * ends the connection after that answer rather than waiting for the rest of an oversized body.
 */
function readAll(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      if (size > limit) return // refused already: the rest is read and dropped until the connection ends
      size += c.length
      if (size <= limit) {
        chunks.push(c)
      } else {
        chunks = []
        res.setHeader('connection', 'close')
        reject(new Answer({ status: 413, body: { error: 'request body too large' } }))
      }
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function parseForm(req: IncomingMessage, limit: number): Promise<Form> {
  return new Promise((resolve, reject) => {
    let parser: ReturnType<typeof Busboy>
    try {
      parser = Busboy({ headers: req.headers as { 'content-type': string }, limits: { fileSize: limit } })
    } catch {
      return reject(new Answer({ status: 400, body: { error: 'not a multipart/form-data body' } }))
    }
    const form: Form = { fields: {}, list: [], files: [] }
    const pending: Promise<void>[] = []
    parser.on('field', (name, value) => {
      form.fields[name] = value
      form.list.push([name, value])
    })
    parser.on('file', (field, stream, filename, _enc, type) => {
      const chunks: Buffer[] = []
      pending.push(
        new Promise((done) => {
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => {
            form.files.push({ field, filename, type, bytes: Buffer.concat(chunks) })
            done()
          })
        }),
      )
    })
    parser.on('error', () => reject(new Answer({ status: 400, body: { error: 'malformed multipart/form-data body' } })))
    parser.on('finish', () => Promise.all(pending).then(() => resolve(form)))
    req.pipe(parser)
  })
}

/**
 * Starts a fake on 127.0.0.1. `route` answers every request; `cors(path)` says which paths play
 * storage/CDN (they answer preflights and carry `bucketCors`). API paths have no CORS at all, as a
 * server-to-server API: a page that calls one fails, and the fake records the attempt.
 */
export async function startFake(
  route: (req: FakeRequest) => Promise<FakeResponse> | FakeResponse,
  cors: (path: string) => boolean,
  stored: Map<string, StoredFile> = new Map(),
): Promise<Fake> {
  const requests: Recorded[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined
    const record: Recorded = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      origin,
      fromBrowser: origin !== undefined || /mozilla/i.test(String(req.headers['user-agent'] ?? '')),
      body: undefined,
      size: 0,
    }
    requests.push(record)
    const corsHeaders = cors(url.pathname) ? bucketCors : {}
    const send = ({ status, body, headers = {} }: FakeResponse) => {
      if (res.headersSent) return
      // Bytes (a CDN serving a file) go as they are; strings as text; anything else as JSON.
      const raw = body instanceof Uint8Array
      const payload = body === undefined ? '' : raw || typeof body === 'string' ? body : JSON.stringify(body)
      // The length is stated, so that a HEAD (answered without the body) announces what GET would send;
      // 204 and 304 carry no body and so no length.
      const length = status === 204 || status === 304 ? {} : { 'content-length': String(Buffer.byteLength(payload)) }
      const type = typeof body === 'object' && !raw ? { 'content-type': 'application/json' } : {}
      res.writeHead(status, { ...corsHeaders, ...type, ...length, ...headers })
      res.end(req.method === 'HEAD' ? undefined : payload)
    }
    if (req.method === 'OPTIONS') {
      return send(cors(url.pathname) ? { status: 204 } : { status: 404, body: { error: 'no CORS on API routes' } })
    }
    const fr: FakeRequest = {
      method: record.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      record,
      body: async (limit = 64 * 1024 * 1024) => {
        const b = await readAll(req, res, limit)
        record.body = b
        record.size = b.length
        return b
      },
      json: async () => {
        const b = await fr.body(1024 * 1024)
        try {
          return JSON.parse(b.toString('utf8'))
        } catch {
          throw new Answer({ status: 400, body: { error: 'body is not JSON' } })
        }
      },
      form: (limit = 128 * 1024 * 1024) => parseForm(req, limit),
    }
    try {
      send(await route(fr))
    } catch (err) {
      if (err instanceof Answer) send(err.response)
      else send({ status: 500, body: { error: `fake failed: ${(err as Error).message}` } })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stored,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
