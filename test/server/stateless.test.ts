import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createUploadHandler, diskStorage } from '../../src/server/index.js'
import { call, MiB, put, q, SECRET } from '../helpers/server.js'

describe('stateless', () => {
  it('two instances sharing a secret and a storage behave as one: create on A, sign on B, complete on A', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-lb-'))
    try {
      const make = () =>
        createUploadHandler({ storage: diskStorage({ dir, secret: SECRET }), secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: 'u' }), onError: () => {} })
      const [a, b] = [make(), make()]
      const size = 5 * MiB + 10
      const { key, uploadId } = (await call(a, 'POST', '/s3/multipart', { filename: 'lb.bin', type: 'application/octet-stream', metadata: { declaredSize: size, partSize: 5 * MiB } })).json
      const id = encodeURIComponent(uploadId)
      const urls = (await call(b, 'GET', `/s3/multipart/${id}/batch${q({ key, partNumbers: '1,2' })}`)).json.presignedUrls
      const p1 = await put(a, urls['1'], new Uint8Array(5 * MiB))
      const p2 = await put(b, urls['2'], new Uint8Array(10))
      assert.equal((await call(b, 'GET', `/s3/multipart/${id}${q({ key })}`)).json.length, 2)
      const done = await call(a, 'POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts: [{ PartNumber: 1, ETag: p1.etag }, { PartNumber: 2, ETag: p2.etag }] })
      assert.equal(done.status, 200, done.text)
      assert.equal((await call(b, 'GET', `/object${q({ key })}`)).json.size, size)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('an instance with another secret refuses the upload ids of the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-lb-'))
    try {
      const storage = diskStorage({ dir, secret: SECRET })
      const a = createUploadHandler({ storage, secret: SECRET, authorize: () => true, onError: () => {} })
      const other = createUploadHandler({ storage, secret: 'another-secret-0123456789', authorize: () => true, onError: () => {} })
      const { key, uploadId } = (await call(a, 'POST', 'http://app.test/s3/multipart', { filename: 'x.bin' })).json
      const r = await call(other, 'GET', `http://app.test/s3/multipart/${encodeURIComponent(uploadId)}${q({ key })}`)
      assert.equal(r.status, 403)
      assert.equal(r.json.error.code, 'invalid_token')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
