import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { toNodeHandler } from '../../src/server/index.js'
import { call, createMultipart, diskHandler, later, MiB, put, q, serializeForm } from '../helpers/server.js'

const env = diskHandler({ maxFileSize: '10MiB' })
const { handler } = env
after(env.cleanup)

async function formFor(filename: string, type: string, declaredSize?: number) {
  const params = { filename, type, ...(declaredSize === undefined ? {} : { 'metadata[declaredSize]': String(declaredSize) }) }
  return (await call(handler, 'GET', `/s3/params${q(params)}`)).json as { url: string; fields: { key: string } }
}

async function post(url: string, key: string, bytes: Uint8Array, type = 'application/octet-stream') {
  const form = new FormData()
  form.set('key', key)
  form.set('file', new Blob([bytes as BlobPart], { type }))
  const r = await handler(new Request(url, { method: 'POST', ...(await serializeForm(form)) }))
  return { status: r.status, etag: r.headers.get('etag'), json: r.status >= 400 ? await r.json() : null }
}

describe('disk storage: form uploads', () => {
  it('stores the file with an MD5 ETag and the original name', async () => {
    const { url, fields } = await formFor('résumé 📄 ../../x.pdf', 'application/pdf', 5)
    const r = await post(url, fields.key, new TextEncoder().encode('hello'))
    assert.equal(r.status, 204)
    assert.equal(r.etag, '"5d41402abc4b2a76b9719d911017c592"')
    const info = await call(handler, 'GET', `/object${q({ key: fields.key, declaredSize: '5' })}`)
    assert.equal(info.json.name, 'résumé 📄 ../../x.pdf')
    assert.equal(info.json.type, 'application/pdf')
  })
  it('stores a 0-byte file', async () => {
    const { url, fields } = await formFor('empty.txt', 'text/plain', 0)
    assert.equal((await post(url, fields.key, new Uint8Array(0))).status, 204)
    const info = await call(handler, 'GET', `/object${q({ key: fields.key, declaredSize: '0' })}`)
    assert.equal(info.json.size, 0)
  })
  it('refuses a file of another size than declared', async () => {
    const { url, fields } = await formFor('a.bin', 'application/octet-stream', 5)
    const r = await post(url, fields.key, new Uint8Array(6))
    assert.equal(r.status, 400)
    assert.equal(r.json.error.code, 'length_mismatch')
    assert.equal(await env.storage.head(fields.key), null)
  })
  it('refuses a form over maxFileSize before reading it', async () => {
    const { url, fields } = await formFor('a.bin', 'application/octet-stream')
    const r = await post(url, fields.key, new Uint8Array(10 * MiB + 1))
    assert.equal(r.status, 413)
  })
  it('refuses a form whose key differs from the signed one', async () => {
    const { url } = await formFor('a.bin', 'application/octet-stream', 1)
    const r = await post(url, 'uploads/someone-else.bin', new Uint8Array(1))
    assert.equal(r.status, 403)
  })
  it('refuses a tampered token', async () => {
    const { url, fields } = await formFor('a.bin', 'application/octet-stream', 1)
    const r = await post(url.replace(/t=./, 't=A'), fields.key, new Uint8Array(1))
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'invalid_token')
  })
})

describe('disk storage: URLs expire', () => {
  it('refuses an expired part URL', async () => {
    const h = diskHandler({ expiresIn: 60 })
    const { key, uploadId } = await createMultipart(h.handler, 'a.mp4')
    const { url } = (await call(h.handler, 'GET', `/s3/multipart/${encodeURIComponent(uploadId)}/1${q({ key })}`)).json
    const r = await later(120, () => put(h.handler, url, new Uint8Array(10)))
    h.cleanup()
    assert.equal(r.status, 403)
    assert.equal(r.json.error.code, 'expired')
  })
})

describe('disk storage: reading', () => {
  it('serves uploads sandboxed, and active types as attachments', async () => {
    const { url, fields } = await formFor('page.html', 'text/html', 20)
    await post(url, fields.key, new TextEncoder().encode('<script>1</script>xx'), 'text/html')
    const info = await call(handler, 'GET', `/object${q({ key: fields.key })}`)
    const r = await handler(new Request(info.json.url))
    assert.equal(r.status, 200)
    assert.match(r.headers.get('content-security-policy')!, /sandbox/)
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff')
    assert.match(r.headers.get('content-disposition')!, /^attachment; filename\*=UTF-8''page\.html$/)
  })
  it('serves byte ranges, so video can seek', async () => {
    const { url, fields } = await formFor('clip.mp4', 'video/mp4', 10)
    await post(url, fields.key, new TextEncoder().encode('0123456789'), 'video/mp4')
    const read = (await call(handler, 'GET', `/object${q({ key: fields.key })}`)).json.url
    const get = (range?: string) => handler(new Request(read, { headers: range ? { range } : {} }))
    const whole = await get()
    assert.equal(whole.status, 200)
    assert.equal(whole.headers.get('accept-ranges'), 'bytes')
    const middle = await get('bytes=2-5')
    assert.equal(middle.status, 206)
    assert.equal(middle.headers.get('content-range'), 'bytes 2-5/10')
    assert.equal(middle.headers.get('content-length'), '4')
    assert.equal(await middle.text(), '2345')
    assert.equal(await (await get('bytes=7-')).text(), '789')
    assert.equal(await (await get('bytes=-3')).text(), '789')
    assert.equal(await (await get('bytes=8-100')).text(), '89')
    const past = await get('bytes=10-')
    assert.equal(past.status, 416)
    assert.equal(past.headers.get('content-range'), 'bytes */10')
    assert.equal((await get('items=1-2')).status, 200, 'an unusable header gets the whole object')
  })

  it('survives a malformed original name in stored metadata', async () => {
    const { url, fields } = await formFor('ok.txt', 'text/plain', 2)
    await post(url, fields.key, new TextEncoder().encode('hi'), 'text/plain')
    const metaFile = join(env.dir, 'meta', ...fields.key.split('/')) + '.json'
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'))
    writeFileSync(metaFile, JSON.stringify({ ...meta, metadata: { 'original-name': '%E0%A4%A' } }))
    const info = await call(handler, 'GET', `/object${q({ key: fields.key })}`)
    assert.equal(info.status, 200)
    assert.equal(info.json.name, 'ok.txt')
    assert.equal((await handler(new Request(info.json.url))).status, 200)
  })

  it('refuses a read URL for another key', async () => {
    const r = await handler(new Request(`http://app.test/api/uploads/disk/object?t=bogus.token`))
    assert.equal(r.status, 403)
  })
})

describe('toNodeHandler', () => {
  it('serves the handler over node:http with the reason phrase and JSON errors', async () => {
    const server = createServer(toNodeHandler(handler))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    try {
      const ok = await fetch(`http://127.0.0.1:${port}/api/uploads/s3/multipart`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'a.mp4', type: 'video/mp4' }),
      })
      assert.equal(ok.status, 200)
      const { key, uploadId } = await ok.json()
      const part = await fetch(`http://127.0.0.1:${port}/api/uploads/s3/multipart/${encodeURIComponent(uploadId)}/1?${new URLSearchParams({ key })}`)
      const { url } = await part.json()
      assert.ok(url.startsWith(`http://127.0.0.1:${port}/api/uploads/disk/part`), url)
      const put = await fetch(url, { method: 'PUT', body: new Uint8Array(1000) })
      assert.equal(put.status, 200)
      assert.match(put.headers.get('etag')!, /^"[0-9a-f]{32}"$/)
      const bad = await fetch(`http://127.0.0.1:${port}/api/uploads/s3/params?filename=`)
      assert.equal(bad.status, 400)
      assert.equal(bad.statusText, '[invalid_filename] The filename is missing.')
      assert.equal((await bad.json()).error.code, 'invalid_filename')
    } finally {
      server.close()
    }
  })
})
