import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { call, diskHandler } from '../helpers/server.js'

describe('keeping and grouping many keys', () => {
  it('counts every key against the rate limit, as a batch counts every file', async () => {
    for (const path of ['/groups', '/store']) {
      const h = diskHandler({ rateLimit: { limit: 5, windowMs: 3_600_000 }, store: 'manual', storeRoute: true })
      after(h.cleanup)
      const keys = Array.from({ length: 5 }, (_, i) => `uploads/u1/k${i}.txt`)
      const first = await call(h.handler, 'POST', path, { keys })
      assert.equal(first.json.error.code, 'not_found', path)
      const next = await call(h.handler, 'POST', path, { keys: [keys[0]] })
      assert.deepEqual([next.status, next.json.error.code], [429, 'rate_limited'], path)
    }
  })
})

describe('users without an id', () => {
  it('may not delete, keep or group in the area they all share, unless keyPrefix shares it on purpose', async () => {
    const shared = diskHandler({ authorize: () => true as never, store: 'manual', storeRoute: true })
    after(shared.cleanup)
    const key = 'uploads/2026/12/x/a.txt'
    for (const [method, path, body] of [['DELETE', `/object?key=${key}`, undefined], ['POST', '/store', { keys: [key] }], ['POST', '/groups', { keys: [key] }]] as const) {
      const r = await call(shared.handler, method, path, body)
      assert.deepEqual([r.status, r.json.error.code], [403, 'user_not_identified'], path)
    }
    const chosen = diskHandler({ authorize: () => true as never, keyPrefix: 'uploads/' })
    after(chosen.cleanup)
    const r = await call(chosen.handler, 'DELETE', `/object?key=${key}`)
    assert.deepEqual([r.status, r.json.error.code], [404, 'not_found'], 'past the check: the key holds nothing')
  })
})
