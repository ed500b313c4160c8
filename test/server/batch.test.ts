// POST /plan and POST /finish for many files in one call: one answer per file, in order, and a file
// that fails fails alone.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { call, diskHandler, type Handler } from '../helpers/server.js'

const env = diskHandler({ maxFileSize: '1MiB', allowedTypes: ['image/*', 'text/plain'] })
const { handler } = env
after(env.cleanup)

/** Sends a put plan's bytes as a page would, with the plan's headers. */
const send = (h: Handler, plan: { url: string; headers: Record<string, string> }, size: number) =>
  h(new Request(plan.url, { method: 'PUT', headers: plan.headers, body: new Uint8Array(size) })).then((r) => r.status)

const file = (filename: string, size: number, type = 'image/png') => ({ filename, type, size, metadata: {} })

describe('batched plans and finishes', () => {
  it('plans many files in one call, refusing only the files policy refuses', async () => {
    const r = await call(handler, 'POST', '/plan', { files: [file('a.png', 10), file('b.exe', 10, 'application/x-msdownload'), file('c.png', 2 * 1024 * 1024), file('d.txt', 5, 'text/plain')] })
    assert.equal(r.status, 200)
    const [a, b, c, d] = r.json.plans
    assert.equal(r.json.plans.length, 4)
    assert.equal(a.kind, 'put')
    assert.equal(d.kind, 'put')
    assert.notEqual(a.url, d.url)
    assert.deepEqual(b.error, { code: 'type_not_allowed', message: b.error.message, status: 415 })
    assert.equal(c.error.code, 'file_too_large')
    assert.equal(c.error.status, 413)
  })

  it('finishes many files in one call, refusing only the file storage does not hold and a forged token', async () => {
    const planned = await call(handler, 'POST', '/plan', { files: [file('one.png', 4), file('two.png', 6), file('three.png', 8)] })
    const [one, two, three] = planned.json.plans
    assert.equal(await send(handler, one, 4), 200)
    assert.equal(await send(handler, two, 6), 200)
    // `three` is never sent: storage holds nothing for it.
    const r = await call(handler, 'POST', '/finish', { files: [{ token: one.token }, { token: two.token }, { token: three.token }, { token: 'forged' }] })
    assert.equal(r.status, 200)
    const [a, b, c, forged] = r.json.files
    assert.equal(a.size, 4)
    assert.equal(a.name, 'one.png')
    assert.equal(b.size, 6)
    assert.equal(c.error.code, 'not_found')
    assert.equal(c.error.status, 404)
    assert.equal(forged.error.code, 'invalid_token')
    assert.equal(forged.error.status, 403)
  })

  it('answers the single-file forms as before', async () => {
    const p = await call(handler, 'POST', '/plan', file('solo.png', 3))
    assert.equal(p.json.kind, 'put')
    assert.equal(await send(handler, p.json, 3), 200)
    const f = await call(handler, 'POST', '/finish', { token: p.json.token })
    assert.equal(f.json.size, 3)
  })

  it('refuses a batch that is not a list of 1 to 100 objects, naming the field', async () => {
    for (const files of [[], 'a.png', [null], [file('x.png', 1), [1]], Array.from({ length: 101 }, (_, i) => file(`f${i}.png`, 1))]) {
      const r = await call(handler, 'POST', '/plan', { files })
      assert.equal(r.status, 400, JSON.stringify(files).slice(0, 80))
      assert.equal(r.json.error.code, 'invalid_files')
      assert.match(r.json.error.message, /files/)
    }
    assert.equal((await call(handler, 'POST', '/finish', { files: {} })).json.error.code, 'invalid_files')
  })

  it('counts every file of a batch against the rate limit', async () => {
    const h = diskHandler({ rateLimit: { limit: 10, windowMs: 3_600_000 } })
    after(h.cleanup)
    const batch = await call(h.handler, 'POST', '/plan', { files: Array.from({ length: 10 }, (_, i) => file(`f${i}.png`, 1)) })
    assert.equal(batch.status, 200)
    assert.equal(batch.json.plans.length, 10)
    const next = await call(h.handler, 'POST', '/plan', file('one-more.png', 1))
    assert.equal(next.status, 429)
    assert.equal(next.json.error.code, 'rate_limited')
  })

  it('hides an unexpected failure of one file behind a generic error for that file alone', async () => {
    const seen: unknown[] = []
    const h = diskHandler({ onError: (e) => seen.push(e), key: ({ filename, prefix }) => {
      if (filename === 'boom.png') throw new Error('internal detail /etc/secret')
      return `${prefix}${filename}`
    } })
    after(h.cleanup)
    const r = await call(h.handler, 'POST', '/plan', { files: [file('boom.png', 1), file('fine.png', 1)] })
    assert.equal(r.status, 200)
    assert.deepEqual(r.json.plans[0], { error: { code: 'internal_error', message: 'The upload server failed to handle this file.', status: 500 } })
    assert.equal(r.json.plans[1].kind, 'put')
    assert.doesNotMatch(r.text, /secret/)
    assert.equal(seen.length, 1)
  })
})
