// Property-based fuzzing of the handler on disk storage: random requests, paths, headers, bodies and
// token bytes, real tokens swapped across routes, and one user aiming at another's files. Each property
// has a fixed seed and a bounded number of runs, so a failure replays; each run gets a storage folder of
// its own (inside one root full of canaries), so a counterexample stands on its own.
import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { userSegment } from '../../src/server/user.js'
import { assertSameTree, assertWellFormed, fuzzRoot, leaks, leaksFor, snapshot, type Answer } from '../helpers/fuzz-checks.js'
import { build, request } from '../helpers/fuzz-requests.js'
import { escape, headerText, isKey, isToken, mutate, mutation, payloadOf, plainText, resolve, text, val, type Pool } from '../helpers/fuzz-values.js'
import { AIMED_ROUTES, TOKEN_ROUTES } from '../helpers/fuzz-routes.js'
import { mint, TOKEN_PURPOSES, type Minted, type TokenName } from '../helpers/fuzz-state.js'
import { answer, BASE, call, diskHandler, later, postForm, q } from '../helpers/server.js'

const root = fuzzRoot()
after(root.cleanup)

const bearer = (id: string) => `Bearer ${escape(id)}`
/** The id a user is known by once it has travelled in a header (a lone surrogate becomes U+FFFD). */
const travelled = (id: string) => decodeURIComponent(escape(id))

/** `Authorization: Bearer <id, URI-encoded>`; another scheme throws, with a path in its message that must not leak. */
function authorize(request: Request): { id: string } {
  const header = request.headers.get('authorization')
  if (!header) return null as unknown as { id: string } // refused, as an app's authorize says no
  if (!header.startsWith('Bearer ')) throw new Error(`unsupported scheme, see ${root.root}/auth.log`)
  return { id: decodeURIComponent(header.slice('Bearer '.length)) }
}

type Env = ReturnType<typeof fresh>

/** A handler on a storage folder of its own inside the root; unexpected errors are kept to show with a failure. */
function fresh(overrides: Parameters<typeof diskHandler>[0] = {}, dir = root.storageDir()) {
  const errors: unknown[] = []
  const onError = (err: unknown) => errors.push(err)
  const env = diskHandler({ authorize, maxFileSize: '1MiB', allowedOrigins: ['http://localhost:*'], onError, ...overrides }, dir)
  return { ...env, errors }
}

/** Mints once; `copy()` gives each run a handler on its own copy of that storage folder: the same tokens, its own files. */
async function seeded(authorization: string) {
  const env = fresh()
  const minted = await mint(env.handler, authorization, BYTES)
  const copy = () => {
    const dir = root.storageDir()
    cpSync(env.dir, dir, { recursive: true })
    return fresh({}, dir)
  }
  return { minted, copy, cleanup: env.cleanup }
}

/** `a` is well formed, and the handler met no unexpected error on the way (shown with the failure if it did). */
function assertSound(env: Env, a: Answer, checks: ReturnType<typeof leaks>): Answer {
  const unexpected = env.errors[0]
  assert.equal(unexpected, undefined, `an unexpected error: ${unexpected instanceof Error ? unexpected.stack : String(unexpected)}`)
  assertWellFormed(a, checks)
  return a
}

const send = async (env: Env, request: Request, checks: ReturnType<typeof leaks>) => assertSound(env, await answer(await env.handler(request)), checks)

/** Runs one case on `env`, then checks that nothing outside the storage folders changed. */
async function checked(env: Env, run: (env: Env) => Promise<void>) {
  try {
    await run(env)
  } finally {
    root.assertOnlyStorageWritten()
    env.cleanup()
  }
}

const BYTES = new TextEncoder().encode('fuzz bytes')
const ALICE = bearer('alice')
const TOKENS = Object.keys(TOKEN_PURPOSES) as TokenName[]
const NAMES = [...TOKENS, 'key.multipart', 'key.put', 'key.form', 'etag']

describe('fuzz: any request', () => {
  it('is answered with a success or a 4xx JSON error, leaks nothing, and writes only inside the storage folder', async () => {
    const authorization = fc.oneof(
      { weight: 12, arbitrary: fc.constant(ALICE) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, 'Basic YWxpY2U6', 'Bearer ', 'Bearer %ZZ', 'bearer alice', bearer('bob')) },
      { weight: 1, arbitrary: headerText },
    )
    const seed = await seeded(ALICE)
    await fc.assert(
      fc.asyncProperty(request(NAMES, authorization), (spec) =>
        checked(seed.copy(), async (env) => {
          const built = await build(spec, seed.minted.pool, BASE)
          fc.pre(built !== null)
          await send(env, built.request, leaksFor(root.root, built.sent))
        }),
      ),
      { seed: 0x9f1, numRuns: 300 },
    )
    seed.cleanup()
  })
})

describe('fuzz: traversal', () => {
  it("never writes outside the storage folder, even for an app whose key() keeps the client's file name", async () => {
    // Mostly `..`: climbing out of objects/ takes one more than the key's depth (uploads/<id>/ is two).
    const piece = fc.oneof(
      { weight: 6, arbitrary: fc.constant('..') },
      { weight: 3, arbitrary: fc.constantFrom('.', '', '...', '%2e%2e', '..\\..', 'x', 'd23', 'canary', 'canary.txt', 'objects', 'meta', '\u0000', ' ', '..\u0000') },
      { weight: 2, arbitrary: plainText },
    )
    const filename = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 8 }), fc.constantFrom('/', '\\'), fc.boolean()).map(([parts, sep, absolute]) => `${absolute ? sep : ''}${parts.join(sep)}`)
    const careless = { key: ({ prefix, filename }: { prefix: string; filename: string }) => `${prefix}${filename}` }
    await fc.assert(
      fc.asyncProperty(filename, fc.constantFrom('form', 'put', 'multipart'), (name, way) =>
        checked(fresh(careless), async (env) => {
          const checks = leaksFor(root.root, [name])
          const as = (method: string, path: string, body?: unknown) => call(env.handler, method, path, body, { authorization: ALICE })
          const size = { 'metadata[declaredSize]': String(BYTES.length) }
          let key: string | undefined
          if (way === 'multipart') {
            const created = await as('POST', '/s3/multipart', { filename: name, type: 'application/octet-stream' })
            assertSound(env, created, checks)
            if (created.status !== 200) return
            key = created.json.key as string
            const id = encodeURIComponent(created.json.uploadId)
            const signed = await as('GET', `/s3/multipart/${id}/1${q({ key })}`)
            const part = await send(env, new Request(signed.json.url, { method: 'PUT', body: BYTES }), checks)
            const done = await as('POST', `/s3/multipart/${id}/complete${q({ key })}`, { parts: [{ PartNumber: 1, ETag: part.headers.get('etag') }] })
            assert.equal(done.status, 200, done.text)
          } else {
            const params = await as('GET', `/s3/params${q({ filename: name, type: 'text/plain', ...size, ...(way === 'put' ? { method: 'PUT' } : {}) })}`)
            assertSound(env, params, checks)
            if (params.status !== 200) return
            key = params.json.key as string
            const stored =
              way === 'put'
                ? await send(env, new Request(params.json.url, { method: 'PUT', body: BYTES, headers: params.json.headers }), checks)
                : await answer(await postForm(env.handler, params.json.url, params.json.fields, BYTES))
            assertSound(env, stored, checks)
            assert.ok(stored.status < 300, stored.text)
          }
          assert.equal((await env.storage.head(key))?.size, BYTES.length, 'an accepted upload is stored under its key')
        }),
      ),
      { seed: 0x7a2, numRuns: 100 },
    )
  })
})

describe('fuzz: tokens', () => {
  it('work only on the route they were issued for: every other use, or a bent or expired token, is a 403 that changes nothing', async () => {
    const use = fc.record({
      token: fc.constantFrom(...TOKENS),
      route: fc.constantFrom(...TOKEN_ROUTES),
      mutation: mutation(TOKENS),
      late: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    })
    const seed = await seeded(ALICE)
    const m = seed.minted
    await fc.assert(
      fc.asyncProperty(use, (u) =>
        checked(seed.copy(), async (env) => {
          const original = m.pool[u.token]
          const t = mutate(original, u.mutation, m.pool)
          const route = AIMED_ROUTES[u.route]
          const before = snapshot(env.dir)
          const sent = () => route.send(env.handler, { token: t, key: m.keys[route.key], etag: m.pool.etag, authorization: ALICE, bytes: BYTES })
          // Two days on, every token has expired (upload ids last one day).
          const a = await (u.late ? later(2 * 86_400, sent) : sent())
          assertSound(env, a, leaksFor(root.root, [t]))
          if (t === original && TOKEN_PURPOSES[u.token] === route.purpose && !u.late) {
            assert.ok(a.status >= 200 && a.status < 300, `the right token was refused: ${a.status} ${a.text}`)
          } else {
            assert.equal(a.status, 403, `accepted or refused otherwise: ${a.status} ${a.text.slice(0, 200)}`)
            assertSameTree(before, snapshot(env.dir), 'a refused token changed the storage')
          }
        }),
      ),
      { seed: 0x70c, numRuns: 200 },
    )
    seed.cleanup()
  })
})

describe("fuzz: one user against another's files", () => {
  it('B, with A’s keys, upload ids and finish tokens anywhere in any request, never sees, changes or deletes anything of A’s', async () => {
    // A's form, PUT, part and read URLs are bearer capabilities, as presigned S3 URLs are: whoever holds
    // one may use it, so B is not given them. Everything else of A's is fair game, and all of B's own.
    const theirs = ['upload', 'finish', 'key.multipart', 'key.put', 'key.form', 'etag', 'climb'].map((n) => `a.${n}`)
    const mine = ['upload', 'finish', 'part', 'read', 'key.multipart', 'key.put', 'key.form', 'etag'].map((n) => `b.${n}`)
    const id = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('alice', 'bob', 'Alice', 'alice.', 'a@b.example', '1', '-') },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }) },
      { weight: 1, arbitrary: text.filter((s) => s.length > 0 && s.length < 300) },
    )
    // B's id is sometimes the key segment A's id is stored under, as if B had picked it on purpose.
    const ids = fc
      .tuple(id, fc.option(id, { freq: 2, nil: null }))
      .map(([a, b]) => [travelled(a), travelled(b ?? userSegment(travelled(a)))] as const)
      .filter(([a, b]) => a !== b)
    // Mostly aimed: a route that takes a token or a key, given A's or B's, as they are or bent; else any request.
    const aim = { free: 1, bent: 2, asIs: 6 }
    const pick = (names: string[]) => val(names, aim)
    const names = [...theirs, ...mine]
    const aimed = fc.record({
      route: fc.constantFrom(...Object.keys(AIMED_ROUTES)),
      token: pick(names.filter(isToken)),
      key: pick(names.filter(isKey)),
      etag: pick(['a.etag', 'b.etag']),
    })
    const anyRequest = request(names, fc.constant(undefined), aim)
    const requests = fc.array(fc.oneof({ weight: 3, arbitrary: aimed.map((x) => ({ aimed: x })) }, { weight: 1, arbitrary: anyRequest.map((x) => ({ any: x })) }), {
      minLength: 4,
      maxLength: 8,
    })
    await fc.assert(
      fc.asyncProperty(ids, requests, ([idA, idB], specs) =>
        checked(fresh(), async (env) => {
          const a = await mint(env.handler, bearer(idA), new TextEncoder().encode('private to A'))
          const b = await mint(env.handler, bearer(idB), new TextEncoder().encode('B'))
          const pool: Pool = {}
          for (const [name, value] of Object.entries(a.pool)) pool[`a.${name}`] = value
          for (const [name, value] of Object.entries(b.pool)) pool[`b.${name}`] = value
          const [bPrefix] = /^uploads\/[^/]+\//.exec(b.keys.form) ?? ['']
          pool['a.climb'] = `${bPrefix}../${a.keys.form.split('/').slice(1).join('/')}`
          const areaOfA = areaOf(a)
          const before = [...snapshot(env.dir)].filter(([rel]) => areaOfA(rel))
          assert.ok(before.length >= 6, 'A has files and an upload to protect')
          for (const spec of specs) {
            if ('aimed' in spec) {
              const x = spec.aimed
              const values = { token: resolve(x.token, pool), key: resolve(x.key, pool), etag: resolve(x.etag, pool) }
              const answered = await AIMED_ROUTES[x.route].send(env.handler, { ...values, authorization: bearer(idB), bytes: BYTES })
              assertRevealsNothingOf(a, assertSound(env, answered, leaksFor(root.root, Object.values(values))))
              continue
            }
            const built = await build({ ...spec.any, authorization: bearer(idB) }, pool, BASE)
            if (built) assertRevealsNothingOf(a, await send(env, built.request, leaksFor(root.root, built.sent)))
          }
          assertSameTree(new Map(before), new Map([...snapshot(env.dir)].filter(([rel]) => areaOfA(rel))), "A's files or upload changed")
        }),
      ),
      { seed: 0xab, numRuns: 100 },
    )
  })
})

/** The storage paths that hold A's objects, their metadata and A's upload in progress. */
function areaOf(a: Minted) {
  const prefix = /^uploads\/[^/]+\//.exec(a.keys.form)![0]
  const upload = payloadOf(a.pool.upload)!.uploadId as string
  const places = [`objects/${prefix}`, `meta/${prefix}`, `multipart/${upload}/`]
  return (rel: string) => places.some((p) => `${rel}/`.startsWith(p))
}

/**
 * A success answered to B must not carry A's bytes, or describe A's files: a `key` or `etag` of A's,
 * a listed part with A's ETag, or a token (a read URL, a part URL) for A's keys or upload. Raw text
 * is not searched for keys and ETags: B may send them as a file name and get them back in its own key.
 */
function assertRevealsNothingOf(a: Minted, answered: Answer) {
  if (answered.status >= 300) return
  const keys: unknown[] = Object.values(a.keys)
  const upload = payloadOf(a.pool.upload)!.uploadId
  const shown = `${answered.status} ${answered.text.slice(0, 200)}`
  const texts = [answered.text, ...[...answered.headers].map(([, v]) => v)]
  for (const s of texts) {
    assert.ok(!s.includes('private to A'), `B got A's bytes: ${shown}`)
    for (const token of s.match(/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}/g) ?? []) {
      const p = payloadOf(token)
      assert.ok(!keys.includes(p?.key) && p?.uploadId !== upload, `B got a token for A's ${JSON.stringify(p)}: ${shown}`)
    }
  }
  const described = [answered.json ?? {}].flat() as { key?: unknown; etag?: unknown; ETag?: unknown }[]
  for (const d of described) {
    assert.ok(!keys.includes(d?.key) && d?.etag !== a.pool.etag && d?.ETag !== a.pool.etag, `B got A's file or part info: ${shown}`)
  }
}
