// One contract, two storages: every behaviour the handler relies on, checked on disk storage and
// on a real S3 implementation (Ceph RGW), through the handler as a browser would use it.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { createUploadHandler, type Storage } from '../../src/server/index.js'
import { call, diskHandler, MiB, q, SECRET, serializeForm } from '../helpers/server.js'
import { emptyBucket, makeBucket, openUploads } from '../helpers/s3.js'

type Handler = (r: Request) => Promise<Response>
interface Target { handler: Handler; storage: Storage; fetchUrl: (url: string, init?: RequestInit) => Promise<Response>; openUploads: () => Promise<number>; cleanup: () => Promise<void> }

async function diskTarget(): Promise<Target> {
  const env = diskHandler({ maxFileSize: '50MiB' })
  // Disk storage URLs point back at the handler; call it directly.
  const fetchUrl = (url: string, init?: RequestInit) => env.handler(new Request(url, init))
  return { handler: env.handler, storage: env.storage, fetchUrl, openUploads: async () => 0, cleanup: async () => env.cleanup() }
}

async function rgwTarget(): Promise<Target> {
  const { bucket, client, storage } = await makeBucket('contract')
  const handler = createUploadHandler({ storage, secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: 'u1' }), maxFileSize: '50MiB', onError: () => {} })
  return {
    handler,
    storage,
    fetchUrl: (url, init) => fetch(url, init),
    openUploads: async () => (await openUploads(client, bucket)).length,
    cleanup: () => emptyBucket(client, bucket),
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const bytes = (n: number, seed: number) => {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i += 4096) b[i] = (i / 4096 + seed) & 0xff
  return b
}

for (const [name, make] of [['disk', diskTarget], ['Ceph RGW', rgwTarget]] as const) {
  describe(`storage contract: ${name}`, () => {
    let t: Target
    before(async () => {
      t = await make()
    })
    after(async () => t.cleanup())

    async function formUpload(filename: string, type: string, body: Uint8Array, declaredSize?: number) {
      const params = { filename, type, ...(declaredSize === undefined ? {} : { 'metadata[declaredSize]': String(declaredSize) }) }
      const p = (await call(t.handler, 'GET', `/s3/params${q(params)}`)).json
      const form = new FormData()
      for (const [k, v] of Object.entries(p.fields as Record<string, string>)) form.set(k, v)
      form.set('file', new Blob([body as BlobPart], { type }))
      const r = await t.fetchUrl(p.url, { method: 'POST', ...(await serializeForm(form)) })
      return { status: r.status, key: p.fields.key as string }
    }

    async function multipart(filename: string, parts: Uint8Array[], metadata: Record<string, unknown>) {
      const created = (await call(t.handler, 'POST', '/s3/multipart', { filename, type: 'application/octet-stream', metadata })).json
      const id = encodeURIComponent(created.uploadId)
      const numbers = parts.map((_, i) => i + 1).join(',')
      const urls = (await call(t.handler, 'GET', `/s3/multipart/${id}/batch${q({ key: created.key, partNumbers: numbers })}`)).json.presignedUrls
      const etags: { PartNumber: number; ETag: string }[] = []
      for (const [i, body] of parts.entries()) {
        const r = await t.fetchUrl(urls[i + 1], { method: 'PUT', body: body as BodyInit })
        etags.push({ PartNumber: i + 1, ETag: r.headers.get('etag') ?? `status ${r.status}` })
      }
      return { ...created, id, etags }
    }

    it('stores a form upload byte for byte and reads it back from the info URL', async () => {
      const body = bytes(200 * 1024, 1)
      const up = await formUpload('photo.jpg', 'image/jpeg', body, body.length)
      assert.ok(up.status === 204 || up.status === 200, `status ${up.status}`)
      const info = (await call(t.handler, 'GET', `/object${q({ key: up.key, declaredSize: String(body.length) })}`)).json
      assert.equal(info.size, body.length)
      assert.equal(info.type, 'image/jpeg')
      const read = new Uint8Array(await (await t.fetchUrl(info.url)).arrayBuffer())
      assert.equal(sha(read), sha(body))
    })

    it('stores a 0-byte form upload', async () => {
      const up = await formUpload('empty.txt', 'text/plain', new Uint8Array(0), 0)
      assert.ok(up.status < 300, `status ${up.status}`)
      assert.equal((await call(t.handler, 'GET', `/object${q({ key: up.key, declaredSize: '0' })}`)).json.size, 0)
    })

    it('refuses a form upload larger than declared', async () => {
      const up = await formUpload('a.bin', 'application/octet-stream', new Uint8Array(11), 10)
      assert.ok(up.status >= 400, `status ${up.status}`)
      assert.equal(await t.storage.head(up.key), null)
    })

    it('keeps the original name in metadata, and the key safe', async () => {
      const up = await formUpload('résumé 📄 ../../x.pdf', 'application/pdf', bytes(10, 2), 10)
      assert.match(up.key, /^uploads\/u1\/\d{4}\/\d{2}\/[0-9a-f-]{36}\/x\.pdf$/)
      assert.equal((await call(t.handler, 'GET', `/object${q({ key: up.key })}`)).json.name, 'résumé 📄 ../../x.pdf')
    })

    async function putUpload(filename: string, type: string, body: Uint8Array, declaredSize: number, sentType = type) {
      const p = (await call(t.handler, 'GET', `/s3/params${q({ filename, type, method: 'PUT', 'metadata[declaredSize]': String(declaredSize), 'metadata[album]': 'trip' })}`)).json
      assert.equal(p.method, 'PUT')
      const r = await t.fetchUrl(p.url, { method: 'PUT', body: body as BodyInit, headers: { ...p.headers, 'content-type': sentType } })
      return { status: r.status, etag: r.headers.get('etag'), key: p.key as string }
    }

    it('stores a single PUT signed for its exact length and type, with its metadata', async () => {
      const body = bytes(300 * 1024, 6)
      const up = await putUpload('clip.webm', 'video/webm', body, body.length)
      assert.equal(up.status, 200)
      assert.match(up.etag ?? '', /^"[0-9a-f]{32}"$/)
      const info = (await call(t.handler, 'GET', `/object${q({ key: up.key, declaredSize: String(body.length) })}`)).json
      assert.equal(info.type, 'video/webm')
      assert.equal(info.name, 'clip.webm')
      assert.equal((await t.storage.head(up.key))?.metadata.album, 'trip')
      assert.equal(sha(new Uint8Array(await (await t.fetchUrl(info.url)).arrayBuffer())), sha(body))
    })

    it('refuses a single PUT of another length or type', async () => {
      const longer = await putUpload('a.txt', 'text/plain', bytes(11, 7), 10)
      assert.ok(longer.status >= 400, `status ${longer.status}`)
      assert.equal(await t.storage.head(longer.key), null)
      const retyped = await putUpload('b.txt', 'text/plain', bytes(10, 7), 10, 'text/html')
      assert.ok(retyped.status >= 400, `status ${retyped.status}`)
      assert.equal(await t.storage.head(retyped.key), null)
    })

    it('assembles a multipart upload in order, with an S3-style ETag', async () => {
      const parts = [bytes(5 * MiB, 3), bytes(5 * MiB, 4), bytes(777, 5)]
      const size = parts.reduce((n, p) => n + p.length, 0)
      const m = await multipart('big.bin', parts, { declaredSize: size, partSize: 5 * MiB })
      const done = await call(t.handler, 'POST', `/s3/multipart/${m.id}/complete${q({ key: m.key })}`, { parts: m.etags })
      assert.equal(done.status, 200, done.text)
      const info = (await call(t.handler, 'GET', `/object${q({ key: m.key })}`)).json
      assert.match(info.etag, /^[0-9a-f]{32}-3$/)
      const read = new Uint8Array(await (await t.fetchUrl(info.url)).arrayBuffer())
      const whole = new Uint8Array(size)
      let o = 0
      for (const p of parts) {
        whole.set(p, o)
        o += p.length
      }
      assert.equal(sha(read), sha(whole))
    })

    it('refuses a part body longer than the signed length', async () => {
      const created = (await call(t.handler, 'POST', '/s3/multipart', { filename: 'x.bin', type: 'application/octet-stream', metadata: { declaredSize: 6 * MiB, partSize: 5 * MiB } })).json
      const url = (await call(t.handler, 'GET', `/s3/multipart/${encodeURIComponent(created.uploadId)}/2${q({ key: created.key })}`)).json.url
      const r = await t.fetchUrl(url, { method: 'PUT', body: new Uint8Array(MiB + 1) })
      assert.ok(r.status === 403 || r.status === 400, `status ${r.status}`)
      const ok = await t.fetchUrl(url, { method: 'PUT', body: new Uint8Array(MiB) })
      assert.equal(ok.status, 200)
      await call(t.handler, 'DELETE', `/s3/multipart/${encodeURIComponent(created.uploadId)}${q({ key: created.key })}`)
    })

    it('lists more than 1,000 parts across pages', async () => {
      const created = (await call(t.handler, 'POST', '/s3/multipart', { filename: 'many.bin', type: 'application/octet-stream' })).json
      const id = encodeURIComponent(created.uploadId)
      const total = 1003
      for (let start = 1; start <= total; start += 500) {
        const numbers = Array.from({ length: Math.min(500, total - start + 1) }, (_, i) => start + i)
        const urls = (await call(t.handler, 'GET', `/s3/multipart/${id}/batch${q({ key: created.key, partNumbers: numbers.join(',') })}`)).json.presignedUrls
        // Bounded concurrency: 16 PUTs at a time.
        for (let i = 0; i < numbers.length; i += 16) {
          await Promise.all(numbers.slice(i, i + 16).map(async (n) => assert.equal((await t.fetchUrl(urls[n], { method: 'PUT', body: new Uint8Array([n & 0xff]) })).status, 200)))
        }
      }
      const listed = (await call(t.handler, 'GET', `/s3/multipart/${id}${q({ key: created.key })}`)).json
      assert.equal(listed.length, total)
      assert.deepEqual(listed.map((p: { PartNumber: number }) => p.PartNumber), Array.from({ length: total }, (_, i) => i + 1))
      await call(t.handler, 'DELETE', `/s3/multipart/${id}${q({ key: created.key })}`)
    })

    it('aborts: no incomplete upload is left', async () => {
      const before = await t.openUploads()
      const m = await multipart('gone.bin', [bytes(1000, 6)], {})
      assert.equal(await t.openUploads(), before + (name === 'disk' ? 0 : 1))
      assert.equal((await call(t.handler, 'DELETE', `/s3/multipart/${m.id}${q({ key: m.key })}`)).status, 200)
      assert.equal(await t.openUploads(), before)
      assert.equal((await call(t.handler, 'GET', `/s3/multipart/${m.id}${q({ key: m.key })}`)).json.error.code, 'upload_not_found')
    })

    it('completing with a wrong ETag fails with invalid_parts', async () => {
      const m = await multipart('bad.bin', [bytes(100, 7)], {})
      const r = await call(t.handler, 'POST', `/s3/multipart/${m.id}/complete${q({ key: m.key })}`, { parts: [{ PartNumber: 1, ETag: '0123456789abcdef0123456789abcdef' }] })
      assert.equal(r.status, 400)
      assert.equal(r.json.error.code, 'invalid_parts')
      await call(t.handler, 'DELETE', `/s3/multipart/${m.id}${q({ key: m.key })}`)
    })
  })
}
