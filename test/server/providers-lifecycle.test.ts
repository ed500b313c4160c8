// Link uploads, deletes and groups on the hosted-API adapters, against their contract fakes. No
// link is ever fetched: each fake's `remote` table says what a link holds.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cloudinaryStorage, uploadcareStorage, viesusStorage, type Provider } from '../../src/server/index.js'
import { HttpError } from '../../src/server/errors.js'
import { startCloudinaryFake, type CloudinaryFake } from '../fakes/cloudinary.js'
import { startUploadcareFake, type UploadcareFake } from '../fakes/uploadcare.js'
import { startViesusFake, type ViesusFake } from '../fakes/viesus.js'
import { png } from '../helpers/png.js'

const KEY = 'lifecycle-api-key-0123456789'
const SECRET = 'lifecycle-api-secret-0123456789'
const IMAGE = png(6, 5)
const CAT = 'https://files.example/cat.png'
const DOWN = 'https://down.example/cat.png'

/** The error a call rejects with, checked to be an HttpError that names no secret. */
async function refusal(p: Promise<unknown>, secrets: string[]): Promise<HttpError> {
  const err = await p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof HttpError, String(err))
  for (const s of secrets) assert.ok(!JSON.stringify({ message: err.message, code: err.code }).includes(s), `secret in ${err.message}`)
  return err
}

const noSecret = (value: unknown, secrets: string[]) => {
  const text = JSON.stringify(value)
  for (const s of secrets) assert.ok(!text.includes(s), `secret in ${text}`)
}

/** Polls until the fetch ends (each fake status call moves one step; at most 10). */
async function untilEnd(p: Provider, state: object) {
  const seen: string[] = []
  for (let i = 0; i < 10; i++) {
    const s = await p.urlStatus!(state)
    seen.push(s.status)
    if (s.status === 'success' || s.status === 'error') return { last: s, seen }
  }
  return assert.fail(`no end after 10 polls: ${seen.join(', ')}`)
}

describe('VIESUS: createUploadFromUrl and deleteUploads', () => {
  let fake: ViesusFake
  let viesus: Provider
  before(async () => {
    fake = await startViesusFake({ apiKey: KEY })
    fake.remote.set(CAT, { bytes: IMAGE, type: 'image/png' })
    fake.remote.set(DOWN, 'unreachable')
    viesus = viesusStorage({ apiKey: KEY, apiUrl: `${fake.url}/graphql` })
  })
  after(() => fake.close())

  it('fetches a link to success with VIESUS\'s record, the state small and secret-free', async () => {
    const { state } = await viesus.fromUrl!({ url: CAT, metadata: { ticket: 't-1' } })
    noSecret(state, [KEY])
    const s = await viesus.urlStatus!(state)
    assert.equal(s.status, 'success')
    const r = s.record!
    assert.deepEqual({ size: r.size, type: r.type, name: r.name, width: r.width, height: r.height }, { size: IMAGE.length, type: 'image/png', name: 'cat.png', width: 6, height: 5 })
    assert.ok(fake.stored.get(r.id)!.bytes.equals(IMAGE))
    assert.match(r.url, new RegExp(`/files/${r.id}/`))
    // The app's file name wins over VIESUS's.
    const named = await viesus.urlStatus!((await viesus.fromUrl!({ url: CAT, filename: 'Ticket photo.png', metadata: {} })).state)
    assert.equal(named.record!.name, 'Ticket photo.png')
  })

  it('a link VIESUS cannot fetch is refused at once with VIESUS\'s message; the string is escaped into the document', async () => {
    const down = await refusal(viesus.fromUrl!({ url: DOWN, metadata: {} }), [KEY])
    assert.equal(down.code, 'provider_rejected')
    assert.match(down.message, /VIESUS refused the link.*could not be reached/)
    // Quotes and backslashes stay inside the string literal: the document still parses.
    const odd = await refusal(viesus.fromUrl!({ url: 'https://files.example/a"b\\c}) { id } }', metadata: {} }), [KEY])
    assert.equal(odd.code, 'provider_rejected')
    assert.match(odd.message, /404/)
  })

  it('deletes by id; ids already gone are not an error; no ids is refused before VIESUS is asked', async () => {
    const a = (await viesus.urlStatus!((await viesus.fromUrl!({ url: CAT, metadata: {} })).state)).record!.id
    const b = (await viesus.urlStatus!((await viesus.fromUrl!({ url: CAT, metadata: {} })).state)).record!.id
    await viesus.deleteIds!([a, b])
    assert.equal(fake.stored.has(a), false)
    assert.equal(fake.stored.has(b), false)
    await viesus.deleteIds!([a])
    const before = fake.requests.length
    assert.equal((await refusal(viesus.deleteIds!([]), [KEY])).code, 'invalid_files')
    assert.equal(fake.requests.length, before)
  })

  it('a wrong key is provider_auth_failed, and a GraphQL error carries VIESUS\'s message, the key redacted', async () => {
    const wrong = viesusStorage({ apiKey: 'another-key-0000', apiUrl: `${fake.url}/graphql` })
    assert.equal((await refusal(wrong.fromUrl!({ url: CAT, metadata: {} }), ['another-key-0000'])).code, 'provider_auth_failed')
    fake.failNext('/graphql', 200, { data: null, errors: [{ message: `Upload quota exceeded for key ${KEY}`, extensions: { code: 'FORBIDDEN' } }] })
    const quota = await refusal(viesus.deleteIds!(['x']), [KEY])
    assert.equal(quota.code, 'provider_rejected')
    assert.match(quota.message, /VIESUS refused the delete.*Upload quota exceeded for key \[redacted\]/)
  })

  it('a state this adapter did not make is refused as invalid_token', async () => {
    assert.equal((await refusal(viesus.urlStatus!({ token: 'x' }), [KEY])).code, 'invalid_token')
  })
})

describe('Uploadcare: /from_url/, its status, and groups', () => {
  let fake: UploadcareFake
  let tiny: UploadcareFake
  let uc: Provider
  before(async () => {
    fake = await startUploadcareFake({ publicKey: 'lifecyclepub', secretKey: SECRET })
    tiny = await startUploadcareFake({ publicKey: 'lifecyclepub', maxFileSize: 10 })
    for (const f of [fake, tiny]) {
      f.remote.set(CAT, { bytes: IMAGE, type: 'image/png' })
      f.remote.set(DOWN, 'unreachable')
    }
    uc = uploadcareStorage({ publicKey: 'lifecyclepub', secretKey: SECRET, uploadUrl: fake.url, cdnUrl: `${fake.url}/cdn` })
  })
  after(async () => {
    await Promise.all([fake.close(), tiny.close()])
  })

  it('fetches a link: waiting, progress in bytes, success with the file\'s record; signed; store follows the option', async () => {
    const { state } = await uc.fromUrl!({ url: CAT, filename: 'cat.png', metadata: { ticket: 't-1' } })
    noSecret(state, [SECRET])
    assert.deepEqual(await uc.urlStatus!(state), { status: 'waiting' })
    assert.deepEqual(await uc.urlStatus!(state), { status: 'progress', done: Math.floor(IMAGE.length / 2), total: IMAGE.length })
    const s = await uc.urlStatus!(state)
    assert.equal(s.status, 'success')
    const r = s.record!
    assert.deepEqual({ size: r.size, type: r.type, name: r.name, width: r.width, height: r.height, url: r.url }, { size: IMAGE.length, type: 'image/png', name: 'cat.png', width: 6, height: 5, url: `${fake.url}/cdn/${r.id}/` })
    // The default store is 'auto': the project's auto-store (on) keeps it; store '0' leaves it temporary.
    assert.equal(fake.fileInfo(r.id)!.is_stored, true)
    assert.deepEqual(fake.fileInfo(r.id)!.metadata, { ticket: 't-1' })
    const temp = uploadcareStorage({ publicKey: 'lifecyclepub', secretKey: SECRET, uploadUrl: fake.url, store: '0' })
    const t = await untilEnd(temp, (await temp.fromUrl!({ url: CAT, metadata: {} })).state)
    assert.equal(fake.fileInfo(t.last.record!.id)!.is_stored, false)
  })

  it('an unreachable link ends as url_unreachable, a file over the cap as url_too_large, each with Uploadcare\'s message', async () => {
    const down = await untilEnd(uc, (await uc.fromUrl!({ url: DOWN, metadata: {} })).state)
    assert.deepEqual(down.seen, ['waiting', 'error'])
    assert.deepEqual(down.last.error, { code: 'url_unreachable', message: 'Uploadcare could not fetch the link: HTTP network error: connection refused.' })
    const small = uploadcareStorage({ publicKey: 'lifecyclepub', uploadUrl: tiny.url })
    const big = await untilEnd(small, (await small.fromUrl!({ url: CAT, metadata: {} })).state)
    assert.equal(big.last.error!.code, 'url_too_large')
    assert.match(big.last.error!.message, /Downloaded file is too big/)
  })

  it('refuses at /from_url/ with specific codes: a private host, a bad scheme; a wrong key; an unknown token is an error', async () => {
    const priv = await refusal(uc.fromUrl!({ url: 'http://10.0.0.7/cat.png', metadata: {} }), [SECRET])
    assert.deepEqual([priv.code, priv.status], ['url_forbidden', 400])
    assert.match(priv.message, /Only public IPs are allowed/)
    assert.equal((await refusal(uc.fromUrl!({ url: 'ftp://files.example/cat.png', metadata: {} }), [SECRET])).code, 'invalid_url')
    const forged = uploadcareStorage({ publicKey: 'lifecyclepub', secretKey: 'not-the-secret-key', uploadUrl: fake.url })
    const auth = await refusal(forged.fromUrl!({ url: CAT, metadata: {} }), ['not-the-secret-key', SECRET])
    assert.equal(auth.code, 'provider_auth_failed')
    assert.match(auth.message, /Invalid signature/)
    const unknown = await uc.urlStatus!({ token: '945ebb27-1fd6-46c6-a859-b9893712d650' })
    assert.equal(unknown.status, 'error')
    assert.equal(unknown.error!.code, 'not_found')
    assert.equal((await refusal(uc.urlStatus!({ nothing: true }), [SECRET])).code, 'invalid_token')
    fake.failNext('/from_url/status/', 500, { error: { content: 'Internal error.', status_code: 500, error_code: 'UploadAPIError' } })
    assert.equal((await refusal(uc.urlStatus!({ token: '945ebb27-1fd6-46c6-a859-b9893712d650' }), [SECRET])).code, 'provider_error')
  })

  it('makes a group (id uuid~N, each file\'s record) and reads it back; an unknown group is null', async () => {
    const a = (await untilEnd(uc, (await uc.fromUrl!({ url: CAT, filename: 'a.png', metadata: {} })).state)).last.record!
    const b = (await untilEnd(uc, (await uc.fromUrl!({ url: CAT, filename: 'b.png', metadata: {} })).state)).last.record!
    const g = await uc.group!([a.id, b.id])
    assert.match(g.id, /^[0-9a-f-]{36}~2$/)
    assert.equal(g.count, 2)
    assert.deepEqual(g.records.map((r) => [r.id, r.name, r.size]), [[a.id, 'a.png', IMAGE.length], [b.id, 'b.png', IMAGE.length]])
    const info = await uc.groupInfo!(g.id)
    assert.deepEqual(info && { id: info.id, count: info.count, ids: info.records.map((r) => r.id) }, { id: g.id, count: 2, ids: [a.id, b.id] })
    assert.equal(await uc.groupInfo!('0d712319-b970-4602-850c-bae1ced521a6~1'), null)
    assert.equal(await uc.groupInfo!('not-a-group'), null)
  })

  it('a group with an unknown file is not_found, a malformed id invalid_files, no ids refused before Uploadcare is asked', async () => {
    const a = (await untilEnd(uc, (await uc.fromUrl!({ url: CAT, metadata: {} })).state)).last.record!
    assert.equal((await refusal(uc.group!([a.id, '0d712319-b970-4602-850c-bae1ced521a6']), [SECRET])).code, 'not_found')
    assert.equal((await refusal(uc.group!(['not a uuid']), [SECRET])).code, 'invalid_files')
    const before = fake.requests.length
    assert.equal((await refusal(uc.group!([]), [SECRET])).code, 'invalid_files')
    assert.equal(fake.requests.length, before)
  })

  it('offers no delete and no store: the Upload API documents neither', () => {
    assert.equal(uc.deleteIds, undefined)
    assert.equal(uc.store, undefined)
  })
})

describe('Cloudinary: an upload whose file is the link', () => {
  let fake: CloudinaryFake
  let cld: Provider
  before(async () => {
    fake = await startCloudinaryFake({ cloudName: 'hoist-test', apiKey: '614335564976464', apiSecret: SECRET, presets: { open: { unsigned: true } }, maxFileSize: 4096 })
    fake.remote.set(CAT, { bytes: IMAGE, type: 'image/png' })
    fake.remote.set(DOWN, 'unreachable')
    fake.remote.set('https://files.example/big.bin', { bytes: Buffer.alloc(5000, 7), type: 'application/octet-stream' })
    cld = cloudinaryStorage({ cloudName: 'hoist-test', apiKey: '614335564976464', apiSecret: SECRET, uploadPrefix: fake.url })
  })
  after(() => fake.close())

  it('answers success at once from a small state holding no secret, signature or API key', async () => {
    const { state } = await cld.fromUrl!({ url: CAT, metadata: { ticket: 't-1' } })
    noSecret(state, [SECRET, '614335564976464'])
    assert.ok(JSON.stringify(state).length < 600, JSON.stringify(state))
    const s = await cld.urlStatus!(state)
    assert.equal(s.status, 'success')
    const r = s.record!
    assert.deepEqual({ size: r.size, type: r.type, name: r.name, width: r.width, height: r.height }, { size: IMAGE.length, type: 'image/png', name: 'cat.png', width: 6, height: 5 })
    assert.ok(fake.stored.get(r.id)!.bytes.equals(IMAGE))
    assert.equal(fake.assets.get(r.id)!.secure_url, r.url)
    assert.deepEqual((fake.assets.get(r.id)!.context as { custom: object }).custom, { ticket: 't-1' })
  })

  it('unsigned mode sends the link through the unsigned preset', async () => {
    const open = cloudinaryStorage({ cloudName: 'hoist-test', uploadPreset: 'open', uploadPrefix: fake.url })
    const s = await open.urlStatus!((await open.fromUrl!({ url: CAT, filename: 'mine.png', metadata: {} })).state)
    assert.equal(s.record!.name, 'mine.png')
    assert.equal(fake.stored.get(s.record!.id)!.meta.mode, 'unsigned')
  })

  it('an unreachable or too large link is refused with Cloudinary\'s message; a wrong secret is provider_auth_failed', async () => {
    const down = await refusal(cld.fromUrl!({ url: DOWN, metadata: {} }), [SECRET])
    assert.equal(down.code, 'provider_rejected')
    assert.match(down.message, /Cloudinary refused the link \(HTTP 400\): Error in loading https:\/\/down\.example\/cat\.png/)
    const big = await refusal(cld.fromUrl!({ url: 'https://files.example/big.bin', metadata: {} }), [SECRET])
    assert.match(big.message, /File size too large/)
    const forged = cloudinaryStorage({ cloudName: 'hoist-test', apiKey: '614335564976464', apiSecret: 'not-the-secret-0000', uploadPrefix: fake.url })
    assert.equal((await refusal(forged.fromUrl!({ url: CAT, metadata: {} }), ['not-the-secret-0000'])).code, 'provider_auth_failed')
  })

  it('offers no deleteIds: the seed documents no destroy', () => {
    assert.equal(cld.deleteIds, undefined)
  })
})
