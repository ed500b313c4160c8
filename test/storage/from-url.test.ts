// Link uploads end to end through the handler, on disk and on Ceph RGW, from file servers on loopback
// (127.0.0.1, and 127.0.0.2 as a host nobody allowed). Each server counts the connections it gets, so
// a refusal is seen to happen before any socket reaches it.
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createUploadHandler, diskStorage, type Storage, type UploadHandlerOptions } from '../../src/server/index.js'
import type { FromUrlOptions, FromUrlTestHooks } from '../../src/server/from-url/options.js'
import { recordKey } from '../../src/server/records.js'
import { signToken } from '../../src/server/tokens.js'
import { png } from '../helpers/png.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'
import { call, MiB, SECRET } from '../helpers/server.js'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** Deterministic bytes that do not compress or repeat by part. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt32LE(x >>> 0, i)
  }
  return out
}

const BIG = noise(23 * MiB, 7)
const PNG = png(300, 300, 3)
const HELD = noise(3 * MiB, 11)

interface FileServer {
  server: Server
  port: number
  connections: () => number
  /** Lets the held responses send their second half. */
  release: () => void
  close: () => Promise<void>
}

async function fileServer(host: string, routes: (path: string, res: ServerResponse, held: Promise<void>) => void): Promise<FileServer> {
  let connections = 0
  let release!: () => void
  let held = new Promise<void>((r) => (release = r))
  const server = createServer((req, res) => routes(req.url ?? '/', res, held))
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    server,
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    release: () => {
      release()
      held = new Promise<void>((r) => (release = r))
    },
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let other: FileServer
let files: FileServer
/** Reached only by a name the injected resolver maps to 127.0.0.3. */
let named: FileServer

function serveFiles(path: string, res: ServerResponse, held: Promise<void>) {
  const send = (body: Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-length': String(body.length), ...headers })
    res.end(body)
  }
  switch (path) {
    case '/big.bin':
      return send(BIG, { 'content-type': 'application/octet-stream' })
    case '/pictures/cat':
      return send(PNG, { 'content-type': 'image/png', 'content-disposition': 'inline; filename="cat picture.png"' })
    case '/photo.png':
      return send(PNG)
    case '/held.bin':
      res.writeHead(200, { 'content-length': String(HELD.length), 'content-type': 'application/octet-stream' })
      res.write(HELD.subarray(0, MiB))
      return void held.then(() => res.end(HELD.subarray(MiB)))
    case '/to-other':
      res.writeHead(302, { location: `http://127.0.0.2:${other.port}/big.bin` })
      return res.end()
    case '/to-photo':
      res.writeHead(301, { location: '/photo.png' })
      return res.end()
    case '/declared-huge':
      // Says it is bigger than allowed; the body is never read.
      res.writeHead(200, { 'content-length': String(2 * MiB), 'content-type': 'application/octet-stream' })
      return res.end(Buffer.alloc(2 * MiB))
    case '/lying-huge': {
      // No Content-Length (chunked), and more bytes than allowed.
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      let sent = 0
      const more = () => {
        while (sent < 4 * MiB) {
          sent += 64 * 1024
          if (!res.write(Buffer.alloc(64 * 1024, 1))) return void res.once('drain', more)
        }
        res.end()
      }
      return more()
    }
    case '/slow':
      // Headers, a few bytes, then nothing until the test ends.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' })
      return void res.write('a few bytes')
    case '/gone':
      res.writeHead(404)
      return res.end('not here')
    default:
      res.writeHead(500)
      res.end()
  }
}

before(async () => {
  files = await fileServer('127.0.0.1', serveFiles)
  other = await fileServer('127.0.0.2', (_path, res) => res.end('must never be reached'))
  named = await fileServer('127.0.0.3', serveFiles)
})
after(async () => {
  await files.close()
  await other.close()
  await named.close()
})

type User = { id: string }
const asUser = (id: string) => ({ 'x-user': id })

interface Target {
  storage: Storage
  /** Reads a read URL: disk's point back at the handler, RGW's at the bucket. */
  readUrl: (url: string, handler: (r: Request) => Promise<Response>) => Promise<Uint8Array>
  cleanup: () => Promise<void>
}

async function disk(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-fromurl-'))
  return {
    storage: diskStorage({ dir, secret: SECRET }),
    readUrl: async (url, handler) => new Uint8Array(await (await handler(new Request(url))).arrayBuffer()),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

async function rgw(): Promise<Target> {
  const { bucket, client, storage } = await makeBucket('fromurl')
  return { storage, readUrl: async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()), cleanup: () => emptyBucket(client, bucket) }
}

for (const [name, make] of [['disk', disk], ['Ceph RGW', rgw]] as const) {
  describe(`link uploads through the handler: ${name}`, () => {
    let t: Target
    before(async () => {
      t = await make()
    })
    after(async () => t.cleanup())

    const handlerWith = (fromUrl: (FromUrlOptions & FromUrlTestHooks) | boolean | undefined, extra: Partial<UploadHandlerOptions<User>> = {}) =>
      createUploadHandler<User>({
        storage: t.storage,
        secret: SECRET,
        basePath: '/api/uploads',
        authorize: (r) => ({ id: r.headers.get('x-user') ?? 'u1' }),
        onError: (err) => console.error(err),
        fromUrl,
        ...extra,
      })
    const allowed = () => ({ allowHosts: [`127.0.0.1:${files.port}`] })
    const link = (path: string) => `http://127.0.0.1:${files.port}${path}`

    async function start(handler: (r: Request) => Promise<Response>, body: Record<string, unknown>, user = 'u1') {
      const r = await call(handler, 'POST', '/url', body, asUser(user))
      assert.equal(r.status, 202, r.text)
      assert.equal(typeof r.json.token, 'string')
      return r.json.token as string
    }

    const status = async (handler: (r: Request) => Promise<Response>, token: string, user = 'u1') => call(handler, 'GET', `/url/${token}`, undefined, asUser(user))

    /** Polls until `done(answer)` holds; a bounded loop, not a timed assertion. */
    async function until(handler: (r: Request) => Promise<Response>, token: string, done: (s: any) => boolean, user = 'u1') {
      let last: unknown
      for (let i = 0; i < 600; i++) {
        const r = await status(handler, token, user)
        assert.equal(r.status, 200, r.text)
        last = r.json
        if (done(r.json)) return r.json
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(`status never got there: ${JSON.stringify(last)}`)
    }
    const finished = (s: { status: string }) => s.status === 'success' || s.status === 'error'

    async function stored(prefix: string) {
      const keys: string[] = []
      for await (const o of t.storage.list(prefix)) keys.push(o.key)
      return keys
    }

    it('with fromUrl on but no allowHosts, refuses the loopback server before connecting', async () => {
      const before = files.connections()
      const handler = handlerWith(true)
      const r = await call(handler, 'POST', '/url', { url: link('/big.bin') })
      assert.equal(r.status, 403)
      assert.equal(r.json.error.code, 'url_forbidden')
      // The same server by a name that resolves to it: refused once resolved, still unconnected.
      const byName = handlerWith({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] })
      const token = await start(byName, { url: `http://files.test:${files.port}/big.bin` })
      const s = await until(byName, token, finished)
      assert.equal(s.status, 'error')
      assert.equal(s.error.code, 'url_forbidden')
      assert.equal(files.connections(), before)
      if (name === 'disk') assert.equal(before, 0, 'no test has reached the file server yet')
    })

    it('with allowHosts, fetches a 23 MiB file byte-identical and answers its file info', async () => {
      const handler = handlerWith(allowed())
      const token = await start(handler, { url: link('/big.bin'), meta: { ticket: 'T-1' } })
      const s = await until(handler, token, finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.equal(s.done, BIG.length)
      assert.equal(s.total, BIG.length)
      assert.deepEqual(Object.keys(s.file).sort(), ['etag', 'key', 'lastModified', 'name', 'size', 'stored', 'type', 'url'])
      assert.equal(s.file.size, BIG.length)
      assert.equal(s.file.name, 'big.bin')
      assert.equal(s.file.type, 'application/octet-stream')
      assert.equal(s.file.stored, true)
      assert.ok(s.file.key.startsWith('uploads/u1/'), s.file.key)
      assert.equal(sha((await t.storage.read(s.file.key))!), sha(BIG))
      // What GET /object says of the same key, as POST /finish would.
      const { url: _u, ...info } = (await call(handler, 'GET', `/object?key=${encodeURIComponent(s.file.key)}`)).json
      const { url: _v, ...fromStatus } = s.file
      assert.deepEqual(fromStatus, info)
      assert.equal((await t.storage.head(s.file.key))?.metadata.ticket, 'T-1')
    })

    it('fetches a PNG named by Content-Disposition, readable through its URL', async () => {
      const handler = handlerWith(allowed())
      const s = await until(handler, await start(handler, { url: link('/pictures/cat') }), finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.equal(s.file.name, 'cat picture.png')
      assert.equal(s.file.type, 'image/png')
      assert.equal(sha(await t.readUrl(s.file.url, handler)), sha(PNG))
    })

    it('follows a redirect within the allowed host, and takes the given filename and the extension\'s type', async () => {
      const handler = handlerWith(allowed())
      const s = await until(handler, await start(handler, { url: link('/to-photo'), filename: 'holiday.png' }), finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.equal(s.file.name, 'holiday.png')
      assert.equal(s.file.type, 'image/png')
      assert.equal(sha((await t.storage.read(s.file.key))!), sha(PNG))
    })

    it('connects to the address the name was resolved to, not to what the system would resolve', async () => {
      const asked: string[] = []
      const resolve = async (host: string) => {
        asked.push(host)
        return [{ address: '127.0.0.3', family: 4 }]
      }
      // The system says localhost is 127.0.0.1, where nothing listens on this port.
      const handler = handlerWith({ allowHosts: [`localhost:${named.port}`], resolve })
      const before = named.connections()
      const s = await until(handler, await start(handler, { url: `http://localhost:${named.port}/photo.png` }), finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.equal(sha((await t.storage.read(s.file.key))!), sha(PNG))
      assert.deepEqual(asked, ['localhost'])
      assert.equal(named.connections(), before + 1)
    })

    it('goes waiting/progress → success with done and total in bytes', async () => {
      const handler = handlerWith(allowed())
      const token = await start(handler, { url: link('/held.bin') })
      const first = (await status(handler, token)).json
      assert.ok(['waiting', 'progress'].includes(first.status), first.status)
      // The heartbeat reports the first MiB while the server holds the rest.
      const midway = await until(handler, token, (s) => s.status === 'progress' && s.done === MiB)
      assert.equal(midway.total, HELD.length)
      assert.equal(midway.file, undefined)
      files.release()
      const s = await until(handler, token, finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.deepEqual([s.done, s.total], [HELD.length, HELD.length])
      assert.equal(sha((await t.storage.read(s.file.key))!), sha(HELD))
    })

    it('refuses a redirect from the allowed host to a loopback address it does not list, unconnected', async () => {
      const handler = handlerWith(allowed())
      const s = await until(handler, await start(handler, { url: link('/to-other') }, 'redirected'), finished, 'redirected')
      assert.equal(s.status, 'error')
      assert.equal(s.error.code, 'url_forbidden')
      assert.equal(other.connections(), 0)
      assert.deepEqual(await stored('uploads/redirected/'), [])
    })

    it('stores nothing from a body larger than maxFileSize, declared or not', async () => {
      const handler = handlerWith(allowed(), { maxFileSize: MiB })
      for (const path of ['/declared-huge', '/lying-huge', '/big.bin']) {
        const s = await until(handler, await start(handler, { url: link(path) }, 'big'), finished, 'big')
        assert.equal(s.status, 'error', path)
        assert.equal(s.error.code, 'url_too_large', path)
        assert.match(s.error.message, /1 MiB/)
      }
      assert.deepEqual(await stored('uploads/big/'), [])
    })

    it('gives up on a slow server at timeoutMs, storing nothing', async () => {
      const handler = handlerWith({ ...allowed(), timeoutMs: 300 })
      const s = await until(handler, await start(handler, { url: link('/slow') }, 'slow'), finished, 'slow')
      assert.equal(s.status, 'error')
      assert.equal(s.error.code, 'url_timeout')
      assert.deepEqual(await stored('uploads/slow/'), [])
    })

    it('says url_unreachable with the status for an HTTP error, and type_not_allowed by policy', async () => {
      const handler = handlerWith(allowed(), { allowedTypes: ['image/*'] })
      const gone = await until(handler, await start(handler, { url: link('/gone') }, 'typed'), finished, 'typed')
      assert.equal(gone.error.code, 'url_unreachable')
      assert.match(gone.error.message, /HTTP 404/)
      const bin = await until(handler, await start(handler, { url: link('/big.bin') }, 'typed'), finished, 'typed')
      assert.equal(bin.error.code, 'type_not_allowed')
      assert.deepEqual(await stored('uploads/typed/'), [])
      const image = await until(handler, await start(handler, { url: link('/photo.png') }, 'typed'), finished, 'typed')
      assert.equal(image.status, 'success', JSON.stringify(image.error))
    })

    it('answers the same status from a second instance sharing the secret and storage', async () => {
      const one = handlerWith(allowed())
      const two = handlerWith(allowed())
      const token = await start(one, { url: link('/held.bin') })
      await until(two, token, (s) => s.status === 'progress' && s.done === MiB)
      files.release()
      const s = await until(two, token, finished)
      assert.equal(s.status, 'success', JSON.stringify(s.error))
      assert.equal(sha((await t.storage.read(s.file.key))!), sha(HELD))
    })

    it('answers url_interrupted for a fetch whose instance stopped rewriting its record', async () => {
      const handler = handlerWith(allowed())
      const record = (updatedAt: number) => JSON.stringify({ status: 'progress', done: 10, total: 100, updatedAt })
      const write = async (id: string, text: string) => {
        async function* body() {
          yield new TextEncoder().encode(text)
        }
        await t.storage.write({ key: recordKey('url', id), type: 'application/json', metadata: {} }, body(), { maxSize: MiB })
      }
      const dead = randomUUID()
      const alive = randomUUID()
      await write(dead, record(Date.now() - 60_000))
      await write(alive, record(Date.now()))
      const token = (id: string) => signToken(SECRET, 'url', { id, prefix: 'uploads/u1/' }, 60)
      const s = (await status(handler, token(dead))).json
      assert.equal(s.status, 'error')
      assert.equal(s.error.code, 'url_interrupted')
      assert.deepEqual([s.done, s.total], [10, 100])
      assert.equal((await status(handler, token(alive))).json.status, 'progress')
      // A read never writes: the dead record is left as it was.
      assert.equal(JSON.parse(new TextDecoder().decode((await t.storage.read(recordKey('url', dead)))!)).status, 'progress')
    })

    it('refuses another user\'s token, an altered or unknown one, and a token of another purpose', async () => {
      const handler = handlerWith(allowed())
      const token = await start(handler, { url: link('/photo.png') }, 'alice')
      await until(handler, token, finished, 'alice')
      const theirs = await status(handler, token, 'mallory')
      assert.equal(theirs.status, 403)
      assert.equal(theirs.json.error.code, 'not_owner')
      assert.equal((await status(handler, `${token.slice(0, -2)}AA`, 'alice')).json.error.code, 'invalid_token')
      assert.equal((await status(handler, 'nonsense', 'alice')).status, 403)
      const unknown = await status(handler, signToken(SECRET, 'url', { id: randomUUID(), prefix: 'uploads/alice/' }, 60), 'alice')
      assert.equal(unknown.status, 404)
      const finish = await status(handler, signToken(SECRET, 'finish', { key: 'uploads/alice/x', size: 1 }, 60), 'alice')
      assert.equal(finish.status, 403)
      const expired = await status(handler, signToken(SECRET, 'url', { id: randomUUID(), prefix: 'uploads/alice/' }, -10), 'alice')
      assert.equal(expired.json.error.code, 'expired')
    })

    it('answers bad requests at once with a clear code', async () => {
      const handler = handlerWith(allowed())
      const cases: [unknown, number, string][] = [
        [{}, 400, 'invalid_url'],
        [{ url: 'not a link' }, 400, 'invalid_url'],
        [{ url: 'ftp://127.0.0.1/x' }, 400, 'invalid_url'],
        [{ url: 'http://169.254.169.254/latest/meta-data/' }, 403, 'url_forbidden'],
        [{ url: `http://127.0.0.2:${other.port}/x` }, 403, 'url_forbidden'],
        [{ url: `http://u:p@127.0.0.1:${files.port}/x` }, 403, 'url_forbidden'],
        [{ url: link('/photo.png'), filename: '' }, 400, 'invalid_filename'],
        [{ url: link('/photo.png'), filename: 7 }, 400, 'invalid_filename'],
        [{ url: link('/photo.png'), meta: [] }, 400, 'invalid_metadata'],
        [{ url: link('/photo.png'), meta: { 'bad name': 1 } }, 400, 'invalid_metadata'],
        ['[1]', 400, 'invalid_json'],
      ]
      const before = files.connections()
      for (const [body, code, error] of cases) {
        const r = await call(handler, 'POST', '/url', body, asUser('bad'))
        assert.equal(r.status, code, JSON.stringify(body))
        assert.equal(r.json.error.code, error, JSON.stringify(body))
      }
      assert.equal(files.connections(), before)
      assert.equal(other.connections(), 0)
    })

    it('answers 429 too_many_fetches past 8 fetches at once, and takes more once they end', async () => {
      const handler = handlerWith(allowed())
      const tokens = []
      for (let i = 0; i < 8; i++) tokens.push(await start(handler, { url: link('/held.bin') }, 'busy'))
      const refused = await call(handler, 'POST', '/url', { url: link('/held.bin') }, asUser('busy'))
      assert.equal(refused.status, 429)
      assert.equal(refused.json.error.code, 'too_many_fetches')
      assert.equal(refused.headers.get('retry-after'), '5')
      // Every held response has sent its first MiB before the server lets them finish.
      for (const token of tokens) await until(handler, token, (s) => s.done === MiB, 'busy')
      files.release()
      for (const token of tokens) assert.equal((await until(handler, token, finished, 'busy')).status, 'success')
      const again = await start(handler, { url: link('/photo.png') }, 'busy')
      assert.equal((await until(handler, again, finished, 'busy')).status, 'success')
    })

    it('has no link routes when fromUrl is off', async () => {
      const handler = handlerWith(undefined)
      const post = await call(handler, 'POST', '/url', { url: link('/photo.png') })
      assert.equal(post.status, 404)
      assert.equal(post.json.error.code, 'not_found')
      const get = await call(handler, 'GET', `/url/${signToken(SECRET, 'url', { id: randomUUID(), prefix: 'uploads/u1/' }, 60)}`)
      assert.equal(get.status, 404)
      assert.equal(get.json.error.code, 'not_found')
    })
  })
}
