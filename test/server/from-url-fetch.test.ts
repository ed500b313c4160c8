// The guard's DNS, pinning and redirect rules, with an injected resolver and an injected `request`
// that records what would have been asked and answers from a table: no socket is ever opened.
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http'
import type { LookupAddress } from 'node:dns'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import { bodyOf, openLink, parseLink, type FetchPolicy, type RequestFn } from '../../src/server/from-url/fetch.js'
import { parseHostRules } from '../../src/server/from-url/hosts.js'
import type { ResolvedAddress } from '../../src/server/from-url/options.js'

interface Answer {
  status: number
  headers?: Record<string, string>
  body?: string
}

/** A `request` that answers from `answers` by `protocol//hostname:port path`, recording every call. */
function fakeNet(answers: Record<string, Answer>) {
  const calls: RequestOptions[] = []
  const request: RequestFn = (options) => {
    calls.push(options)
    const req = new EventEmitter() as ClientRequest
    req.end = (() => {
      queueMicrotask(() => {
        const a = answers[`${options.protocol}//${options.hostname}:${options.port}${options.path}`]
        if (!a) return req.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
        const res = Readable.from([Buffer.from(a.body ?? '')]) as unknown as IncomingMessage
        res.statusCode = a.status
        res.headers = a.headers ?? {}
        req.emit('response', res)
      })
      return req
    }) as ClientRequest['end']
    req.destroy = (() => req) as ClientRequest['destroy']
    return req
  }
  return { calls, request }
}

/** A resolver from a table of names; each name's list of answers is used one call after another (the last repeats). */
function resolver(table: Record<string, string[][]>) {
  const asked: string[] = []
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    asked.push(host)
    const answers = table[host]
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    const seen = asked.filter((h) => h === host).length
    return answers[Math.min(seen, answers.length) - 1].map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return { asked, resolve }
}

const PUBLIC = '93.184.216.34'
const TABLE = {
  'public.test': [[PUBLIC]],
  'evil.test': [['10.0.0.1']],
  'meta.test': [['169.254.169.254']],
  'mixed.test': [[PUBLIC, '10.0.0.1']],
  'mapped.test': [['::ffff:127.0.0.1']],
  'v6.test': [['2606:4700::1111']],
  'rebind.test': [[PUBLIC], ['127.0.0.1']],
  'files.internal': [['10.0.0.9']],
  'empty.test': [[]],
}

function policy(extra: Partial<FetchPolicy> = {}) {
  const dns = resolver(TABLE)
  return { dns, policy: { allowHosts: [], denyHosts: [], maxRedirects: 5, resolve: dns.resolve, ...extra } satisfies FetchPolicy }
}

const open = (raw: string, p: FetchPolicy, request: RequestFn, signal = new AbortController().signal) => openLink(parseLink(raw), p, signal, request)
const code = (expected: string, message?: RegExp) => (err: { code?: string; message: string }) => {
  assert.equal(err.code, expected, err.message)
  if (message) assert.match(err.message, message)
  return true
}

/** What the pinned `lookup` handed to `request` answers, asked both ways Node asks. */
function lookupOf(options: RequestOptions) {
  const lookup = options.lookup!
  let one: [string, number] | undefined
  let all: LookupAddress[] | undefined
  lookup('ignored.example', { all: false }, (err, address, family) => {
    assert.equal(err, null)
    one = [address as string, family!]
  })
  lookup('ignored.example', { all: true }, (err, addresses) => {
    assert.equal(err, null)
    all = addresses as LookupAddress[]
  })
  return { one, all }
}

describe('link fetch: every address a name resolves to is checked before any connection', () => {
  it('refuses a name that resolves to a private address, without a connection', async () => {
    const net = fakeNet({})
    const { policy: p, dns } = policy()
    await assert.rejects(open('http://evil.test/a.png', p, net.request), code('url_forbidden', /evil\.test.*not public/))
    assert.deepEqual(dns.asked, ['evil.test'])
    assert.equal(net.calls.length, 0)
  })

  it('does not name the internal address in the refusal', async () => {
    const net = fakeNet({})
    await assert.rejects(open('http://meta.test/', policy().policy, net.request), (err: Error) => !err.message.includes('169.254'))
    assert.equal(net.calls.length, 0)
  })

  it('refuses when any one of the answers is refused, and IPv4-mapped answers as what they map', async () => {
    const net = fakeNet({})
    for (const raw of ['http://mixed.test/', 'https://mapped.test/', 'http://meta.test/latest/meta-data/']) {
      await assert.rejects(open(raw, policy().policy, net.request), code('url_forbidden'), raw)
    }
    assert.equal(net.calls.length, 0)
  })

  it('connects to the checked address only, so a second DNS answer cannot rebind it', async () => {
    const net = fakeNet({ 'http://rebind.test:80/f.txt': { status: 200, body: 'hi' } })
    const { policy: p, dns } = policy()
    const { response } = await open('http://rebind.test/f.txt', p, net.request)
    response.destroy()
    assert.deepEqual(dns.asked, ['rebind.test'], 'asked once; the answer is pinned')
    assert.equal(net.calls.length, 1)
    // The name stays the Host (and the TLS name); the socket can only reach what was checked.
    assert.equal(net.calls[0].hostname, 'rebind.test')
    assert.deepEqual(lookupOf(net.calls[0]), { one: [PUBLIC, 4], all: [{ address: PUBLIC, family: 4 }] })
    // What the resolver would say now is refused, and never reaches the socket.
    assert.deepEqual(await p.resolve('rebind.test'), [{ address: '127.0.0.1', family: 4 }])
  })

  it('sends a plain request: a user agent, no cookies or credentials, a fresh agent', async () => {
    const net = fakeNet({ 'https://v6.test:443/x?y=1': { status: 200 } })
    const { response } = await open('https://v6.test/x?y=1#frag', policy().policy, net.request)
    response.destroy()
    const sent = net.calls[0]
    assert.equal(sent.agent, false)
    assert.equal(sent.path, '/x?y=1')
    const headers = sent.headers as Record<string, string>
    assert.match(headers['user-agent'], /hoist-uploader/)
    for (const h of ['cookie', 'authorization', 'referer']) assert.equal(headers[h], undefined, h)
    assert.deepEqual(lookupOf(sent).one, ['2606:4700::1111', 6])
  })

  it('lets allowHosts reach a private address, pinned to it, and no other host', async () => {
    const allowHosts = parseHostRules(['files.internal'], 'allowHosts')
    const net = fakeNet({ 'http://files.internal:80/a': { status: 200 } })
    const { response } = await open('http://files.internal/a', policy({ allowHosts }).policy, net.request)
    response.destroy()
    assert.deepEqual(lookupOf(net.calls[0]).one, ['10.0.0.9', 4])
    await assert.rejects(open('http://evil.test/a', policy({ allowHosts }).policy, net.request), code('url_forbidden'))
    assert.equal(net.calls.length, 1)
  })

  it('an IP in denyHosts refuses names that resolve to it, even public ones', async () => {
    const net = fakeNet({})
    await assert.rejects(open('http://public.test/', policy({ denyHosts: parseHostRules([PUBLIC], 'denyHosts') }).policy, net.request), code('url_forbidden'))
    assert.equal(net.calls.length, 0)
  })

  it('says url_unreachable when a name does not resolve or has no address', async () => {
    const net = fakeNet({})
    await assert.rejects(open('http://nowhere.test/', policy().policy, net.request), code('url_unreachable', /nowhere\.test.*ENOTFOUND/))
    await assert.rejects(open('http://empty.test/', policy().policy, net.request), code('url_unreachable', /no address/))
    assert.equal(net.calls.length, 0)
  })

  it('says url_unreachable for a refused connection and for an HTTP error, with its status', async () => {
    const net = fakeNet({ 'http://public.test:80/gone': { status: 404 }, 'http://public.test:80/odd': { status: 304 } })
    await assert.rejects(open('http://public.test/closed', policy().policy, net.request), code('url_unreachable', /ECONNREFUSED/))
    await assert.rejects(open('http://public.test/gone', policy().policy, net.request), code('url_unreachable', /HTTP 404/))
    await assert.rejects(open('http://public.test/odd', policy().policy, net.request), code('url_unreachable', /HTTP 304/))
  })

  it('ends with the signal\'s reason when it aborts while DNS is still answering', async () => {
    const net = fakeNet({})
    const controller = new AbortController()
    const reason = Object.assign(new Error('too slow'), { code: 'url_timeout' })
    const hanging = { ...policy().policy, resolve: () => new Promise<ResolvedAddress[]>(() => {}) }
    const opening = openLink(parseLink('http://public.test/'), hanging, controller.signal, net.request)
    controller.abort(reason)
    await assert.rejects(opening, (err) => err === reason)
    assert.equal(net.calls.length, 0)
  })
})

describe('link fetch: redirects', () => {
  it('checks every hop: a redirect to a name that resolves privately is refused before connecting to it', async () => {
    const net = fakeNet({ 'http://public.test:80/a': { status: 302, headers: { location: 'http://evil.test/b' } } })
    const { policy: p, dns } = policy()
    await assert.rejects(open('http://public.test/a', p, net.request), code('url_forbidden', /evil\.test/))
    assert.deepEqual(dns.asked, ['public.test', 'evil.test'])
    assert.equal(net.calls.length, 1)
  })

  it('refuses a redirect to a literal private address, another scheme, or with credentials', async () => {
    for (const location of ['http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://0x7f.1/', 'file:///etc/passwd', 'ftp://public.test/x', 'http://u:p@public.test/', 'http://[bad']) {
      const net = fakeNet({ 'http://public.test:80/a': { status: 301, headers: { location } } })
      await assert.rejects(open('http://public.test/a', policy().policy, net.request), code('url_forbidden'), location)
      assert.equal(net.calls.length, 1, location)
    }
  })

  it('follows a relative redirect and switches between http and https per hop', async () => {
    const net = fakeNet({
      'http://public.test:80/a': { status: 301, headers: { location: '/b' } },
      'http://public.test:80/b': { status: 307, headers: { location: 'https://v6.test/c' } },
      'https://v6.test:443/c': { status: 308, headers: { location: 'http://rebind.test:8080/d' } },
      'http://rebind.test:8080/d': { status: 200, body: 'end' },
    })
    const { url, response } = await open('http://public.test/a', policy().policy, net.request)
    assert.equal(url.href, 'http://rebind.test:8080/d')
    assert.equal(Buffer.concat(await response.toArray()).toString(), 'end')
    assert.deepEqual(net.calls.map((c) => `${c.protocol}//${c.hostname}:${c.port}`), ['http://public.test:80', 'http://public.test:80', 'https://v6.test:443', 'http://rebind.test:8080'])
    assert.deepEqual(lookupOf(net.calls[2]).one, ['2606:4700::1111', 6])
  })

  it('follows at most maxRedirects', async () => {
    const loop: Record<string, Answer> = {}
    for (let i = 0; i < 10; i++) loop[`http://public.test:80/${i}`] = { status: 302, headers: { location: `/${i + 1}` } }
    for (const max of [0, 2, 5]) {
      const net = fakeNet(loop)
      await assert.rejects(open('http://public.test/0', policy({ maxRedirects: max }).policy, net.request), code('url_forbidden', new RegExp(`more than ${max} times`)))
      assert.equal(net.calls.length, max + 1)
    }
    const net = fakeNet({ ...loop, 'http://public.test:80/2': { status: 200 } })
    const { response } = await open('http://public.test/0', policy({ maxRedirects: 2 }).policy, net.request)
    response.destroy()
    assert.equal(net.calls.length, 3)
  })
})

describe('link fetch: the body', () => {
  it('ends with the signal\'s reason when aborted mid-body, and url_unreachable when the connection breaks', async () => {
    const controller = new AbortController()
    const reason = new Error('timeout')
    const stalled = new Readable({ read() {} }) as unknown as IncomingMessage
    stalled.push(Buffer.from('abc'))
    const reading = (async () => {
      for await (const chunk of bodyOf(stalled, controller.signal)) {
        assert.equal(chunk.length, 3)
        controller.abort(reason)
        stalled.destroy(new Error('aborted'))
      }
    })()
    await assert.rejects(reading, (err) => err === reason)

    const broken = new Readable({ read() {} }) as unknown as IncomingMessage
    broken.push(Buffer.from('abcd'))
    const breaking = (async () => {
      for await (const chunk of bodyOf(broken, new AbortController().signal)) {
        assert.equal(chunk.length, 4)
        broken.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
      }
    })()
    await assert.rejects(breaking, code('url_unreachable', /after 4 bytes \(ECONNRESET\)/))
  })
})
