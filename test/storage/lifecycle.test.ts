// Temporary until kept (store: 'manual'), delete and groups, through the handler, on disk storage and
// Ceph RGW; the sweep of temporaries and doctor's check of the tag lifecycle rule.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { PutBucketLifecycleConfigurationCommand } from '@aws-sdk/client-s3'
import { createUploadHandler, diskStorage, type Storage, type UploadHandlerOptions } from '../../src/server/index.js'
import { doctor, sweepTemporary } from '../../src/server/ops.js'
import { call, MiB, q, SECRET, serializeForm } from '../helpers/server.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'

type User = { id: string }
interface Target { storage: Storage; fetchUrl: (url: string, init?: RequestInit) => Promise<Response>; cleanup: () => Promise<void>; s3?: Awaited<ReturnType<typeof makeBucket>> }

async function disk(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'hoist-keep-'))
  const storage = diskStorage({ dir, secret: SECRET })
  const ctx = { baseUrl: 'http://app.test/api/uploads', readExpiresIn: 60 }
  const fetchUrl = (url: string, init?: RequestInit) => storage.handle!(new Request(url, init), new URL(url).pathname.replace('/api/uploads/disk', ''), ctx)
  return { storage, fetchUrl, cleanup: async () => rmSync(dir, { recursive: true, force: true }) }
}
async function rgw(): Promise<Target> {
  const s3 = await makeBucket('keep')
  return { storage: s3.storage, fetchUrl: (url, init) => fetch(url, init), cleanup: () => emptyBucket(s3.client, s3.bucket), s3 }
}

const text = (n: number, seed = 1) => new TextEncoder().encode(`${'x'.repeat(n - 1)}${seed}`)

for (const [name, make] of [['disk', disk], ['Ceph RGW', rgw]] as const) {
  describe(`keep, delete and group files: ${name}`, () => {
    let t: Target
    let user: User = { id: 'u1' }
    const handlerOn = (overrides: Partial<UploadHandlerOptions<User>> = {}) =>
      createUploadHandler<User>({ storage: t.storage, secret: SECRET, basePath: '/api/uploads', authorize: () => user, onError: () => {}, ...overrides })
    let manual: ReturnType<typeof handlerOn>
    let auto: ReturnType<typeof handlerOn>
    before(async () => {
      t = await make()
      manual = handlerOn({ store: 'manual', canReadGroup: (u) => u.id === 'auditor' })
      auto = handlerOn()
    })
    after(async () => t.cleanup())

    /** A PUT-plan upload: POST /plan, the PUT, POST /finish; answers the finish's file. */
    async function putUpload(handler: typeof manual, filename: string, bytes: Uint8Array) {
      const plan = (await call(handler, 'POST', '/plan', { filename, type: 'text/plain', size: bytes.length, metadata: {} })).json
      assert.equal(plan.kind, 'put', JSON.stringify(plan))
      const r = await t.fetchUrl(plan.url, { method: 'PUT', headers: plan.headers, body: bytes as BodyInit })
      assert.equal(r.status, 200, await r.text())
      const fin = await call(handler, 'POST', '/finish', { token: plan.token })
      assert.equal(fin.status, 200, fin.text)
      return fin.json
    }
    async function multipartUpload(handler: typeof manual, filename: string) {
      const size = 6 * MiB
      const plan = (await call(handler, 'POST', '/plan', { filename, type: 'application/octet-stream', size, partSize: 5 * MiB, partNumbers: [1, 2], metadata: {} })).json
      const parts = []
      for (const n of [1, 2]) {
        const body = new Uint8Array(n === 1 ? 5 * MiB : MiB).fill(n)
        const r = await t.fetchUrl(plan.urls[n], { method: 'PUT', body: body as BodyInit })
        assert.equal(r.status, 200)
        parts.push({ PartNumber: n, ETag: r.headers.get('etag')!.replace(/"/g, '') })
      }
      const done = await call(handler, 'POST', `/s3/multipart/${encodeURIComponent(plan.uploadId)}/complete${q({ key: plan.key })}`, { parts })
      assert.equal(done.status, 200, done.text)
      return done.json
    }
    async function formUpload(handler: typeof manual, filename: string, bytes: Uint8Array) {
      const p = (await call(handler, 'GET', `/s3/params${q({ filename, type: 'text/plain' })}`)).json
      const form = new FormData()
      for (const [k, v] of Object.entries(p.fields as Record<string, string>)) form.set(k, v)
      form.set('file', new Blob([bytes as BlobPart]))
      const r = await t.fetchUrl(p.url, { method: 'POST', ...(await serializeForm(form)) })
      assert.ok(r.status < 300, await r.text())
      const info = await call(handler, 'GET', `/object${q({ key: p.fields.key })}`)
      assert.equal(info.status, 200, info.text)
      return info.json
    }

    it('with store: manual, PUT, multipart and form uploads end temporary; handler.store keeps them', async () => {
      const files = [await putUpload(manual, 'put.txt', text(100)), await multipartUpload(manual, 'parts.bin'), await formUpload(manual, 'form.txt', text(50))]
      for (const f of files) {
        assert.equal(f.stored, false, f.key)
        assert.equal((await t.storage.head(f.key))?.temporary, true, f.key)
      }
      assert.deepEqual(await manual.store(files.map((f) => f.key), user), { stored: files.map((f) => f.key) })
      for (const f of files) {
        assert.equal((await t.storage.head(f.key))?.temporary, false)
        assert.equal((await call(manual, 'GET', `/object${q({ key: f.key })}`)).json.stored, true)
      }
      // Keeping again changes nothing.
      await manual.store([files[0].key], user)
      assert.equal((await t.storage.head(files[0].key))?.temporary, false)
    })

    it('a sweep removes temporaries past their TTL, and leaves kept and auto-stored files', async () => {
      const kept = await putUpload(manual, 'kept.txt', text(10))
      await manual.store([kept.key], user)
      const temporary = await putUpload(manual, 'temporary.txt', text(11))
      const fresh = await putUpload(manual, 'fresh.txt', text(12))
      const plain = await putUpload(auto, 'plain.txt', text(13))
      assert.equal(plain.stored, true)
      const ttl = 3600_000
      // As if an hour had passed for everything but `fresh`, which is measured against now.
      const later = Date.now() + ttl + 60_000
      const dry = await sweepTemporary(t.storage, ttl, { dryRun: true, now: later })
      assert.ok(dry.some((o) => o.key === temporary.key))
      assert.ok(await t.storage.head(temporary.key), 'a dry run removes nothing')
      const swept = await sweepTemporary(t.storage, ttl, { now: later })
      const keys = swept.filter((o) => o.kind === 'temporary').map((o) => o.key)
      assert.ok(keys.includes(temporary.key) && keys.includes(fresh.key))
      assert.ok(!keys.includes(kept.key) && !keys.includes(plain.key))
      assert.equal(await t.storage.head(temporary.key), null)
      assert.ok(await t.storage.head(kept.key))
      assert.ok(await t.storage.head(plain.key))
      assert.deepEqual(await sweepTemporary(t.storage, ttl), [], 'nothing is young enough to go now')
    })

    it('refuses to keep a key outside the user\'s prefix, or a missing one, changing nothing', async () => {
      const mine = await putUpload(manual, 'mine.txt', text(20))
      const theirs = { id: 'u2' }
      await assert.rejects(manual.store([mine.key], theirs), (e: { status: number; code: string }) => e.status === 403 && e.code === 'key_not_allowed')
      await assert.rejects(manual.store([mine.key, 'uploads/u1/2026/01/none/x.txt'], user), (e: { status: number; code: string }) => e.status === 404 && e.code === 'not_found')
      await assert.rejects(manual.store([mine.key, '.hoist/url/x.json'], user), (e: { code: string }) => e.code === 'key_not_allowed')
      await assert.rejects(manual.store([], user), (e: { code: string }) => e.code === 'invalid_keys')
      await assert.rejects(manual.store([mine.key, mine.key], user), (e: { code: string }) => e.code === 'invalid_keys')
      assert.equal((await t.storage.head(mine.key))?.temporary, true, 'still temporary')
      // The route is off unless storeRoute is set.
      assert.equal((await call(manual, 'POST', '/store', { keys: [mine.key] })).status, 404)
      const withRoute = handlerOn({ store: 'manual', storeRoute: true })
      const r = await call(withRoute, 'POST', '/store', { keys: [mine.key] })
      assert.deepEqual([r.status, r.json], [200, { stored: [mine.key] }])
    })

    it('DELETE /object deletes the user\'s own file, and only that', async () => {
      const f = await putUpload(auto, 'delete-me.txt', text(30))
      user = { id: 'u2' }
      try {
        const other = await call(auto, 'DELETE', `/object${q({ key: f.key })}`)
        assert.deepEqual([other.status, other.json.error.code], [403, 'key_not_allowed'])
      } finally {
        user = { id: 'u1' }
      }
      assert.ok(await t.storage.head(f.key))
      const r = await call(auto, 'DELETE', `/object${q({ key: f.key })}`)
      assert.deepEqual([r.status, r.json], [200, { deleted: f.key }])
      assert.equal(await t.storage.head(f.key), null)
      assert.equal((await call(auto, 'DELETE', `/object${q({ key: f.key })}`)).json.error.code, 'not_found')
      assert.equal((await call(auto, 'DELETE', '/object')).json.error.code, 'invalid_key')
      const g = await putUpload(auto, 'server-side.txt', text(31))
      assert.deepEqual(await auto.delete([g.key], user), { deleted: [g.key] })
      assert.equal(await t.storage.head(g.key), null)
    })

    it('groups files under a uuid~N id that another instance answers, for the owner and whom canReadGroup lets in', async () => {
      const a = await putUpload(manual, 'a.txt', text(40))
      const b = await formUpload(manual, 'b.txt', text(41))
      const made = await call(manual, 'POST', '/groups', { keys: [a.key, b.key] })
      assert.equal(made.status, 200, made.text)
      assert.match(made.json.id, /^[0-9a-f-]{36}~2$/)
      assert.equal(made.json.count, 2)
      assert.deepEqual(made.json.files.map((f: { name: string }) => f.name), ['a.txt', 'b.txt'])
      // A second instance with the same secret and storage.
      const other = handlerOn({ store: 'manual', canReadGroup: (u) => u.id === 'auditor' })
      const read = await call(other, 'GET', `/groups/${encodeURIComponent(made.json.id)}`)
      assert.equal(read.status, 200)
      assert.deepEqual(read.json.files.map((f: { key: string }) => f.key), [a.key, b.key])
      assert.deepEqual(read.json.missing, [])
      for (const [who, status] of [['u2', 404], ['auditor', 200]] as const) {
        user = { id: who }
        try {
          assert.equal((await call(other, 'GET', `/groups/${encodeURIComponent(made.json.id)}`)).status, status, who)
        } finally {
          user = { id: 'u1' }
        }
      }
      // A file deleted since is listed as missing; the group keeps its id and count.
      await manual.delete([b.key], user)
      const after = (await call(other, 'GET', `/groups/${encodeURIComponent(made.json.id)}`)).json
      assert.deepEqual([after.count, after.files.length, after.missing], [2, 1, [b.key]])
    })

    it('refuses a group of missing or foreign keys, writing no manifest, and answers malformed ids clearly', async () => {
      const a = await putUpload(manual, 'solo.txt', text(50))
      const missing = await call(manual, 'POST', '/groups', { keys: [a.key, 'uploads/u1/nothing/here.txt'] })
      assert.deepEqual([missing.status, missing.json.error.code], [404, 'not_found'])
      const foreign = await call(manual, 'POST', '/groups', { keys: [a.key, 'uploads/u2/x.txt'] })
      assert.deepEqual([foreign.status, foreign.json.error.code], [403, 'key_not_allowed'])
      assert.equal((await call(manual, 'POST', '/groups', { keys: 'x' })).json.error.code, 'invalid_keys')
      const manifests: string[] = []
      for await (const o of t.storage.list('.hoist/groups/')) manifests.push(o.key)
      const made = (await call(manual, 'POST', '/groups', { keys: [a.key] })).json
      const after: string[] = []
      for await (const o of t.storage.list('.hoist/groups/')) after.push(o.key)
      assert.equal(after.length, manifests.length + 1, 'only the good group wrote a manifest')
      for (const bad of ['nope', `${made.id.split('~')[0]}~3`, '00000000-0000-0000-0000-000000000000~1']) {
        const r = await call(manual, 'GET', `/groups/${encodeURIComponent(bad)}`)
        assert.deepEqual([r.status, r.json.error.code], [404, 'group_not_found'], bad)
      }
      // The manifests are the handler's own: no user reads or deletes them as files.
      assert.equal((await call(manual, 'DELETE', `/object${q({ key: after[0] })}`)).json.error.code, 'key_not_allowed')
    })

    if (name === 'Ceph RGW') {
      it('doctor checks the lifecycle rule that expires temporaries, and passes once it is there', async () => {
        const { client, bucket } = t.s3!
        const failing = (await doctor(client, bucket, 'https://app.example', { store: 'manual' })).filter((c) => !c.ok)
        const check = failing.find((c) => c.name === 'lifecycle-temporary')!
        assert.ok(check, JSON.stringify(failing))
        const fix = JSON.parse(/'(\{.*\})'$/.exec(check.fix!)![1])
        assert.equal((await doctor(client, bucket, 'https://app.example')).some((c) => c.name === 'lifecycle-temporary'), false, 'only with store: manual')
        // The fix doctor prints is what RGW takes.
        await client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: fix }))
        const checks = await doctor(client, bucket, 'https://app.example', { store: 'manual' })
        assert.deepEqual(checks.filter((c) => !c.ok), [])
        assert.ok(checks.some((c) => c.name === 'lifecycle-temporary' && c.ok))
      })
    }
  })
}

describe('sweep --temporary from the command line', () => {
  it('removes the temporaries in a disk folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hoist-sweep-'))
    try {
      const storage = diskStorage({ dir, secret: SECRET })
      async function* body() {
        yield new Uint8Array(5)
      }
      await storage.write({ key: 'uploads/u/t.txt', type: 'text/plain', metadata: {}, temporary: true }, body(), { maxSize: 10 })
      await storage.write({ key: 'uploads/u/k.txt', type: 'text/plain', metadata: {} }, body(), { maxSize: 10 })
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import('./src/server/cli.ts').then(async (m) => process.exit(await m.main(${JSON.stringify(args)})))`], {
          encoding: 'utf8',
          env: { ...process.env, S3_BUCKET: '' },
        })
      const dry = run(['sweep', '--temporary', '--temporary-ttl', '0s', '--dry-run', '--dir', dir])
      assert.equal(dry.status, 0, dry.stderr)
      assert.match(dry.stdout, /would remove uploads\/u\/t\.txt \(temporary/)
      assert.ok(await storage.head('uploads/u/t.txt'))
      const r = run(['sweep', '--temporary', '--temporary-ttl', '0s', '--dir', dir])
      assert.match(r.stdout, /1 temporary upload\(s\) older than 0s and 0 old status record\(s\) removed/)
      assert.equal(await storage.head('uploads/u/t.txt'), null)
      assert.ok(await storage.head('uploads/u/k.txt'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
