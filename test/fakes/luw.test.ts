// Self-test of the Luw.ai contract fake, driven with plain fetch from Node.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startLuwFake, type LuwFake } from './luw.js'

const TOKEN = 'luw-test-token'
const auth = { authorization: `Bearer ${TOKEN}` }
// A real 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const FUTURE = 'Fri, 19 Jul 2030 18:06:32 GMT'
const putHeaders = (type: string): Record<string, string> => ({ 'content-type': type, 'cache-control': 'max-age=315360000', expires: FUTURE })

const form = (fields: Record<string, string>) => {
  const fd = new FormData()
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  return fd
}

async function allocate(fake: LuwFake, fields: Record<string, string>, headers: Record<string, string> = auth) {
  const res = await fetch(`${fake.url}/v2/upload`, { method: 'POST', headers, body: form(fields) })
  return { res, body: (await res.json()) as { status: boolean; signed_url: string; final_url: string; message?: string } }
}

const finalize = (fake: LuwFake, url: string, headers: Record<string, string> = auth) =>
  fetch(`${fake.url}/v2/finalize_upload?${new URLSearchParams({ url })}`, { headers })

async function expectJson(res: Response, status: number, body: unknown) {
  assert.equal(res.status, status)
  assert.match(res.headers.get('content-type') ?? '', /application\/json/)
  assert.equal(res.headers.get('access-control-allow-origin'), null, 'API routes answer no CORS')
  assert.deepEqual(await res.json(), body)
}

async function expectXml(res: Response, status: number, code: string, message?: RegExp) {
  assert.equal(res.status, status)
  assert.match(res.headers.get('content-type') ?? '', /application\/xml/)
  const text = await res.text()
  assert.match(text, new RegExp(`<Error><Code>${code}</Code><Message>`))
  if (message) assert.match(text, message)
}

describe('Luw.ai fake', () => {
  let fake: LuwFake
  let clock = Date.now()
  before(async () => {
    fake = await startLuwFake({ token: TOKEN, now: () => clock })
  })
  after(() => fake.close())

  it('runs the documented flow for a small PNG with a pid, byte-identical', async () => {
    const { res, body } = await allocate(fake, { filename: 'image.png', pid: '123' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('access-control-allow-origin'), null)
    assert.equal(body.status, true)
    assert.equal(body.final_url, `${fake.url}/cdn/luwai/123/image.png`)
    assert.match(body.signed_url, new RegExp(`^${fake.url}/storage/[0-9a-f]{32}\\?X-Goog-Signature=[0-9a-f]{64}$`))
    assert.deepEqual(fake.uploads.get(body.final_url), { filename: 'image.png', pid: '123', temporary: false, putHeaders: undefined })

    // Not served before it is finalized.
    assert.equal((await fetch(body.final_url)).status, 404)

    const put = await fetch(body.signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: PNG })
    assert.equal(put.status, 200)
    assert.equal(put.headers.get('etag'), `"${createHash('md5').update(PNG).digest('hex')}"`)
    assert.equal(put.headers.get('access-control-allow-origin'), '*', 'storage has bucket CORS')
    assert.deepEqual(fake.uploads.get(body.final_url)?.putHeaders, putHeaders('image/png'))
    assert.equal(fake.stored.has(body.final_url), false, 'not stored before finalize')
    assert.equal((await fetch(body.final_url)).status, 404, 'still not served before finalize')

    await expectJson(await finalize(fake, body.final_url), 200, { status: true })
    const file = fake.stored.get(body.final_url)
    assert.ok(file)
    assert.ok(file.bytes.equals(PNG))
    assert.equal(file.type, 'image/png')
    assert.equal(file.name, 'image.png')
    assert.deepEqual(file.meta, { temporary: 'false', pid: '123' })

    // Finalizing again is fine and changes nothing.
    await expectJson(await finalize(fake, body.final_url), 200, { status: true })
    assert.equal(fake.stored.get(body.final_url), file)

    const cdn = await fetch(body.final_url)
    assert.equal(cdn.status, 200)
    assert.equal(cdn.headers.get('content-type'), 'image/png')
    assert.equal(cdn.headers.get('access-control-allow-origin'), '*')
    assert.ok(Buffer.from(await cdn.arrayBuffer()).equals(PNG))

    // A PUT after finalize cannot swap the published bytes.
    await expectXml(await fetch(body.signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: 'other' }), 403, 'AccessDenied')
  })

  it('marks an x12tmp- name as temporary (urlencoded body, no pid)', async () => {
    const res = await fetch(`${fake.url}/v2/upload`, {
      method: 'POST',
      headers: auth,
      body: new URLSearchParams({ filename: 'x12tmp-clip.MP4' }),
    })
    const body = (await res.json()) as { signed_url: string; final_url: string }
    assert.equal(res.status, 200)
    assert.equal(body.final_url, `${fake.url}/cdn/luwai/default/x12tmp-clip.MP4`)
    assert.equal(fake.uploads.get(body.final_url)?.temporary, true)
    const bytes = Buffer.from('not really an mp4')
    assert.equal((await fetch(body.signed_url, { method: 'PUT', headers: putHeaders('video/mp4'), body: bytes })).status, 200)
    await expectJson(await finalize(fake, body.final_url), 200, { status: true })
    const file = fake.stored.get(body.final_url)
    assert.ok(file?.bytes.equals(bytes))
    assert.deepEqual(file?.meta, { temporary: 'true', pid: '' })
  })

  it('gives a second upload of the same name its own final_url', async () => {
    const a = await allocate(fake, { filename: 'twice.jpg', pid: '7' })
    const b = await allocate(fake, { filename: 'twice.jpg', pid: '7' })
    assert.equal(a.body.final_url, `${fake.url}/cdn/luwai/7/twice.jpg`)
    assert.match(b.body.final_url, new RegExp(`^${fake.url}/cdn/luwai/7/twice-[0-9a-f]{6}\\.jpg$`))
    assert.equal(fake.uploads.get(b.body.final_url)?.filename, 'twice.jpg')
  })

  it('has no CORS on API routes and records the Origin', async () => {
    const pre = await fetch(`${fake.url}/v2/upload`, { method: 'OPTIONS', headers: { origin: 'http://page.test', 'access-control-request-method': 'POST' } })
    assert.equal(pre.status, 404)
    assert.equal(pre.headers.get('access-control-allow-origin'), null)
    const { res } = await allocate(fake, { filename: 'o.png' }, { ...auth, origin: 'http://page.test' })
    assert.equal(res.headers.get('access-control-allow-origin'), null)
    assert.ok(fake.requests.some((r) => r.path === '/v2/upload' && r.method === 'POST' && r.origin === 'http://page.test' && r.fromBrowser))
    const storagePre = await fetch(`${fake.url}/storage/x`, { method: 'OPTIONS', headers: { origin: 'http://page.test' } })
    assert.equal(storagePre.status, 204)
    assert.equal(storagePre.headers.get('access-control-allow-origin'), '*')
  })

  describe('refusals', () => {
    it('no token → 401', async () => {
      const { res, body } = await allocate(fake, { filename: 'a.png' }, {})
      assert.equal(res.status, 401)
      assert.deepEqual(body, { status: false, message: 'Unauthorized' })
      await expectJson(await finalize(fake, `${fake.url}/cdn/luwai/123/image.png`, {}), 401, { status: false, message: 'Unauthorized' })
    })

    it('wrong token → 401', async () => {
      const { res, body } = await allocate(fake, { filename: 'a.png' }, { authorization: 'Bearer nope' })
      assert.equal(res.status, 401)
      assert.deepEqual(body, { status: false, message: 'Unauthorized' })
      const basic = await allocate(fake, { filename: 'a.png' }, { authorization: TOKEN })
      assert.equal(basic.res.status, 401)
    })

    it('missing filename → 400', async () => {
      const { res, body } = await allocate(fake, { pid: '1' })
      assert.equal(res.status, 400)
      assert.deepEqual(body, { status: false, message: 'The filename field is required' })
    })

    it('filename sent as a file → 400', async () => {
      const fd = new FormData()
      fd.append('filename', new Blob([PNG], { type: 'image/png' }), 'image.png')
      await expectJson(await fetch(`${fake.url}/v2/upload`, { method: 'POST', headers: auth, body: fd }), 400, {
        status: false,
        message: 'filename must be a file name, not a file',
      })
    })

    it('a JSON body → 400', async () => {
      const res = await fetch(`${fake.url}/v2/upload`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'a.png' }),
      })
      await expectJson(res, 400, { status: false, message: 'Body must be multipart/form-data or application/x-www-form-urlencoded' })
    })

    it('unsupported type (.exe) → 400', async () => {
      const { res, body } = await allocate(fake, { filename: 'setup.exe' })
      assert.equal(res.status, 400)
      assert.deepEqual(body, { status: false, message: 'Unsupported file type' })
      assert.equal((await allocate(fake, { filename: 'noextension' })).res.status, 400)
    })

    it('non-integer pid → 400', async () => {
      for (const pid of ['abc', '12.5', '-3', '']) {
        const { res, body } = await allocate(fake, { filename: 'a.png', pid })
        assert.equal(res.status, 400, pid)
        assert.deepEqual(body, { status: false, message: 'pid must be an integer' })
      }
    })

    const allocated = async (filename = 'p.png') => (await allocate(fake, { filename, pid: '5' })).body

    it('PUT without Cache-Control, or another value → 400 InvalidArgument', async () => {
      const { signed_url } = await allocated()
      const { 'cache-control': _, ...rest } = putHeaders('image/png')
      await expectXml(await fetch(signed_url, { method: 'PUT', headers: rest, body: PNG }), 400, 'InvalidArgument', /Cache-Control/)
      await expectXml(
        await fetch(signed_url, { method: 'PUT', headers: { ...putHeaders('image/png'), 'cache-control': 'max-age=3600' }, body: PNG }),
        400,
        'InvalidArgument',
        /Cache-Control/,
      )
    })

    it('PUT with a wrong or missing Expires → 400 InvalidArgument', async () => {
      const { signed_url } = await allocated()
      for (const expires of ['Thu, 01 Jan 2015 00:00:00 GMT', 'tomorrow', '2030-07-19T18:06:32Z', undefined]) {
        const headers = putHeaders('image/png')
        if (expires === undefined) delete headers.expires
        else headers.expires = expires
        await expectXml(await fetch(signed_url, { method: 'PUT', headers, body: PNG }), 400, 'InvalidArgument', /Expires/)
      }
      // The docs' own example date names the wrong weekday; it is still an HTTP date in the future.
      const docs = await fetch(signed_url, { method: 'PUT', headers: { ...putHeaders('image/png'), expires: 'Sun, 19 Jul 2030 18:06:32 GMT' }, body: PNG })
      assert.equal(docs.status, 200)
    })

    it('PUT without Content-Type, or the wrong one → 400 InvalidArgument', async () => {
      const { signed_url } = await allocated('q.jpeg')
      const { 'content-type': _, ...rest } = putHeaders('image/jpeg')
      await expectXml(await fetch(signed_url, { method: 'PUT', headers: rest, body: PNG }), 400, 'InvalidArgument', /Content-Type/)
      await expectXml(await fetch(signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: PNG }), 400, 'InvalidArgument', /image\/jpeg/)
      assert.equal((await fetch(signed_url, { method: 'PUT', headers: putHeaders('image/jpeg'), body: PNG })).status, 200)
    })

    it('bad or missing signature → 403 SignatureDoesNotMatch', async () => {
      const { signed_url } = await allocated()
      const altered = signed_url.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
      await expectXml(await fetch(altered, { method: 'PUT', headers: putHeaders('image/png'), body: PNG }), 403, 'SignatureDoesNotMatch')
      await expectXml(await fetch(signed_url.split('?')[0]!, { method: 'PUT', headers: putHeaders('image/png'), body: PNG }), 403, 'SignatureDoesNotMatch')
      await expectXml(await fetch(signed_url, { method: 'POST', headers: putHeaders('image/png'), body: PNG }), 403, 'SignatureDoesNotMatch')
    })

    it('expired signed URL (15 min) → 403 AccessDenied', async () => {
      const { signed_url } = await allocated()
      clock += 15 * 60 * 1000 + 1
      try {
        await expectXml(await fetch(signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: PNG }), 403, 'AccessDenied', /expired/)
      } finally {
        clock = Date.now()
      }
    })

    it('finalize before PUT → 400 File not uploaded', async () => {
      const { final_url } = await allocated()
      await expectJson(await finalize(fake, final_url), 400, { status: false, message: 'File not uploaded' })
      assert.equal(fake.stored.has(final_url), false)
    })

    it('finalize of an unknown url → 404, without url → 400', async () => {
      await expectJson(await finalize(fake, `${fake.url}/cdn/luwai/1/never.png`), 404, { status: false, message: 'Upload not found' })
      await expectJson(await fetch(`${fake.url}/v2/finalize_upload`, { headers: auth }), 400, {
        status: false,
        message: 'The url parameter is required',
      })
    })
  })

  it('failNext answers the next request to a path once', async () => {
    fake.failNext('/v2/upload', 503, { status: false, message: 'Service Unavailable' })
    await expectJson(await fetch(`${fake.url}/v2/upload`, { method: 'POST', headers: auth, body: form({ filename: 'f.png' }) }), 503, {
      status: false,
      message: 'Service Unavailable',
    })
    const { res, body } = await allocate(fake, { filename: 'f.png' })
    assert.equal(res.status, 200)
    fake.failNext('/storage', 500, '<Error><Code>InternalError</Code><Message>boom</Message></Error>')
    await expectXml(await fetch(body.signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: PNG }), 500, 'InternalError')
    assert.equal((await fetch(body.signed_url, { method: 'PUT', headers: putHeaders('image/png'), body: PNG })).status, 200)
  })
})
