// A small round-robin HTTP proxy on loopback, as a load balancer in front of several endpoint instances.
// Like nginx's defaults: a request whose connection is refused goes to the next instance (nothing reached
// the dead one), and that instance is skipped for a few seconds; a request that was sent and then lost
// (the instance died under it) is answered 502, since the proxy cannot know what it did. Bodies are
// buffered (at most 1 MiB): the endpoint's calls carry small JSON, the file bytes go straight to storage.
// Run as a script (`node --import tsx bench/proxy.ts URL…`, forked with IPC) it keeps its own event loop,
// so the time it measures for each answer is the instances' and not its load generator's.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Agent, createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

const MAX_BODY = 1024 * 1024
/** Hop-by-hop headers stay on their own connection. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'])
const withoutHop = (headers: IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP.has(name)))
/** How long an instance that refused a connection is left out. */
const DOWN_MS = 3000

export interface ProxyStats {
  /** Requests answered by each upstream, in the order given. */
  answered: number[]
  /** Requests that found an instance down and were sent to the next one. */
  rerouted: number
  /** Requests lost with an instance, answered 502. */
  badGateway: number
  /** Milliseconds from sending each request to an instance to the end of its 2xx answer, by route. */
  latency: Record<'sign' | 'complete' | 'read' | 'other', number[]>
}

/** Signing calls (a single PUT's params, a create that signs its first parts, a batch), the calls that end an upload (complete, finish), and reads. */
function routeOf(method: string, path: string): keyof ProxyStats['latency'] {
  if (path.endsWith('/s3/params') || path.endsWith('/batch') || (method === 'POST' && path.endsWith('/s3/multipart'))) return 'sign'
  if (path.endsWith('/complete') || path.endsWith('/finish')) return 'complete'
  return path.endsWith('/object') ? 'read' : 'other'
}

export interface RoundRobinProxy {
  url: string
  stats: ProxyStats
  close: () => Promise<void>
}

export async function startProxy(upstreams: string[]): Promise<RoundRobinProxy> {
  const targets = upstreams.map((u) => ({ url: new URL(u), downUntil: 0 }))
  // Idle connections are dropped before the instances' own 5 s keep-alive ends, so none is reused as it closes.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 })
  const stats: ProxyStats = { answered: targets.map(() => 0), rerouted: 0, badGateway: 0, latency: { sign: [], complete: [], read: [], other: [] } }
  const sockets = new Set<Socket>()
  let next = 0

  const fail = (res: ServerResponse, status: number, code: string, message: string) => {
    if (res.headersSent) return res.destroy()
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }))
  }

  /** Sends the request to the next instance that is up, skipping those that refuse; `tried` counts attempts. */
  function send(req: IncomingMessage, res: ServerResponse, body: Buffer, tried: number) {
    if (tried >= targets.length) return fail(res, 502, 'bad_gateway', 'No upload server is answering.')
    const now = Date.now()
    let i = next++ % targets.length
    for (let k = 0; k < targets.length && targets[i].downUntil > now; k++) i = next++ % targets.length
    const t = targets[i]
    const sent = performance.now()
    const out = forward(
      { host: t.url.hostname, port: t.url.port, method: req.method, path: req.url, headers: { ...withoutHop(req.headers), 'content-length': String(body.length) }, agent },
      (answer) => {
        stats.answered[i]++
        if (answer.statusCode! < 300) answer.once('end', () => stats.latency[routeOf(req.method!, new URL(req.url!, 'http://x').pathname)].push(performance.now() - sent))
        res.writeHead(answer.statusCode!, withoutHop(answer.headers))
        answer.pipe(res)
        answer.on('error', () => res.destroy())
      },
    )
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        t.downUntil = Date.now() + DOWN_MS
        stats.rerouted++
        return send(req, res, body, tried + 1)
      }
      stats.badGateway++
      fail(res, 502, 'bad_gateway', 'The upload server closed the connection before answering.')
    })
    out.end(body)
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY) chunks.push(c)
    })
    req.on('end', () => (size > MAX_BODY ? fail(res, 413, 'body_too_large', 'This proxy passes bodies up to 1 MiB.') : send(req, res, Buffer.concat(chunks), 0)))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stats,
    close: async () => {
      for (const s of sockets) s.destroy()
      agent.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** The proxy in a process of its own: `stats()` asks it for its figures, `close()` stops it. */
export async function forkProxy(upstreams: string[]): Promise<{ url: string; stats: () => Promise<ProxyStats>; close: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), upstreams, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = <T>() => new Promise<T>((resolve, reject) => {
    child.once('message', (m) => resolve(m as T))
    child.once('exit', (code) => reject(new Error(`the proxy exited with ${code}`)))
  })
  const { url } = await next<{ url: string }>()
  return {
    url,
    stats: () => {
      const answer = next<ProxyStats>()
      child.send('stats')
      return answer
    },
    close: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.send('close')
      await exited
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const proxy = await startProxy(process.argv.slice(2))
  process.on('message', async (m) => {
    if (m === 'stats') process.send!(proxy.stats)
    if (m === 'close') {
      await proxy.close()
      process.exit(0)
    }
  })
  // Never outlives the bench that forked it.
  process.on('disconnect', () => process.exit(0))
  process.send({ url: proxy.url })
}
