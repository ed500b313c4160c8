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
