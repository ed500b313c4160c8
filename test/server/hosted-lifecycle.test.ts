// Link uploads when the storage is a hosted API: POST /url hands the link to the provider, which
// fetches it on its own side; GET /url/:token answers from the provider's status, checked against
// the policy. Against each provider's contract fake, which never connects anywhere.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createUploadHandler } from '../../src/server/index.js'
import { storageFromEnv } from '../../src/server/from-env.js'
import type { Remote } from '../fakes/common.js'
import { type HostedSetup, startHosted } from '../helpers/providers.js'
import { call, SECRET } from '../helpers/server.js'
import { png } from '../helpers/png.js'

const picture = png(40, 30, 2)

for (const name of ['viesus', 'uploadcare', 'cloudinary'] as const) {
  describe(`link uploads to ${name}`, () => {
    let setup: HostedSetup
    let handler: ReturnType<typeof createUploadHandler<{ id: string }>>
    let user = 'u1'
    before(async () => {
      setup = await startHosted(name)
      const remote = (setup.fake as unknown as { remote: Map<string, Remote> }).remote
      remote.set('https://files.test/picture.png', { bytes: picture, type: 'image/png' })
      remote.set('https://files.test/big.bin', { bytes: Buffer.alloc(8000, 7), type: 'application/octet-stream' })
      remote.set('https://files.test/down.png', 'unreachable')
      const { storage } = storageFromEnv('.', SECRET, setup.env, name)
      handler = createUploadHandler({ storage, secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: user }), fromUrl: true, maxFileSize: 5000, onError: () => {} })
    })
    after(() => setup?.fake.close())

    async function until(token: string) {
      for (let i = 0; i < 20; i++) {
        const r = await call(handler, 'GET', `/url/${encodeURIComponent(token)}`)
        assert.equal(r.status, 200, JSON.stringify(r.json))
        if (r.json.status === 'success' || r.json.status === 'error') return r.json
      }
      throw new Error('the link upload never ended')
    }

    it('hands the link to the provider and answers its record as the file', async () => {
      const start = await call(handler, 'POST', '/url', { url: 'https://files.test/picture.png', meta: { ticket: '7' } })
      assert.equal(start.status, 202)
      const done = await until(start.json.token)
      assert.equal(done.status, 'success', JSON.stringify(done))
      assert.equal(done.file.size, picture.length)
      assert.equal(done.file.provider.name, name)
      assert.equal(done.file.key, done.file.provider.id)
      assert.equal(done.file.stored, true)
      for (const secret of setup.secrets) assert.ok(!JSON.stringify(done).includes(secret) && !start.json.token.includes(secret))
    })

    it('refuses a file over maxFileSize once the provider has it', async () => {
      const start = await call(handler, 'POST', '/url', { url: 'https://files.test/big.bin' })
      const done = await until(start.json.token)
      assert.equal(done.status, 'error')
      assert.equal(done.error.code, 'file_too_large')
    })

    it('says why a link the provider cannot fetch failed, from POST /url or its status', async () => {
      const start = await call(handler, 'POST', '/url', { url: 'https://files.test/down.png' })
      const code = start.status === 202 ? (await until(start.json.token)).error.code : start.json.error.code
      assert.match(code, /^(url_unreachable|provider_rejected)$/)
    })

    it('answers a link upload only to the user who asked', async () => {
      const start = await call(handler, 'POST', '/url', { url: 'https://files.test/picture.png' })
      user = 'u2'
      try {
        const r = await call(handler, 'GET', `/url/${encodeURIComponent(start.json.token)}`)
        assert.equal(r.status, 403)
        assert.equal(r.json.error.code, 'not_owner')
      } finally {
        user = 'u1'
      }
    })

    it('still refuses a scheme or a literal private address before asking the provider', async () => {
      const before = setup.fake.requests.length
      for (const url of ['ftp://files.test/a', 'http://169.254.169.254/latest/meta-data']) {
        const r = await call(handler, 'POST', '/url', { url })
        assert.ok(r.status === 400 || r.status === 403, url)
      }
      assert.equal(setup.fake.requests.length, before)
    })
  })
}

describe('link uploads to a hosted API without them', () => {
  it('answer not_supported', async () => {
    const setup = await startHosted('upscayl')
    try {
      const { storage } = storageFromEnv('.', SECRET, setup.env, 'upscayl')
      const handler = createUploadHandler({ storage, secret: SECRET, basePath: '/api/uploads', authorize: () => true, fromUrl: true })
      const r = await call(handler, 'POST', '/url', { url: 'https://files.test/a.png' })
      assert.equal(r.status, 400)
      assert.equal(r.json.error.code, 'not_supported')
    } finally {
      await setup.fake.close()
    }
  })
})

describe('groups and deletes on hosted APIs', () => {
  /** A handler on `name`'s fake with one file fetched from a link; answers the file's id too. */
  async function withFile(name: 'uploadcare' | 'viesus') {
    const setup = await startHosted(name)
    ;(setup.fake as unknown as { remote: Map<string, Remote> }).remote.set('https://files.test/picture.png', { bytes: picture, type: 'image/png' })
    const { storage } = storageFromEnv('.', SECRET, setup.env, name)
    const handler = createUploadHandler({ storage, secret: SECRET, basePath: '/api/uploads', authorize: () => ({ id: 'u1' }), fromUrl: true, onError: () => {} })
    const start = await call(handler, 'POST', '/url', { url: 'https://files.test/picture.png' })
    let status
    for (let i = 0; i < 10 && status?.status !== 'success'; i++) status = (await call(handler, 'GET', `/url/${encodeURIComponent(start.json.token)}`)).json
    assert.equal(status.status, 'success', JSON.stringify(status))
    return { setup, handler, id: status.file.key as string }
  }

  it('Uploadcare groups its own files under its own uuid~N id', async () => {
    const { setup, handler, id } = await withFile('uploadcare')
    try {
      const made = await call(handler, 'POST', '/groups', { keys: [id] })
      assert.equal(made.status, 200, made.text)
      assert.match(made.json.id, /~1$/)
      assert.deepEqual(made.json.files.map((f: { key: string }) => f.key), [id])
      const read = await call(handler, 'GET', `/groups/${encodeURIComponent(made.json.id)}`)
      assert.deepEqual([read.status, read.json.id, read.json.count], [200, made.json.id, 1])
      assert.equal((await call(handler, 'GET', '/groups/00000000-0000-0000-0000-000000000000~1')).json.error.code, 'group_not_found')
      assert.equal((await call(handler, 'POST', '/groups', { keys: [] })).json.error.code, 'invalid_keys')
    } finally {
      await setup.fake.close()
    }
  })

  it('VIESUS deletes through handler.delete; the page\'s DELETE route refuses, since its ids carry no user', async () => {
    const { setup, handler, id } = await withFile('viesus')
    try {
      const route = await call(handler, 'DELETE', `/object?key=${encodeURIComponent(id)}`)
      assert.deepEqual([route.status, route.json.error.code], [400, 'not_supported'])
      assert.ok(setup.fake.stored.has(id))
      assert.deepEqual(await handler.delete([id], { id: 'u1' }), { deleted: [id] })
      assert.equal(setup.fake.stored.has(id), false)
      assert.equal((await call(handler, 'POST', '/groups', { keys: [id] })).json.error.code, 'not_supported')
    } finally {
      await setup.fake.close()
    }
  })
})
