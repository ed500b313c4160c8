// A small fault-injecting HTTP proxy in front of storage (or the whole demo, for disk storage).
// It forwards every request unchanged (Host included, so presigned signatures still match) and, for
// the requests `pick` chooses, answers 500 or 503 SlowDown, resets the connection halfway through
// the body, stalls without answering, or holds the request before forwarding it.
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export type Fault = 'error500' | 'slowDown' | 'reset' | 'stall' | { holdMs: number }

export interface FaultProxy {
  url: string
  /** Body bytes received for writes to storage (PUT and POST), failed ones included. */
  bytesIn: number
  /** Body bytes of writes storage answered with 2xx. */
  bytesStored: number
  faults: string[]
  pick: (req: IncomingMessage, n: number) => Fault | undefined
  close: () => Promise<void>
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' }

export async function startFaultProxy(target: string, isWrite: (req: IncomingMessage) => boolean): Promise<FaultProxy> {
  const upstream = new URL(target)
  const sockets = new Set<Socket>()
  let writes = 0
  const proxy: FaultProxy = {
    url: '',
    bytesIn: 0,
    bytesStored: 0,
    faults: [],
    pick: () => undefined,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }

  function pass(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, write: boolean) {
    const out = forward(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (write && answer.statusCode! < 300) proxy.bytesStored += body?.length ?? 0
        res.writeHead(answer.statusCode!, answer.headers)
        answer.pipe(res)
      },
    )
    out.on('error', () => res.destroy())
    if (body) out.end(body)
    else req.pipe(out)
  }

  const server = createServer((req, res) => {
    const write = (req.method === 'PUT' || req.method === 'POST') && isWrite(req)
    if (!write) return pass(req, res, undefined, false)
    const fault = proxy.pick(req, ++writes)
    if (fault) proxy.faults.push(typeof fault === 'string' ? fault : `hold ${fault.holdMs} ms`)
    const length = Number(req.headers['content-length'] ?? 0)
    const chunks: Buffer[] = []
    let received = 0
    req.on('data', (c: Buffer) => {
      received += c.length
      proxy.bytesIn += c.length
      chunks.push(c)
      if (fault === 'reset' && received >= length / 2) req.socket.destroy()
    })
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (fault === 'error500') res.writeHead(500, { ...CORS, 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>')
      else if (fault === 'slowDown') res.writeHead(503, { ...CORS, 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')
      else if (fault === 'stall') return // never answers; the client must give up
      else if (typeof fault === 'object') setTimeout(() => pass(req, res, body, true), fault.holdMs)
      else pass(req, res, body, true)
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return proxy
}
