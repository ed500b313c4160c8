// Files checked by what they contain, on disk storage and on Ceph RGW, through the handler as a
// browser uses it: a disguised file is deleted and refused with type_mismatch at the end of its
// upload (POST /finish, multipart complete), only refused by GET /object, and a file that passes is
// described with the type its bytes show and, for an image, its width and height.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createUploadHandler, type Storage, type UploadHandlerOptions } from '../../src/server/index.js'
import { verifyToken } from '../../src/server/tokens.js'
import { call, diskHandler, type Handler, q, SECRET, serializeForm } from '../helpers/server.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'
import { elf, html, jpeg, pdf, png, svg } from '../helpers/content.js'

/** The key a put plan's finish token names. */
const keyOf = (token: string) => verifyToken<{ key: string }>(SECRET, 'finish', token, 'finish token').key

interface Target {
  storage: Storage
  /** A handler on this storage, with these options. */
  handler: (options?: Partial<UploadHandlerOptions<{ id: string }>>) => Handler
  fetchUrl: (url: string, init?: RequestInit) => Promise<Response>
  cleanup: () => Promise<void>
}

const options = { secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: 'u1' }), maxFileSize: '20MiB', onError: () => {} }

async function diskTarget(): Promise<Target> {
  const env = diskHandler()
  const handler = (o = {}) => createUploadHandler({ ...options, storage: env.storage, ...o })
  // Disk storage URLs point back at the handler; call it directly.
  const direct = handler()
  return { storage: env.storage, handler, fetchUrl: (url, init) => direct(new Request(url, init)), cleanup: async () => env.cleanup() }
}

async function rgwTarget(): Promise<Target> {
  const { bucket, client, storage } = await makeBucket('sniff')
  const handler = (o = {}) => createUploadHandler({ ...options, storage, ...o })
  return { storage, handler, fetchUrl: (url, init) => fetch(url, init), cleanup: () => emptyBucket(client, bucket) }
}

for (const [name, make] of [['disk', diskTarget], ['Ceph RGW', rgwTarget]] as const) {
  describe(`content check: ${name}`, () => {
    let t: Target
    let h: Handler
    before(async () => {
      t = await make()
      h = t.handler()
    })
    after(async () => t.cleanup())

    /** POST /plan, the PUT it says, then POST /finish: Hoist's transport for one request. */
    async function putPlanned(filename: string, type: string, body: Uint8Array, handler = h) {
      const plan = (await call(handler, 'POST', '/plan', { filename, type, size: body.length, metadata: {} })).json
      assert.equal(plan.kind, 'put', JSON.stringify(plan))
      const sent = await t.fetchUrl(plan.url, { method: 'PUT', headers: plan.headers, body: body as BodyInit })
      assert.equal(sent.status, 200)
      return { key: keyOf(plan.token), finished: await call(handler, 'POST', '/finish', { token: plan.token }) }
    }

    /** A stock Uppy multipart upload: POST /s3/multipart, part URLs, the parts, then complete. */
    async function multipart(filename: string, type: string, body: Uint8Array, handler = h) {
      const created = (await call(handler, 'POST', '/s3/multipart', { filename, type, metadata: {} })).json
      const id = encodeURIComponent(created.uploadId)
      const url = (await call(handler, 'GET', `/s3/multipart/${id}/1${q({ key: created.key })}`)).json.url
      const sent = await t.fetchUrl(url, { method: 'PUT', body: body as BodyInit })
      assert.equal(sent.status, 200)
      const parts = [{ PartNumber: 1, ETag: sent.headers.get('etag')! }]
      return { key: created.key as string, completed: await call(handler, 'POST', `/s3/multipart/${id}/complete${q({ key: created.key })}`, { parts }) }
    }

    /** A stock Uppy form upload, straight to storage; nothing checks it until GET /object. */
    async function formUpload(filename: string, type: string, body: Uint8Array) {
      const p = (await call(h, 'GET', `/s3/params${q({ filename, type })}`)).json
      const form = new FormData()
      for (const [k, v] of Object.entries(p.fields as Record<string, string>)) form.set(k, v)
      form.set('file', new Blob([body as BlobPart], { type }))
      const r = await t.fetchUrl(p.url, { method: 'POST', ...(await serializeForm(form)) })
      assert.ok(r.status < 300, `form upload status ${r.status}`)
      return p.fields.key as string
    }

    function assertMismatch(r: { status: number; json: { error?: { code: string; message: string } } }, message: RegExp) {
      assert.equal(r.status, 400, JSON.stringify(r.json))
      assert.equal(r.json.error?.code, 'type_mismatch')
      assert.match(r.json.error!.message, message)
    }

    it('deletes and refuses HTML uploaded as photo.jpg (image/jpeg) at POST /finish', async () => {
      const up = await putPlanned('photo.jpg', 'image/jpeg', html())
      assertMismatch(up.finished, /^The file's content is HTML \(text\/html\), not image\/jpeg as declared\.$/)
      assert.equal(await t.storage.head(up.key), null)
    })

    it('deletes and refuses HTML uploaded as photo.jpg at multipart complete, and an SVG with script as a PNG', async () => {
      const page = await multipart('photo.jpg', 'image/jpeg', html())
      assertMismatch(page.completed, /HTML \(text\/html\), not image\/jpeg/)
      assert.equal(await t.storage.head(page.key), null)
      const drawing = await multipart('logo.png', 'image/png', svg('<script>alert(1)</script>'))
      assertMismatch(drawing.completed, /an SVG image with a <script> element \(image\/svg\+xml\), not image\/png/)
      assert.equal(await t.storage.head(drawing.key), null)
    })

    it('GET /object refuses a disguised file a form upload stored, and leaves it where it is', async () => {
      const key = await formUpload('photo.jpg', 'image/jpeg', html())
      assertMismatch(await call(h, 'GET', `/object${q({ key })}`), /HTML \(text\/html\), not image\/jpeg/)
      assert.notEqual(await t.storage.head(key), null)
    })

    it('refuses an executable uploaded as application/pdf', async () => {
      const up = await putPlanned('report.pdf', 'application/pdf', elf())
      assertMismatch(up.finished, /an ELF executable \(application\/x-elf\), not application\/pdf as declared/)
      assert.equal(await t.storage.head(up.key), null)
    })

    it('describes a PNG sent as application/octet-stream as image/png, with its size, at finish and at GET /object', async () => {
      const up = await putPlanned('scan', 'application/octet-stream', png(64, 48))
      assert.equal(up.finished.status, 200, up.finished.text)
      assert.equal(up.finished.json.type, 'image/png')
      assert.equal(up.finished.json.width, 64)
      assert.equal(up.finished.json.height, 48)
      const info = (await call(h, 'GET', `/object${q({ key: up.finished.json.key })}`)).json
      assert.deepEqual([info.type, info.width, info.height], ['image/png', 64, 48])
    })

    it('accepts a PNG declared image/jpeg at multipart complete, as image/png', async () => {
      const up = await multipart('photo.jpg', 'image/jpeg', png(10, 20))
      assert.equal(up.completed.status, 200, up.completed.text)
      assert.deepEqual([up.completed.json.type, up.completed.json.width, up.completed.json.height], ['image/png', 10, 20])
      assert.equal(up.completed.json.location, up.completed.json.url)
    })

    it('refuses a PDF declared image/png where allowedTypes is image/*', async () => {
      const images = t.handler({ allowedTypes: ['image/*'] })
      const up = await putPlanned('scan.png', 'image/png', pdf(), images)
      assertMismatch(up.finished, /a PDF document \(application\/pdf\), which is not allowed here; allowed: image\/\*/)
      assert.equal(await t.storage.head(up.key), null)
    })

    it('keeps text/plain for a plain text file, and gives no size', async () => {
      const up = await putPlanned('notes.txt', 'text/plain', Buffer.from('BMW and MZ are not magic bytes here.\n'))
      assert.equal(up.finished.status, 200, up.finished.text)
      assert.equal(up.finished.json.type, 'text/plain')
      assert.equal('width' in up.finished.json, false)
    })

    it('reads the size of a JPEG whose SOF follows a 100 KiB EXIF block', async () => {
      const photo = jpeg(4000, 3000, 100 * 1024)
      const key = await formUpload('photo.jpg', 'image/jpeg', photo)
      const info = await call(h, 'GET', `/object${q({ key })}`)
      assert.equal(info.status, 200, info.text)
      assert.deepEqual([info.json.type, info.json.width, info.json.height], ['image/jpeg', 4000, 3000])
    })

    it('in a batch finish, refuses the disguised file and finishes the others', async () => {
      const files = [
        { filename: 'a.png', type: 'image/png', body: png(3, 3) },
        { filename: 'b.jpg', type: 'image/jpeg', body: html() },
        { filename: 'c.txt', type: 'text/plain', body: Buffer.from('hello\n') },
      ]
      const plans = (await call(h, 'POST', '/plan', { files: files.map((f) => ({ filename: f.filename, type: f.type, size: f.body.length, metadata: {} })) })).json.plans
      for (const [i, f] of files.entries()) assert.equal((await t.fetchUrl(plans[i].url, { method: 'PUT', headers: plans[i].headers, body: f.body as BodyInit })).status, 200)
      const [a, b, c] = (await call(h, 'POST', '/finish', { files: plans.map((p: { token: string }) => ({ token: p.token })) })).json.files
      assert.deepEqual([a.type, a.width, a.height], ['image/png', 3, 3])
      assert.deepEqual(b.error, { code: 'type_mismatch', message: b.error.message, status: 400 })
      assert.equal(await t.storage.head(keyOf(plans[1].token)), null)
      assert.equal(c.type, 'text/plain')
    })
  })
}
