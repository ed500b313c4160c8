// Regression tests for the holes an attacker's probes found: tokens used for another purpose or after
// their time, reads that wrote or deleted, one user reaching another's files, and inputs that gave a 500.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createUploadHandler, diskStorage } from '../../src/server/index.js'
import { setClientAddress } from '../../src/server/client-address.js'
import { rateLimiter } from '../../src/server/rate-limit.js'
import { BASE, call, createMultipart, diskHandler, later, MiB, postForm as sendForm, put, q, SECRET } from '../helpers/server.js'

let who = 'alice'
const env = diskHandler({ maxFileSize: '10MiB', authorize: () => ({ id: who }) })
const { handler } = env
after(env.cleanup)

const token = (url: string) => new URL(url).searchParams.get('t')!
const disk = (path: string, t: string) => `${BASE}/disk/${path}?t=${t}`

const postForm = (url: string, fields: Record<string, string>, bytes: Uint8Array) => sendForm(handler, url, fields, bytes)

/** A stored 5-byte file: its key, read URL and a fresh form URL for the same key. */
async function storedFile() {
  const params = (await call(handler, 'GET', `/s3/params${q({ filename: 'a.txt', type: 'text/plain', 'metadata[declaredSize]': '5' })}`)).json
  assert.equal((await postForm(params.url, params.fields, new TextEncoder().encode('hello'))).status, 204)
  const info = (await call(handler, 'GET', `/object${q({ key: params.fields.key })}`)).json
  return { key: params.fields.key as string, readUrl: info.url as string, formUrl: params.url as string }
}

describe('tokens have a purpose and an expiry', () => {
  it('a read URL cannot be used to write: not as a form, a PUT or a part', async () => {
    const { key, readUrl } = await storedFile()
    const t = token(readUrl)
    const asForm = await postForm(disk(`post/${t}`, t), { key }, new Uint8Array(3))
    assert.equal(asForm.status, 403)
    assert.equal((await asForm.json()).error.code, 'invalid_token')
    for (const path of ['put', 'part']) {
      const r = await handler(new Request(disk(path, t), { method: 'PUT', body: new Uint8Array(3), headers: { 'content-type': 'text/plain' } }))
      assert.equal(r.status, 403, path)
    }
    assert.equal(await (await handler(new Request(readUrl))).text(), 'hello', 'the file is untouched')
  })
  it('a form token does not work as a PUT, and a PUT token does not work as a form', async () => {
    const form = (await call(handler, 'GET', `/s3/params${q({ filename: 'b.txt', type: 'text/plain' })}`)).json
    const asPut = await handler(new Request(disk('put', token(form.url)), { method: 'PUT', body: new Uint8Array(3), headers: { 'content-type': 'text/plain' } }))
    assert.equal(asPut.status, 403)
    const single = (await call(handler, 'GET', `/s3/params${q({ filename: 'c.txt', type: 'text/plain', method: 'PUT', 'metadata[declaredSize]': '3' })}`)).json
    const asForm = await postForm(disk(`post/${token(single.url)}`, token(single.url)), { key: single.key }, new Uint8Array(3))
    assert.equal(asForm.status, 403)
  })
  it('an upload id is neither a read link nor a write capability, even with the storage sharing the secret', async () => {
    const { key, uploadId } = await createMultipart(handler, 'v.mp4')
    assert.equal((await handler(new Request(disk('object', uploadId)))).status, 403)
    assert.equal((await postForm(disk(`post/${uploadId}`, uploadId), { key }, new Uint8Array(3))).status, 403)
    assert.equal((await handler(new Request(disk('part', uploadId), { method: 'PUT', body: new Uint8Array(3) }))).status, 403)
  })
  it('an upload id expires after uploadExpiresIn', async () => {
    const h = diskHandler({ uploadExpiresIn: 3600 })
    const { key, uploadId } = await createMultipart(h.handler, 'v.mp4')
    const list = () => call(h.handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}${q({ key })}`)
    assert.equal((await later(3500, list)).status, 200)
    const expired = await later(3700, list)
    h.cleanup()
    assert.equal(expired.status, 403)
    assert.equal(expired.json.error.code, 'expired')
  })
  it('refuses a token with junk after it, or spelt otherwise', async () => {
    const { key, uploadId } = await createMultipart(handler, 'v.mp4')
    for (const bad of [`${uploadId}!!`, `${uploadId}A`, ` ${uploadId}`, uploadId.replace('.', '..')]) {
      const r = await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(bad)}${q({ key })}`)
      assert.equal(r.status, 403, JSON.stringify(bad))
      assert.equal(r.json.error.code, 'invalid_token')
    }
  })
})

describe('reads never write, and users keep to their own keys', () => {
  it('GET /object with a wrong declared size refuses but deletes nothing', async () => {
    const { key, readUrl } = await storedFile()
    const r = await call(handler, 'GET', `/object${q({ key, declaredSize: '1' })}`)
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'size_mismatch')
    assert.equal((await handler(new Request(readUrl))).status, 200)
  })
  it('by default each user writes and reads under uploads/{id}/: another user gets neither a read URL nor a delete', async () => {
    const { key } = await storedFile()
    assert.match(key, /^uploads\/alice\//)
    who = 'mallory'
    try {
      for (const declaredSize of ['1', '5']) {
        const r = await call(handler, 'GET', `/object${q({ key, declaredSize })}`)
        assert.equal(r.status, 403)
        assert.equal(r.json.error.code, 'key_not_allowed')
      }
    } finally {
      who = 'alice'
    }
    assert.notEqual(await env.storage.head(key), null)
  })
  it("a user who picks another user's hashed key segment as their id does not share that user's area", async () => {
    who = 'a/b'
    const { key } = await storedFile()
    try {
      const segment = key.split('/')[1]
      assert.match(segment, /^h-[0-9a-f]{32}$/)
      who = segment
      const r = await call(handler, 'GET', `/object${q({ key })}`)
      assert.equal(r.status, 403)
      assert.equal(r.json.error.code, 'key_not_allowed')
    } finally {
      who = 'alice'
    }
    assert.notEqual(await env.storage.head(key), null)
  })
  it('a finish token finishes only its own key, for its own user', async () => {
    const single = (await call(handler, 'GET', `/s3/params${q({ filename: 'd.txt', type: 'text/plain', method: 'PUT', 'metadata[declaredSize]': '2' })}`)).json
    await handler(new Request(single.url, { method: 'PUT', body: new Uint8Array(2), headers: { 'content-type': 'text/plain' } }))
    who = 'mallory'
    try {
      assert.equal((await call(handler, 'POST', '/finish', { token: single.token })).status, 403)
    } finally {
      who = 'alice'
    }
    const { uploadId } = await createMultipart(handler, 'v.mp4')
    assert.equal((await call(handler, 'POST', '/finish', { token: uploadId })).status, 403, 'an upload id is not a finish token')
    const ok = await call(handler, 'POST', '/finish', { token: single.token })
    assert.equal(ok.status, 200)
    assert.equal(ok.json.size, 2)
  })
})

describe('bad input gets a 4xx, never a 500', () => {
  it('a malformed %-escape in the path', async () => {
    const r = await call(handler, 'GET', '/s3/%ZZ')
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'invalid_path')
  })
  it('a lone surrogate in a filename or in metadata', async () => {
    const name = await call(handler, 'POST', '/s3/multipart', { filename: 'a\ud800.png', type: 'image/png' })
    assert.equal(name.json.error.code, 'invalid_filename')
    const meta = await call(handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png', metadata: { note: 'x\udc00' } })
    assert.equal(meta.json.error.code, 'invalid_metadata')
  })
  it('metadata nested 200,000 levels deep', async () => {
    const deep = `{"filename":"a.png","metadata":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`
    const r = await call(handler, 'POST', '/s3/multipart', deep, { 'content-type': 'application/json' })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'invalid_metadata')
  })
  it('a suffix range on an empty object', async () => {
    const params = (await call(handler, 'GET', `/s3/params${q({ filename: 'e.txt', type: 'text/plain', 'metadata[declaredSize]': '0' })}`)).json
    assert.equal((await postForm(params.url, params.fields, new Uint8Array(0))).status, 204)
    const info = (await call(handler, 'GET', `/object${q({ key: params.fields.key })}`)).json
    assert.equal((await handler(new Request(info.url, { headers: { range: 'bytes=-5' } }))).status, 416)
  })
  it('a range outside the file is a JSON error, with the file size in Content-Range', async () => {
    const { readUrl } = await storedFile()
    const r = await handler(new Request(readUrl, { headers: { range: 'bytes=1-0' } }))
    assert.equal(r.status, 416)
    assert.equal(r.headers.get('content-range'), 'bytes */5')
    assert.equal((await r.json()).error.code, 'range_not_satisfiable')
  })
})

/** A body that counts how much of it was read. */
function countingBody(total: number, chunk = 64 * 1024) {
  const read = { bytes: 0 }
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (read.bytes >= total) return controller.close()
      read.bytes += chunk
      controller.enqueue(new Uint8Array(chunk).fill(0x20))
    },
  })
  return { body, read }
}

describe('memory: bodies are streamed and reading stops at the limit', () => {
  it('a 64 MiB JSON body is refused after about 1 MiB is read', async () => {
    const { body, read } = countingBody(64 * MiB)
    const r = await handler(new Request(`${BASE}/s3/multipart`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit))
    assert.equal(r.status, 413)
    assert.ok(read.bytes < 2 * MiB, `${read.bytes} bytes read`)
  })
  it('a form upload streams to disk: a file over the form limit stops being read once past it', async () => {
    const params = (await call(handler, 'GET', `/s3/params${q({ filename: 'f.bin', type: 'application/octet-stream' })}`)).json
    const boundary = 'hoistboundary'
    const head = new TextEncoder().encode(`--${boundary}\r\ncontent-disposition: form-data; name="key"\r\n\r\n${params.fields.key}\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="f.bin"\r\n\r\n`)
    const rest = countingBody(64 * MiB)
    const reader = rest.body.getReader()
    let sentHead = false
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (!sentHead) {
          sentHead = true
          return controller.enqueue(head)
        }
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      },
    })
    // The declared length passes the early check (it is within the limit); the body then runs past it.
    const r = await handler(new Request(params.url, { method: 'POST', body, duplex: 'half', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(5 * MiB) } } as RequestInit))
    assert.equal(r.status, 413)
    assert.ok(rest.read.bytes < 12 * MiB, `${rest.read.bytes} bytes read`)
    assert.equal(await env.storage.head(params.fields.key), null)
  })
})

describe('size limits on multipart', () => {
  it('an undeclared part is capped at maxFileSize', async () => {
    const { key, uploadId } = await createMultipart(handler, 'v.mp4')
    const { url } = (await call(handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1${q({ key })}`)).json
    const r = await put(handler, url, new Uint8Array(12 * MiB))
    assert.equal(r.status, 413)
    assert.equal(r.json.error.code, 'file_too_large')
  })
  it('with declaredSize but no partSize, parts are capped at the declared size and the total is checked before assembling', async () => {
    const { key, uploadId } = await createMultipart(handler, 'v.mp4', { declaredSize: 6 * MiB })
    const id = encodeURIComponent(uploadId)
    const urls = (await call(handler, 'GET', `/s3/multipart/${id}/batch${q({ key, partNumbers: '1,2' })}`)).json.presignedUrls
    assert.equal((await put(handler, urls['1'], new Uint8Array(7 * MiB))).status, 413)
    const p1 = await put(handler, urls['1'], new Uint8Array(5 * MiB))
    const p2 = await put(handler, urls['2'], new Uint8Array(5 * MiB))
    const r = await call(handler, 'POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts: [{ PartNumber: 1, ETag: p1.etag }, { PartNumber: 2, ETag: p2.etag }] })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'size_mismatch')
    assert.equal(await env.storage.head(key), null, 'nothing was assembled')
  })
})

describe('rate limit', () => {
  it('counts users without an id by their address, not all in one bucket and not by a per-request field', () => {
    const limit = rateLimiter<unknown>({ limit: 2, windowMs: 60_000 })!
    const from = (address: string) => {
      const r = new Request(BASE)
      setClientAddress(r, address)
      return r
    }
    const user = () => ({ requestId: Math.random() })
    limit(from('10.0.0.1'), user())
    limit(from('10.0.0.1'), user())
    assert.throws(() => limit(from('10.0.0.1'), user()), /Too many/)
    limit(from('10.0.0.2'), true)
  })
  it('never forgets a client it is still limiting, however many others come', () => {
    const limit = rateLimiter<string>({ limit: 2, windowMs: 3_600_000 })!
    const r = new Request(BASE)
    limit(r, 'abuser')
    limit(r, 'abuser')
    for (let i = 0; i < 10_050; i++) limit(r, `visitor-${i}`)
    assert.throws(() => limit(r, 'abuser'), /Too many/)
  })
})

describe('types and names', () => {
  const images = diskHandler({ allowedTypes: ['image/*', '.heic'] })
  after(images.cleanup)
  const create = (filename: string, type: string, metadata: Record<string, unknown> = {}) => call(images.handler, 'POST', '/s3/multipart', { filename, type, metadata })
  it('refuses a name whose extension contradicts the allowed type', async () => {
    const r = await create('x.html', 'image/png')
    assert.equal(r.status, 415)
    assert.match(r.json.error.message, /\.html/)
    assert.equal((await create('photo.jpg', 'image/jpeg')).status, 200)
    assert.equal((await create('IMG_1.heic', '')).status, 200)
    assert.equal((await create('x.pdf', 'image/png')).status, 415)
  })
  it('reserves the original-name metadata field', async () => {
    const r = await create('a.png', 'image/png', { 'original-name': 'evil.html' })
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'invalid_metadata')
  })
})

describe('origins', () => {
  const h = diskHandler({ allowedOrigins: ['http://localhost:*'] })
  after(h.cleanup)
  const from = (origin: string, headers: Record<string, string> = {}) => call(h.handler, 'POST', '/s3/multipart', { filename: 'a.png', type: 'image/png' }, { origin, ...headers })
  it('treats another scheme as another origin', async () => {
    assert.equal((await from('https://app.test')).json.error.code, 'origin_not_allowed')
    assert.equal((await from('http://app.test')).status, 200)
  })
  it('does not trust X-Forwarded-Host on its own', async () => {
    assert.equal((await from('https://evil.example', { 'x-forwarded-host': 'evil.example' })).status, 403)
  })
  it('keeps a wildcard to host characters', async () => {
    assert.equal((await from('http://localhost:3000')).status, 200)
    assert.equal((await from('http://localhost:80@evil.com')).status, 403)
  })
})

describe('options are checked when the handler is made', () => {
  const storage = diskStorage({ dir: env.dir, secret: SECRET })
  const make = (extra: Record<string, unknown>) => () => createUploadHandler({ storage, authorize: () => true, secret: SECRET, ...extra })
  for (const [name, value] of [['expiresIn', '1'], ['readExpiresIn', -5], ['uploadExpiresIn', 1.5], ['maxFileSize', 'lots'], ['rateLimit', { limit: '10' }]] as const) {
    it(`${name}: ${JSON.stringify(value)} is a TypeError naming it`, () => {
      assert.throws(make({ [name]: value }), (err: Error) => err instanceof TypeError && err.message.includes(name.replace('rateLimit', 'rateLimit')))
    })
  }
})

describe('stock clients on disk storage', () => {
  it('a form upload answers with a working read URL, and the location stock Uppy builds serves the file', async () => {
    const params = (await call(handler, 'GET', `/s3/params${q({ filename: 'g.txt', type: 'text/plain' })}`)).json
    const r = await postForm(params.url, params.fields, new TextEncoder().encode('stock'))
    assert.equal(r.status, 204)
    assert.equal(await (await handler(new Request(r.headers.get('location')!))).text(), 'stock')
    // @uppy/aws-s3: `${url without its query}/${key, each segment escaped}`.
    const built = `${params.url.split('?')[0]}/${params.fields.key.split('/').map(encodeURIComponent).join('/')}`
    assert.equal(await (await handler(new Request(built))).text(), 'stock')
  })
  it('honours success_action_status as S3 does', async () => {
    const params = (await call(handler, 'GET', `/s3/params${q({ filename: 'h.txt', type: 'text/plain' })}`)).json
    const created = await postForm(params.url, { ...params.fields, success_action_status: '201' }, new Uint8Array(1))
    assert.equal(created.status, 201)
    const xml = await created.text()
    assert.match(xml, /<PostResponse><Location>.+<\/Location>.*<Key>uploads\/alice\/.+h\.txt<\/Key><ETag>"[0-9a-f]{32}"<\/ETag><\/PostResponse>/)
    const again = (await call(handler, 'GET', `/s3/params${q({ filename: 'i.txt', type: 'text/plain' })}`)).json
    assert.equal((await postForm(again.url, { ...again.fields, success_action_status: '200' }, new Uint8Array(1))).status, 200)
  })
})
