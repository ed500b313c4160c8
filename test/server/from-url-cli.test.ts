// `hoist-uploader serve` and link uploads: the flags as parsed, and the server as a user runs it
// (from source, on disk storage), fetching from a loopback file server it was told to allow.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { fromUrlFromFlags, SetupError } from '../../src/server/from-env.js'
import { freePort, type Running, spawnServer } from '../helpers/app.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

describe('serve flags for link uploads', () => {
  it('is off unless asked for', () => {
    assert.equal(fromUrlFromFlags(undefined, undefined, {}), false)
    assert.deepEqual(fromUrlFromFlags(true, undefined, {}), {})
    assert.equal(fromUrlFromFlags(false, undefined, {}), false)
  })

  it('takes allowed hosts from the flag, else the environment; either turns it on, --no-from-url wins', () => {
    const env = { HOIST_FROM_URL_ALLOW_HOSTS: 'files.internal, 127.0.0.1:9000' }
    assert.deepEqual(fromUrlFromFlags(undefined, undefined, env), { allowHosts: ['files.internal', '127.0.0.1:9000'] })
    assert.deepEqual(fromUrlFromFlags(true, 'a.test:8080,,b.test', env), { allowHosts: ['a.test:8080', 'b.test'] })
    assert.equal(fromUrlFromFlags(false, 'a.test', env), false)
  })

  it('says which entry is not host or host:port', () => {
    assert.throws(() => fromUrlFromFlags(true, 'a.test,http://b.test/x', {}), (e: Error) => e instanceof SetupError && /"http:\/\/b\.test\/x"/.test(e.message))
  })
})

describe('hoist-uploader serve --from-url-allow-hosts', () => {
  let files: Server
  let filesPort: number
  let served = 0
  const cli: Running[] = []
  before(async () => {
    files = createServer((_req, res) => {
      served++
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' })
      res.end('hello')
    })
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve))
    filesPort = (files.address() as { port: number }).port
  })
  after(async () => {
    for (const c of cli) await c.stop()
    files.close()
  })

  async function serve(...flags: string[]) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'hoist-cli-url-'))
    const code = "import('./src/server/cli.ts').then((m) => m.main(process.argv.slice(1)))"
    const args = ['--import', 'tsx', '-e', code, 'serve', '--port', String(port), '--dir', dir, ...flags]
    const running = await spawnServer('node', args, { S3_BUCKET: '', HOIST_FROM_URL_ALLOW_HOSTS: '' }, /Hoist upload server: .*\n/, dir, `http://127.0.0.1:${port}`)
    cli.push(running)
    return running
  }

  const post = (base: string, url: string) => fetch(`${base}/url`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) })

  it('fetches from an allowed loopback host, and has no link route by default', async () => {
    const off = await serve()
    assert.equal((await post(off.url, `http://127.0.0.1:${filesPort}/a.txt`)).status, 404)

    const on = await serve('--from-url-allow-hosts', `127.0.0.1:${filesPort}`)
    const started = await post(on.url, `http://127.0.0.1:${filesPort}/a.txt`)
    assert.equal(started.status, 202)
    const { token } = await started.json()
    let s: { status: string; file?: { size: number; name: string }; error?: unknown } = { status: 'waiting' }
    for (let i = 0; i < 200 && (s.status === 'waiting' || s.status === 'progress'); i++) {
      await new Promise((r) => setTimeout(r, 50))
      s = await (await fetch(`${on.url}/url/${token}`)).json()
    }
    assert.equal(s.status, 'success', JSON.stringify(s))
    assert.equal(s.file?.size, 5)
    assert.equal(s.file?.name, 'a.txt')
    assert.equal(served, 1)

    // --from-url alone allows public hosts only.
    const plain = await serve('--from-url')
    const refused = await post(plain.url, `http://127.0.0.1:${filesPort}/a.txt`)
    assert.equal(refused.status, 403)
    assert.equal((await refused.json()).error.code, 'url_forbidden')
    assert.equal(served, 1)
  })
})
