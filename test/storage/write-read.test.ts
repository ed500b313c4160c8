// The storage methods the server uses on its own (link uploads, content checks, temporary files and
// records): write, read, list and the temporary mark, on disk and on Ceph RGW.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { diskStorage, type Storage } from '../../src/server/index.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'
import { SECRET, serializeForm } from '../helpers/server.js'

const MiB = 1024 * 1024
const ctx = { baseUrl: 'http://app.test/api/uploads', readExpiresIn: 60 }
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** `count` chunks of `size` bytes, each filled with its index, as a fetch body would arrive. */
async function* chunks(count: number, size: number) {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill(i & 0xff)
}
const joined = (count: number, size: number) => {
  const b = new Uint8Array(count * size)
  for (let i = 0; i < count; i++) b.fill(i & 0xff, i * size, (i + 1) * size)
  return b
}

interface Target { storage: Storage; fetchUrl: (url: string, init?: RequestInit) => Promise<Response>; cleanup: () => Promise<void> }

async function disk(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-write-'))
  const storage = diskStorage({ dir, secret: SECRET })
  // Disk URLs point back at the handler; its own routes serve them.
  const fetchUrl = (url: string, init?: RequestInit) => storage.handle!(new Request(url, init), new URL(url).pathname.replace('/api/uploads/disk', ''), ctx)
  return { storage, fetchUrl, cleanup: async () => rmSync(dir, { recursive: true, force: true }) }
}

async function rgw(): Promise<Target> {
  const { bucket, client, storage } = await makeBucket('write')
  return { storage, fetchUrl: (url, init) => fetch(url, init), cleanup: () => emptyBucket(client, bucket) }
}

for (const [name, make] of [['disk', disk], ['Ceph RGW', rgw]] as const) {
  describe(`storage write, read, list and temporary: ${name}`, () => {
    let t: Target
    before(async () => {
      t = await make()
    })
    after(async () => t.cleanup())

    it('writes a small body in one request and reads it back, whole and by range', async () => {
      const stored = await t.storage.write({ key: 'u/small.bin', type: 'application/octet-stream', metadata: {} }, chunks(3, 1000), { maxSize: MiB })
      assert.equal(stored.size, 3000)
      assert.equal(stored.temporary, false)
      assert.equal(sha((await t.storage.read('u/small.bin'))!), sha(joined(3, 1000)))
      assert.deepEqual([...(await t.storage.read('u/small.bin', { start: 998, length: 4 }))!], [0, 0, 1, 1])
      // A range past the end gives what there is.
      assert.equal((await t.storage.read('u/small.bin', { start: 2990, length: 100 }))!.length, 10)
      assert.equal(await t.storage.read('u/missing.bin'), null)
    })

    it('writes a 20 MiB body in parts, reporting progress, byte-identical', async () => {
      const seen: number[] = []
      const stored = await t.storage.write({ key: 'u/big.bin', type: 'video/mp4', metadata: { 'original-name': 'big.bin' } }, chunks(20, MiB), { maxSize: 64 * MiB, onProgress: (n) => seen.push(n) })
      assert.equal(stored.size, 20 * MiB)
      assert.equal(stored.type, 'video/mp4')
      assert.equal(seen.at(-1), 20 * MiB)
      assert.equal(sha((await t.storage.read('u/big.bin'))!), sha(joined(20, MiB)))
    })

    it('stores nothing and says file_too_large past maxSize, stopping the read', async () => {
      let pulled = 0
      async function* endless() {
        for (let i = 0; i < 1000; i++) {
          pulled++
          yield new Uint8Array(MiB)
        }
      }
      await assert.rejects(t.storage.write({ key: 'u/huge.bin', type: 'application/octet-stream', metadata: {} }, endless(), { maxSize: 12 * MiB }), (err: { status: number; code: string }) => err.status === 413 && err.code === 'file_too_large')
      assert.equal(await t.storage.head('u/huge.bin'), null)
      assert.ok(pulled <= 13, `read ${pulled} MiB of a body limited to 12`)
    })

    it('lists every object under a prefix, and only those', async () => {
      await t.storage.write({ key: 'list/a/1.txt', type: 'text/plain', metadata: {} }, chunks(1, 1), { maxSize: 10 })
      await t.storage.write({ key: 'list/a/b/2.txt', type: 'text/plain', metadata: {} }, chunks(1, 2), { maxSize: 10 })
      await t.storage.write({ key: 'list/ab.txt', type: 'text/plain', metadata: {} }, chunks(1, 3), { maxSize: 10 })
      const under = async (prefix: string) => {
        const out: string[] = []
        for await (const o of t.storage.list(prefix)) out.push(`${o.key}:${o.size}`)
        return out.sort()
      }
      assert.deepEqual(await under('list/a/'), ['list/a/1.txt:1', 'list/a/b/2.txt:2'])
      assert.deepEqual(await under('list/a'), ['list/a/1.txt:1', 'list/a/b/2.txt:2', 'list/ab.txt:3'])
      assert.deepEqual(await under('nothing/'), [])
    })

    it('marks temporary objects from a PUT, a form and a write, and keeps them on request', async () => {
      const put = await t.storage.presignPut({ key: 'tmp/put.txt', type: 'text/plain', metadata: {}, temporary: true }, 5, 60, ctx)
      assert.equal((await t.fetchUrl(put.url, { method: 'PUT', headers: put.headers, body: 'hello' })).status, 200)
      const form = await t.storage.presignPost({ key: 'tmp/post.txt', type: 'text/plain', metadata: {}, temporary: true }, { minSize: 0, maxSize: 100 }, 60, ctx)
      const body = new FormData()
      for (const [k, v] of Object.entries(form.fields)) body.set(k, v)
      body.set('file', new Blob(['hello']))
      assert.ok((await t.fetchUrl(form.url, { method: 'POST', ...(await serializeForm(body)) })).status < 300)
      await t.storage.write({ key: 'tmp/write.txt', type: 'text/plain', metadata: {}, temporary: true }, chunks(1, 5), { maxSize: 10 })
      for (const key of ['tmp/put.txt', 'tmp/post.txt', 'tmp/write.txt']) assert.equal((await t.storage.head(key))?.temporary, true, key)
      await t.storage.setTemporary('tmp/put.txt', false)
      assert.equal((await t.storage.head('tmp/put.txt'))?.temporary, false)
      await t.storage.setTemporary('tmp/put.txt', true)
      assert.equal((await t.storage.head('tmp/put.txt'))?.temporary, true)
      // A kept object still reads the same.
      assert.equal(new TextDecoder().decode((await t.storage.read('tmp/put.txt'))!), 'hello')
    })
  })
}
