// Self-test of the VIESUS Cloud contract fake: plain fetch from Node, no Hoist code.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { crc32, deflateSync } from 'node:zlib'
import { startViesusFake, type ViesusFake } from './viesus.js'

const KEY = 'viesus-test-key'

/** A valid PNG (8-bit RGB, no interlace) of the given size, IHDR and CRCs computed properly. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(td) >>> 0)
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // colour type: RGB
  ihdr[10] = 0 // compression
  ihdr[11] = 0 // filter
  ihdr[12] = 0 // interlace
  const rows: Buffer[] = []
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3) // filter byte 0, then RGB
    for (let x = 0; x < width; x++) row.set([(x * 80) & 255, (y * 120) & 255, 200], 1 + x * 3)
    rows.push(row)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/** The head of a baseline JPEG: SOI, an APP0 segment, then SOF0 giving height×width. */
function jpegHead(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00])
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])])
}

let fake: ViesusFake
let clock = Date.now()

async function gql(query: string, variables?: unknown, key: string | null = KEY, extra: Record<string, unknown> = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== null) headers['x-api-key'] = key
  const res = await fetch(`${fake.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables, ...extra }) })
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: Record<string, any> | null; errors?: any[] } }
}

const CREATE = `mutation Create($input: CreateSignedUploadUrlInput!) {
  createSignedUploadUrl(input: $input) { uploadId uploadUrl }
}`
const COMPLETE = `mutation Complete($id: String!) {
  completeSignedUpload(id: $id) {
    id status filesize mimetype extension originalFilename filename width height url startedAt finishedAt duration
  }
}`

async function create(input: Record<string, unknown>) {
  const r = await gql(CREATE, { input })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  assert.equal(r.body.errors, undefined, JSON.stringify(r.body))
  return r.body.data!.createSignedUploadUrl as { uploadId: string; uploadUrl: string }
}

const put = (url: string, bytes: Buffer, type?: string) =>
  fetch(url, { method: 'PUT', body: new Uint8Array(bytes), headers: type === undefined ? {} : { 'content-type': type } })

/** Asserts the GraphQL error shape: data null, one error with this code and a message matching `re`. */
function assertError(r: Awaited<ReturnType<typeof gql>>, status: number, code: string, re: RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.equal(r.body.data, null)
  assert.equal(r.body.errors?.length, 1, JSON.stringify(r.body))
  assert.equal(r.body.errors![0].extensions.code, code)
  assert.match(r.body.errors![0].message, re)
}

describe('VIESUS Cloud fake', () => {
  before(async () => {
    fake = await startViesusFake({ apiKey: KEY, maxFilesize: 1024 * 1024, now: () => clock })
  })
  after(() => fake.close())

  it('runs the three-step signed upload of a PNG and stores it byte-identical', async () => {
    const bytes = png(3, 2)
    const { uploadId, uploadUrl } = await create({ filename: 'tiny.png', filesize: bytes.length, mimetype: 'image/png' })
    assert.match(uploadUrl, new RegExp(`^${fake.url}/storage/${uploadId}\\?token=[0-9a-f]{48}$`))

    const preflight = await fetch(uploadUrl, { method: 'OPTIONS', headers: { origin: 'http://page.test', 'access-control-request-method': 'PUT' } })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*')

    const p = await put(uploadUrl, bytes, 'image/png')
    assert.equal(p.status, 200)
    assert.match(p.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/)
    assert.equal(p.headers.get('access-control-allow-origin'), '*')
    assert.equal(fake.stored.size, 0, 'nothing is stored before completion')

    const c = await gql(COMPLETE, { id: uploadId })
    assert.equal(c.status, 200, JSON.stringify(c.body))
    assert.equal(c.headers.get('access-control-allow-origin'), null, '/graphql has no CORS')
    const rec = c.body.data!.completeSignedUpload
    assert.notEqual(rec.id, uploadId)
    assert.equal(rec.status, 'COMPLETED')
    assert.equal(rec.filesize, bytes.length)
    assert.equal(rec.mimetype, 'image/png')
    assert.equal(rec.extension, 'png')
    assert.equal(rec.originalFilename, 'tiny.png')
    assert.equal(rec.filename, `${rec.id}.png`)
    assert.equal(rec.width, 3)
    assert.equal(rec.height, 2)
    assert.equal(rec.url, `${fake.url}/files/${rec.id}/${rec.filename}`)
    assert.ok(!Number.isNaN(Date.parse(rec.startedAt)) && !Number.isNaN(Date.parse(rec.finishedAt)))
    assert.equal(typeof rec.duration, 'number')

    const file = fake.stored.get(rec.id)!
    assert.ok(file.bytes.equals(bytes))
    assert.equal(file.type, 'image/png')
    assert.equal(file.name, 'tiny.png')

    const got = await fetch(rec.url, { headers: { origin: 'http://page.test' } })
    assert.equal(got.status, 200)
    assert.equal(got.headers.get('access-control-allow-origin'), '*')
    assert.equal(got.headers.get('content-type'), 'image/png')
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes))
  })

  it('takes inline literal arguments, aliases and fragments, and answers only the fields asked for', async () => {
    const bytes = jpegHead(640, 480)
    const r = await gql(`mutation { up: createSignedUploadUrl(input: { filename: "p.jpeg", filesize: ${bytes.length}, mimetype: "image/jpeg" }) { uploadUrl uploadId __typename } }`)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    assert.deepEqual(Object.keys(r.body.data!.up), ['uploadUrl', 'uploadId', '__typename'])
    const { uploadId, uploadUrl } = r.body.data!.up
    assert.equal((await put(uploadUrl, bytes, 'image/jpeg')).status, 200)
    const c = await gql(`mutation { completeSignedUpload(id: "${uploadId}") { ...F w: width } } fragment F on Upload { id height }`)
    assert.equal(c.status, 200, JSON.stringify(c.body))
    assert.deepEqual(Object.keys(c.body.data!.completeSignedUpload), ['id', 'height', 'w'])
    assert.equal(c.body.data!.completeSignedUpload.w, 640)
    assert.equal(c.body.data!.completeSignedUpload.height, 480)
  })

  it('refuses a request without x-api-key with 401 UNAUTHENTICATED', async () => {
    const r = await gql(CREATE, { input: { filename: 'a.png', filesize: 1, mimetype: 'image/png' } }, null)
    assert.equal(r.status, 401)
    assert.deepEqual(Object.keys(r.body), ['errors'])
    assert.equal(r.body.errors![0].extensions.code, 'UNAUTHENTICATED')
    assert.equal(typeof r.body.errors![0].message, 'string')
  })

  it('refuses a wrong x-api-key with 401 UNAUTHENTICATED', async () => {
    const before = fake.signedUploads.size
    const r = await gql(CREATE, { input: { filename: 'a.png', filesize: 1, mimetype: 'image/png' } }, 'nope')
    assert.equal(r.status, 401)
    assert.equal(r.body.errors![0].extensions.code, 'UNAUTHENTICATED')
    assert.equal(fake.signedUploads.size, before, 'no upload was created')
  })

  it('refuses a missing filesize (variables and inline) with BAD_USER_INPUT', async () => {
    assertError(await gql(CREATE, { input: { filename: 'a.png', mimetype: 'image/png' } }), 200, 'BAD_USER_INPUT', /filesize.*required type "Int!"/)
    assertError(
      await gql('mutation { createSignedUploadUrl(input: { filename: "a.png", mimetype: "image/png" }) { uploadId } }'),
      200,
      'BAD_USER_INPUT',
      /CreateSignedUploadUrlInput\.filesize.*not provided/,
    )
  })

  it('refuses invalid input values with BAD_USER_INPUT', async () => {
    assertError(await gql(CREATE, { input: { filename: 'a.png', filesize: '12', mimetype: 'image/png' } }), 200, 'BAD_USER_INPUT', /Int cannot represent/)
    assertError(await gql(CREATE, { input: { filename: 'a.png', filesize: 0, mimetype: 'image/png' } }), 200, 'BAD_USER_INPUT', /positive integer/)
    assertError(await gql(CREATE, { input: { filename: 'a.png', filesize: 12, mimetype: 'png' } }), 200, 'BAD_USER_INPUT', /type\/subtype/)
    assertError(await gql(CREATE, { input: { filename: '', filesize: 12, mimetype: 'image/png' } }), 200, 'BAD_USER_INPUT', /filename/)
    assertError(await gql(CREATE, { input: { filename: 'a', filesize: 1, mimetype: 'image/png', extra: 1 } }), 200, 'BAD_USER_INPUT', /"extra" is not defined/)
    assertError(await gql(CREATE, {}), 200, 'BAD_USER_INPUT', /\$input.*was not provided/)
  })

  it('refuses a filesize above maxFilesize as too large', async () => {
    const r = await gql(CREATE, { input: { filename: 'big.png', filesize: 1024 * 1024 + 1, mimetype: 'image/png' } })
    assertError(r, 200, 'BAD_USER_INPUT', /too large/)
    assert.deepEqual(r.body.errors![0].path, ['createSignedUploadUrl'])
  })

  it('refuses completion when the stored length differs from filesize', async () => {
    const bytes = png(1, 1)
    const { uploadId, uploadUrl } = await create({ filename: 'a.png', filesize: bytes.length + 5, mimetype: 'image/png' })
    assert.equal((await put(uploadUrl, bytes, 'image/png')).status, 200, 'the PUT itself stores whatever it gets')
    assertError(await gql(COMPLETE, { id: uploadId }), 200, 'BAD_USER_INPUT', new RegExp(`filesize mismatch: declared ${bytes.length + 5} bytes, but ${bytes.length} bytes`))
    assertError(await gql(COMPLETE, { id: uploadId }), 200, 'BAD_USER_INPUT', /has failed/)
  })

  it('refuses completion when the PUT Content-Type differs from mimetype (or the bytes say otherwise)', async () => {
    const bytes = png(1, 1)
    const a = await create({ filename: 'a.png', filesize: bytes.length, mimetype: 'image/png' })
    await put(a.uploadUrl, bytes, 'image/jpeg')
    assertError(await gql(COMPLETE, { id: a.uploadId }), 200, 'BAD_USER_INPUT', /mimetype mismatch: declared "image\/png".*Content-Type "image\/jpeg"/)

    const b = await create({ filename: 'b.jpg', filesize: bytes.length, mimetype: 'image/jpeg' })
    await put(b.uploadUrl, bytes, 'image/jpeg')
    assertError(await gql(COMPLETE, { id: b.uploadId }), 200, 'BAD_USER_INPUT', /file content is "image\/png"/)
  })

  it('refuses completion before anything was PUT', async () => {
    const { uploadId } = await create({ filename: 'a.png', filesize: 10, mimetype: 'image/png' })
    assertError(await gql(COMPLETE, { id: uploadId }), 200, 'BAD_USER_INPUT', /no file yet/)
  })

  it('refuses storage PUTs with a bad, missing or expired token (403 S3 XML)', async () => {
    const bytes = png(1, 1)
    const { uploadId, uploadUrl } = await create({ filename: 'a.png', filesize: bytes.length, mimetype: 'image/png' })
    const bad = await put(uploadUrl.replace(/token=./, 'token=x'), bytes, 'image/png')
    assert.equal(bad.status, 403)
    assert.equal(bad.headers.get('access-control-allow-origin'), '*')
    assert.match(await bad.text(), /^<\?xml[^>]*>\s*<Error><Code>SignatureDoesNotMatch<\/Code><Message>/)
    const none = await put(`${fake.url}/storage/${uploadId}`, bytes, 'image/png')
    assert.equal(none.status, 403)
    assert.match(await none.text(), /<Error><Code>AccessDenied<\/Code>/)
    clock += 15 * 60 * 1000 + 1
    try {
      const late = await put(uploadUrl, bytes, 'image/png')
      assert.equal(late.status, 403)
      assert.match(await late.text(), /<Error><Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/)
    } finally {
      clock -= 15 * 60 * 1000 + 1
    }
    assert.equal(fake.signedUploads.get(uploadId)!.put, undefined)
  })

  it('refuses a storage PUT without Content-Length (411)', async () => {
    const { uploadUrl } = await create({ filename: 'a.png', filesize: 3, mimetype: 'image/png' })
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array([1, 2, 3]))
        c.close()
      },
    })
    const r = await fetch(uploadUrl, { method: 'PUT', body, headers: { 'content-type': 'image/png' }, duplex: 'half' } as RequestInit)
    assert.equal(r.status, 411)
    assert.match(await r.text(), /<Code>MissingContentLength<\/Code>/)
  })

  it('refuses completing twice, and a spent upload URL', async () => {
    const bytes = png(1, 1)
    const { uploadId, uploadUrl } = await create({ filename: 'a.png', filesize: bytes.length, mimetype: 'image/png' })
    await put(uploadUrl, bytes, 'image/png')
    const first = await gql(COMPLETE, { id: uploadId })
    assert.equal(first.body.data!.completeSignedUpload.status, 'COMPLETED')
    assertError(await gql(COMPLETE, { id: uploadId }), 200, 'BAD_USER_INPUT', /already been completed/)
    const again = await put(uploadUrl, bytes, 'image/png')
    assert.equal(again.status, 403)
    assert.match(await again.text(), /<Code>AccessDenied<\/Code>/)
  })

  it('answers NOT_FOUND for an unknown upload id', async () => {
    assertError(await gql('mutation { completeSignedUpload(id: "nope") { id } }'), 200, 'NOT_FOUND', /not found/)
  })

  it('deletes uploads: deletedUploadIds, gone from stored and from its URL', async () => {
    const bytes = png(2, 2)
    const { uploadId, uploadUrl } = await create({ filename: 'd.png', filesize: bytes.length, mimetype: 'image/png' })
    await put(uploadUrl, bytes, 'image/png')
    const rec = (await gql(COMPLETE, { id: uploadId })).body.data!.completeSignedUpload
    assert.ok(fake.stored.has(rec.id))
    const d = await gql('mutation Del($ids: [String!]!) { deleteUploads(ids: $ids) { deletedUploadIds } }', { ids: [rec.id, 'unknown'] })
    assert.equal(d.status, 200, JSON.stringify(d.body))
    assert.deepEqual(d.body, { data: { deleteUploads: { deletedUploadIds: [rec.id] } } })
    assert.equal(fake.stored.has(rec.id), false)
    const gone = await fetch(rec.url)
    assert.equal(gone.status, 404)
    assert.match(await gone.text(), /<Code>NoSuchKey<\/Code>/)
    const inline = await gql(`mutation { deleteUploads(ids: ["${rec.id}"]) { deletedUploadIds } }`)
    assert.deepEqual(inline.body.data!.deleteUploads.deletedUploadIds, [])
  })

  it('refuses unknown fields and unparsable queries with GRAPHQL_VALIDATION_FAILED', async () => {
    assertError(await gql('mutation { uploadEverything { id } }'), 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "uploadEverything" on type "Mutation"/)
    assertError(await gql(`mutation { completeSignedUpload(id: "x") { id colour } }`), 400, 'GRAPHQL_VALIDATION_FAILED', /Cannot query field "colour" on type "Upload"/)
    assertError(await gql('mutation { completeSignedUpload(id: "x") }'), 400, 'GRAPHQL_VALIDATION_FAILED', /must have a selection of subfields/)
    assertError(await gql('mutation { createSignedUploadUrl(input: {'), 400, 'GRAPHQL_VALIDATION_FAILED', /Syntax Error/)
    assertError(await gql('mutation { createSignedUploadUrl(input: $nope) { uploadId } }'), 400, 'GRAPHQL_VALIDATION_FAILED', /"\$nope" is not defined/)
    assertError(
      await gql('mutation M($input: CreateSignedUploadUrlInput) { createSignedUploadUrl(input: $input) { uploadId } }', { input: {} }),
      400,
      'GRAPHQL_VALIDATION_FAILED',
      /used in position expecting type "CreateSignedUploadUrlInput!"/,
    )
  })

  it('refuses a storage PUT larger than maxFilesize (400 EntityTooLarge) and other methods on the signed URL (403)', async () => {
    const { uploadUrl } = await create({ filename: 'a.png', filesize: 1024, mimetype: 'image/png' })
    const big = await put(uploadUrl, Buffer.alloc(1024 * 1024 + 1), 'image/png')
    assert.equal(big.status, 400)
    assert.match(await big.text(), /<Code>EntityTooLarge<\/Code>/)
    const get = await fetch(uploadUrl)
    assert.equal(get.status, 403)
    assert.match(await get.text(), /<Code>SignatureDoesNotMatch<\/Code>/)
  })

  it('refuses non-JSON, non-POST and malformed /graphql requests with BAD_REQUEST', async () => {
    const query = 'mutation { updateFileRetention(days: 7) { uploadRetentionDays } }'
    const asText = await fetch(`${fake.url}/graphql`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'text/plain' }, body: JSON.stringify({ query }) })
    assert.equal(asText.status, 400)
    assert.equal(((await asText.json()) as any).errors[0].extensions.code, 'BAD_REQUEST')
    const notJson = await fetch(`${fake.url}/graphql`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{nope' })
    assert.equal(notJson.status, 400)
    assert.equal(((await notJson.json()) as any).errors[0].extensions.code, 'BAD_REQUEST')
    const get = await fetch(`${fake.url}/graphql`, { headers: { 'x-api-key': KEY } })
    assert.equal(get.status, 405)
    assert.equal(((await get.json()) as any).errors[0].extensions.code, 'BAD_REQUEST')
    const preflight = await fetch(`${fake.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'http://page.test' } })
    assert.equal(preflight.headers.get('access-control-allow-origin'), null)
    assertError(await gql('mutation { x }', undefined, KEY, { variables: [1] }), 400, 'BAD_REQUEST', /variables/)
  })

  it('sets the retention with updateFileRetention and refuses a day count out of range', async () => {
    const r = await gql('mutation { updateFileRetention(days: 7) { uploadRetentionDays } }')
    assert.deepEqual(r.body, { data: { updateFileRetention: { uploadRetentionDays: 7 } } })
    assert.equal(fake.retentionDays(), 7)
    assertError(await gql('mutation { updateFileRetention(days: 0) { uploadRetentionDays } }'), 200, 'BAD_USER_INPUT', /between 1 and 365/)
  })

  it('createUploadFromUrl answers the record of the file the link holds, never fetching it', async () => {
    const bytes = png(5, 4)
    fake.remote.set('https://files.example/photo.png', { bytes, type: 'image/png' })
    const r = await gql('mutation { createUploadFromUrl(input: { url: "https://files.example/photo.png" }) { id status filesize mimetype originalFilename width height url } }')
    assert.equal(r.status, 200, JSON.stringify(r.body))
    const u = r.body.data!.createUploadFromUrl
    assert.deepEqual({ ...u, id: undefined, url: undefined }, { id: undefined, url: undefined, status: 'COMPLETED', filesize: bytes.length, mimetype: 'image/png', originalFilename: 'photo.png', width: 5, height: 4 })
    assert.ok(fake.stored.get(u.id)!.bytes.equals(bytes))
    const served = await fetch(u.url)
    assert.ok(Buffer.from(await served.arrayBuffer()).equals(bytes))
    // deleteUploads removes it; the same id again deletes nothing.
    const del = await gql(`mutation { deleteUploads(ids: [${JSON.stringify(u.id)}]) { deletedUploadIds } }`)
    assert.deepEqual(del.body, { data: { deleteUploads: { deletedUploadIds: [u.id] } } })
    assert.equal(fake.stored.has(u.id), false)
    const again = await gql(`mutation { deleteUploads(ids: [${JSON.stringify(u.id)}]) { deletedUploadIds } }`)
    assert.deepEqual(again.body, { data: { deleteUploads: { deletedUploadIds: [] } } })
  })

  it('createUploadFromUrl refuses an unreachable or unknown link, a missing or non-http url, a malformed document and a bad key', async () => {
    fake.remote.set('https://down.example/a.png', 'unreachable')
    const from = (input: string) => gql(`mutation { createUploadFromUrl(input: ${input}) { id } }`)
    assertError(await from('{ url: "https://down.example/a.png" }'), 200, 'BAD_USER_INPUT', /could not be reached/)
    assertError(await from('{ url: "https://files.example/missing.png" }'), 200, 'BAD_USER_INPUT', /404/)
    assertError(await from('{ url: "ftp://files.example/a.png" }'), 200, 'BAD_USER_INPUT', /http or https/)
    assertError(await from('{ url: 42 }'), 200, 'BAD_USER_INPUT', /String cannot represent/)
    assertError(await from('{ }'), 200, 'BAD_USER_INPUT', /url.*was not provided/)
    assertError(await gql('mutation { createUploadFromUrl { id } }'), 400, 'GRAPHQL_VALIDATION_FAILED', /argument "input"/)
    assertError(await gql('mutation { createUploadFromUrl(input: { url: "https://files.example/a.png" ) { id } }'), 400, 'GRAPHQL_VALIDATION_FAILED', /Syntax Error/)
    const noKey = await gql('mutation { createUploadFromUrl(input: { url: "https://files.example/photo.png" }) { id } }', undefined, null)
    assert.equal(noKey.status, 401)
    assert.equal(noKey.body.errors![0].extensions.code, 'UNAUTHENTICATED')
    const wrongKey = await gql('mutation { deleteUploads(ids: ["x"]) { deletedUploadIds } }', undefined, 'wrong-key')
    assert.equal(wrongKey.status, 401)
  })

  it('failNext makes the next /graphql request answer the given response', async () => {
    fake.failNext('/graphql', 503, { errors: [{ message: 'down' }] })
    const r = await gql(CREATE, { input: { filename: 'a.png', filesize: 1, mimetype: 'image/png' } })
    assert.equal(r.status, 503)
    assert.deepEqual(r.body, { errors: [{ message: 'down' }] })
    const next = await gql(CREATE, { input: { filename: 'a.png', filesize: 1, mimetype: 'image/png' } })
    assert.equal(next.status, 200)
  })
})
