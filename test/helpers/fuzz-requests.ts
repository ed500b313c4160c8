// Whole requests over every route: each route's own method, fields and the values it wants mostly, and
// anything at all sometimes (another method, base, body or query; hostile headers now and then).
import fc from 'fast-check'
import { serializeForm } from './server.js'
import { escape, headerText, isKey, isToken, resolve, text, val, type Aim, type Pool, type Val } from './fuzz-values.js'

interface Template {
  method: string
  path: string
  query: string[]
  body?: 'json' | 'form' | 'bytes'
  /** The minted token and key this route works with, for requests that aim true. */
  wants?: { token?: string; key?: string }
}

const UPLOAD = { token: 'upload', key: 'key.multipart' }

/** Every route, with the method and the query fields it expects; `{kind}` is a path segment to fill with a value of that kind. */
const TEMPLATES: Template[] = [
  { method: 'GET', path: '/s3/params', query: ['filename', 'type', 'method', 'metadata[declaredSize]', 'metadata[note]', 'metadata[original-name]'] },
  { method: 'POST', path: '/s3/multipart', query: [], body: 'json' },
  { method: 'GET', path: '/s3/multipart/{id}', query: ['key'], wants: UPLOAD },
  { method: 'DELETE', path: '/s3/multipart/{id}', query: ['key'], wants: UPLOAD },
  { method: 'GET', path: '/s3/multipart/{id}/{part}', query: ['key'], wants: UPLOAD },
  { method: 'GET', path: '/s3/multipart/{id}/batch', query: ['key', 'partNumbers'], wants: UPLOAD },
  { method: 'POST', path: '/s3/multipart/{id}/complete', query: ['key'], body: 'json', wants: UPLOAD },
  { method: 'GET', path: '/object', query: ['key', 'declaredSize'], wants: { key: 'key.form' } },
  { method: 'POST', path: '/finish', query: [], body: 'json', wants: { token: 'finish' } },
  { method: 'PUT', path: '/disk/part', query: ['t'], body: 'bytes', wants: { token: 'part' } },
  { method: 'PUT', path: '/disk/put', query: ['t'], body: 'bytes', wants: { token: 'put' } },
  { method: 'GET', path: '/disk/object', query: ['t'], wants: { token: 'read' } },
  { method: 'HEAD', path: '/disk/object', query: ['t'], wants: { token: 'read' } },
  { method: 'POST', path: '/disk/post/{token}', query: ['t'], body: 'form', wants: { token: 'form', key: 'key.form' } },
  { method: 'GET', path: '/disk/post/{token}/{key}', query: [], wants: { token: 'postRead', key: 'key.form' } },
  { method: 'GET', path: '/disk/post/{token}/{any}/{key}', query: [], wants: { token: 'postRead', key: 'key.form' } },
  { method: 'OPTIONS', path: '/s3/multipart', query: [] },
  { method: 'GET', path: '/{any}/{any}', query: [] },
]

const PREFIXES = ['http://app.test/api/uploadsx', 'http://app.test', 'http://app.test/API/uploads', 'https://app.test/api/uploads']
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']
const method = fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[A-Za-z]{1,8}$/).filter((m) => !/^(connect|trace|track)$/i.test(m)))

type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'route'; fields: Record<string, unknown> }
  | { kind: 'text'; text: string }
  | { kind: 'huge'; size: number }
  | { kind: 'deep'; depth: number; open: string; close: string }
  | { kind: 'form'; fields: [string, Val][]; file: Uint8Array | null; fileFirst: boolean }
  | { kind: 'bytes'; bytes: Uint8Array }

const MiB = 1024 * 1024

function bodies(names: string[], aim?: Aim) {
  const v = val(names, aim)
  const token = val(names.filter(isToken), aim)
  const anything = fc.oneof(v, fc.jsonValue({ maxDepth: 3 }))
  const part = fc.record({ PartNumber: fc.oneof(fc.integer({ min: -2, max: 10_002 }), anything), ETag: anything }, { requiredKeys: [] })
  const json = fc
    .record(
      {
        filename: anything,
        type: fc.oneof(fc.constantFrom('image/png', 'text/plain', 'application/octet-stream', 'text/html', ''), anything),
        metadata: fc.oneof(fc.dictionary(text, anything, { maxKeys: 4 }), anything),
        parts: fc.oneof(fc.array(part, { maxLength: 4 }), anything),
        token,
        partNumbers: fc.oneof(fc.array(fc.integer({ min: -1, max: 10_001 }), { maxLength: 5 }), anything),
      },
      { requiredKeys: [] },
    )
    .map((fields): Body => ({ kind: 'route', fields }))
  const form = fc
    .record({
      fields: fc.array(fc.tuple(fc.oneof(fc.constantFrom('key', 'success_action_status', 'Key', 'file', 'policy'), text), v), { maxLength: 4 }),
      file: fc.option(fc.uint8Array({ maxLength: 2048 }), { nil: null }),
      fileFirst: fc.boolean(),
    })
    .map((f): Body => ({ kind: 'form', ...f }))
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 4096 })).map((b): Body => ({ kind: 'bytes', bytes: b }))
  const deep = fc.record({ depth: fc.integer({ min: 1, max: 200_000 }), array: fc.boolean() }).map(
    ({ depth, array }): Body => ({ kind: 'deep', depth, open: array ? '[' : '{"a":', close: array ? ']' : '}' }),
  )
  const any = fc.oneof(
    json,
    form,
    bytes,
    deep,
    fc.jsonValue().map((value): Body => ({ kind: 'json', value })),
    text.map((t): Body => ({ kind: 'text', text: t })),
    fc.integer({ min: MiB - 64, max: MiB + 64 }).map((size): Body => ({ kind: 'huge', size })),
  )
  return { json, form, bytes, any }
}

/** `arbitrary` one time in `1 + odds`, else undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, odds = 3) => fc.oneof({ weight: odds, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary })

const some = (names: string[], keep: (n: string) => boolean) => (names.some(keep) ? names.filter(keep) : names)

/** A request over any route: the route's own method and fields mostly, anything at all sometimes. */
export function request(names: string[], authorization: fc.Arbitrary<string | undefined>, aim?: Aim) {
  const v = val(names, aim)
  const key = val(some(names, isKey), aim)
  const token = val(some(names, isToken), aim)
  return fc.record({
    template: fc.nat(TEMPLATES.length - 1),
    prefix: sometimes(fc.constantFrom(...PREFIXES), 12),
    method: sometimes(method, 8),
    holes: fc.record({ id: token, token, key, part: fc.oneof(fc.constantFrom('1', '2', '0', '10001', '1.0', '-1'), v), any: fc.array(fc.oneof({ weight: 2, arbitrary: text }, { weight: 1, arbitrary: v }), { minLength: 2, maxLength: 2 }) }),
    rawSegments: fc.boolean(),
    // Half the requests carry the token and key their route wants, so they get past the token checks.
    onTarget: fc.boolean(),
    query: fc.array(fc.option(v, { freq: 3, nil: undefined }), { minLength: 6, maxLength: 6 }),
    queryKey: fc.option(key, { freq: 6, nil: undefined }),
    queryToken: fc.option(token, { freq: 6, nil: undefined }),
    extraQuery: fc.array(fc.tuple(text, v), { maxLength: 3 }),
    rawQuery: sometimes(text, 8),
    bodies: fc.record(bodies(names, aim)),
    otherBody: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    // Each hostile header now and then: one on every request would stop most at the origin check.
    headers: fc.record({
      origin: sometimes(fc.oneof(fc.constantFrom('http://app.test', 'null', 'https://app.test', 'http://localhost:3000', 'http://localhost:80@evil.example', 'http://evil.example'), headerText), 6),
      'content-type': sometimes(
        fc.oneof(
          fc.constantFrom('application/json', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=x', 'text/plain', 'application/x-www-form-urlencoded'),
          headerText,
        ),
      ),
      range: sometimes(
        fc.oneof(
          fc.constantFrom('bytes=0-0', 'bytes=-1', 'bytes=-0', 'bytes=0-', 'bytes=5-2', 'bytes=99999999999999999999-', 'bytes=-99999999999999999999', 'bytes=0-1,3-4', 'bytes=', 'items=0-1'),
          fc.tuple(fc.nat(40), fc.nat(40)).map(([a, b]) => `bytes=${a}-${b}`),
          headerText,
        ),
        1,
      ),
      'content-length': sometimes(fc.oneof(fc.constantFrom('0', '-1', '1e309', 'NaN', 'abc', '99999999999999999999', '1048577', '1.5'), fc.nat().map(String), headerText)),
      'x-forwarded-host': sometimes(fc.oneof(fc.constant('evil.example'), headerText)),
    }),
    authorization,
  })
}

export type RequestSpec = ReturnType<typeof request> extends fc.Arbitrary<infer T> ? T : never

/** The concrete request for `spec`, and every text in it (for telling a leak from an echo); null when no Request can carry it. */
export async function build(spec: RequestSpec, pool: Pool, base: string): Promise<{ request: Request; sent: string[] } | null> {
  const t = TEMPLATES[spec.template]
  const m = spec.method ?? t.method
  const wanted = (kind: 'token' | 'key') => {
    const name = t.wants?.[kind]
    return spec.onTarget && name !== undefined && pool[name] !== undefined ? pool[name] : undefined
  }
  const value = (kind: 'token' | 'key', v: Val) => wanted(kind) ?? resolve(v, pool)
  let any = 0
  const path = t.path.replace(/\{(\w+)\}/g, (_, kind: 'id' | 'token' | 'key' | 'part' | 'any') => {
    const s =
      kind === 'any' ? resolve(spec.holes.any[any++], pool) : kind === 'part' ? resolve(spec.holes.part, pool) : value(kind === 'key' ? 'key' : 'token', spec.holes[kind])
    // A key in a path is escaped segment by segment, as stock clients build a location.
    return spec.rawSegments ? s : kind === 'key' ? s.split('/').map(escape).join('/') : escape(s)
  })
  const pairs: [string, string][] = []
  t.query.forEach((name, i) => {
    if (name === 'key' && spec.queryKey !== undefined) pairs.push([name, value('key', spec.queryKey)])
    else if (name === 't' && spec.queryToken !== undefined) pairs.push([name, value('token', spec.queryToken)])
    else if (name !== 'key' && name !== 't' && spec.query[i] !== undefined) pairs.push([name, resolve(spec.query[i]!, pool)])
  })
  for (const [name, extra] of spec.extraQuery) pairs.push([name, resolve(extra, pool)])
  const query = spec.rawQuery ?? pairs.map(([k, v]) => `${escape(k)}=${escape(v)}`).join('&')
  const url = `${spec.prefix ?? base}${path}${query ? `?${query}` : ''}`
  const headers: Record<string, string> = {}
  for (const [name, given] of Object.entries(spec.headers)) if (given !== undefined) headers[name] = given
  if (spec.authorization !== undefined) headers.authorization = spec.authorization
  const chosen = spec.otherBody ? spec.bodies.any : t.body && spec.bodies[t.body]
  const payload = /^(GET|HEAD)$/i.test(m) ? undefined : await bodyOf(chosen, pool, { token: wanted('token'), key: wanted('key'), etag: pool.etag })
  if (payload?.contentType && headers['content-type'] === undefined) headers['content-type'] = payload.contentType
  try {
    const request = new Request(url, { method: m, headers, body: payload?.bytes as BodyInit | undefined })
    const bodyText = payload ? Buffer.from(payload.bytes).toString('latin1') : ''
    return { request, sent: [url, request.url, bodyText, ...Object.values(headers)] }
  } catch {
    return null
  }
}

/** What an aimed body carries: the route's token (finish), its key (a form's key field) and the part's ETag (complete). */
interface Target {
  token?: string
  key?: string
  etag?: string
}

async function bodyOf(b: Body | undefined, pool: Pool, target: Target): Promise<{ bytes: Uint8Array; contentType?: string } | undefined> {
  if (!b) return undefined
  const utf8 = (s: string) => ({ bytes: new TextEncoder().encode(s) })
  const resolveDeep = (x: unknown): unknown => {
    if (x && typeof x === 'object' && 'ref' in x && 'mutation' in x) return resolve(x as Val, pool)
    if (Array.isArray(x)) return x.map(resolveDeep)
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, resolveDeep(v)]))
    return x
  }
  switch (b.kind) {
    case 'json':
      return utf8(JSON.stringify(b.value) ?? '')
    case 'route': {
      const fields = resolveDeep(b.fields) as Record<string, unknown>
      // Aimed at /finish or at a complete: the route's own token, and part 1 with its real ETag.
      if (target.token) Object.assign(fields, { token: target.token }, target.etag && !Array.isArray(fields.parts) ? { parts: [{ PartNumber: 1, ETag: target.etag }] } : {})
      return utf8(JSON.stringify(fields))
    }
    case 'text':
      return utf8(b.text)
    case 'huge':
      return utf8(`{"filename":"a.png","pad":"${'x'.repeat(b.size)}"}`)
    case 'deep':
      return utf8(`{"filename":"a.png","metadata":{"x":${b.open.repeat(b.depth)}1${b.close.repeat(b.depth)}}}`)
    case 'bytes':
      return { bytes: b.bytes }
    case 'form': {
      const form = new FormData()
      const file = () => b.file && form.append('file', new Blob([b.file as BlobPart]), 'f.bin')
      if (b.fileFirst) file()
      if (target.key) form.append('key', target.key)
      for (const [name, v] of b.fields) form.append(name, resolve(v, pool))
      if (!b.fileFirst) file()
      const { body, headers } = await serializeForm(form)
      return { bytes: body, contentType: headers['content-type'] }
    }
  }
}
