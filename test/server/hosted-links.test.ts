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
