// The values the fuzz suite puts in requests: text an attacker reaches for, and real tokens and keys
// bent out of shape. Minted values stay symbolic (`{ ref, mutation }`) until a run resolves them against
// what it minted, so a shrunk counterexample reads as a recipe.
import fc from 'fast-check'
import { signToken, type TokenPurpose } from '../../src/server/tokens.js'

export type Pool = Record<string, string>

const PURPOSES = ['upload', 'finish', 'part', 'put', 'form', 'read'] as const satisfies readonly TokenPurpose[]
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Signs forgeries: a token made with any other secret must never verify. */
const OTHER_SECRET = 'not-the-servers-secret-0123456789'

/** %-escapes a decoder refuses: cut short, not hex, or not UTF-8 (an encoded surrogate, an overlong `/`). */
const BAD_ESCAPES = ['%', '%Z', '%ZZ', '%2', '%ED%A0%80', '%C0%AF', '%FF', '%E2%80']
// Other escapes, separators, invisible and reserved names. A text holds at most 12 units, so it climbs
// at most 12 levels (`../` is one unit): fuzzRoot() nests the storage deeper than two texts joined.
const PLAIN = ['%00', '%0A', '%E2%80%AE', '%2B', '?', '#', '&', '=', '+', ';', ' ', '\u0000', '\u202e', '\u2066', '\u00ad', '\ufeff', 'CON', 'nul.txt', 'uploads', 'alice', 'metadata[', ']', 'é', '📄', '\r\n', '"', '<', '{']
const CLIMBING = ['..', '.', '/', '//', '\\', '%2F', '%2f', '%2E%2E', '%2e', '%5C', '../']

const unit = (fragments: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.constantFrom(...fragments) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_ESCAPES) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  )

/** Short hostile text that never climbs: no `..`, `/` or backslash in any spelling. */
export const plainText = fc.string({ unit: unit(PLAIN), maxLength: 12 })

/** Any text, short and hostile, or very long (a plain run repeated, so it climbs no further). */
export const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: unit([...PLAIN, ...CLIMBING]), maxLength: 12 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: unit(PLAIN), minLength: 1, maxLength: 4 }), fc.integer({ min: 64, max: 3000 })).map(([s, n]) => s.repeat(n)) },
)

/** A header value: any bytes a header can carry (no CR, LF or NUL). */
export const headerText = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c)),
  maxLength: 40,
})

export type Mutation =
  | { op: 'none' }
  | { op: 'flip'; at: number; by: number }
  | { op: 'truncate'; n: number }
  | { op: 'append'; text: string }
  | { op: 'splice'; mac: string }
  | { op: 'repurpose'; purpose: TokenPurpose }
  | { op: 'resign'; purpose: TokenPurpose }

/** Ways to bend a real token (or key): one character changed, cut short, junk added, another token's MAC, its purpose rewritten, signed with another secret. */
export function mutation(names: string[]): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ op: 'none' as const }) },
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), by: fc.nat(62) }),
    fc.record({ op: fc.constant('truncate' as const), n: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ op: fc.constant('append' as const), text: text.filter((s) => s.length > 0) }),
    fc.record({ op: fc.constant('splice' as const), mac: fc.constantFrom(...names) }),
    fc.record({ op: fc.constant('repurpose' as const), purpose: fc.constantFrom(...PURPOSES) }),
    fc.record({ op: fc.constant('resign' as const), purpose: fc.constantFrom(...PURPOSES) }),
  )
}

/** A token's payload, if `token` is one (`base64url(json).mac`). */
export function payloadOf(token: string): Record<string, unknown> | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'))
    return payload && typeof payload === 'object' ? payload : undefined
  } catch {
    return undefined
  }
}

export function mutate(value: string, m: Mutation, pool: Pool): string {
  const [body, mac = ''] = value.split('.')
  switch (m.op) {
    case 'none':
      return value
    case 'flip': {
      if (value === '') return 'A'
      // Always another character: a base64url one shifted by 1..63, or a base64url one for anything else.
      const i = m.at % value.length
      return value.slice(0, i) + B64URL[(Math.max(B64URL.indexOf(value[i]), 0) + 1 + m.by) % 64] + value.slice(i + 1)
    }
    case 'truncate':
      return value.slice(0, Math.max(0, value.length - m.n))
    case 'append':
      return value + m.text
    case 'splice':
      return `${body}.${(pool[m.mac] ?? '').split('.')[1] ?? ''}`
    case 'repurpose': {
      const payload = payloadOf(value)
      return payload ? `${Buffer.from(JSON.stringify({ ...payload, purpose: m.purpose })).toString('base64url')}.${mac}` : `${value}.`
    }
    case 'resign':
      return signToken(OTHER_SECRET, m.purpose, payloadOf(value) ?? {}, 900)
  }
}

/** Minted names that are keys (`key.form`, `a.key.put`, `a.climb`); the others are tokens and ETags. */
export const isKey = (name: string) => /(^|\.)(key\.|climb)/.test(name)
export const isToken = (name: string) => !isKey(name) && !name.endsWith('etag')

/** Free text, or something minted (by name) as it is or bent. */
export type Val = string | { ref: string; mutation: Mutation }

/** How often a value is free text, something minted bent, or something minted as it is. */
export interface Aim {
  free: number
  bent: number
  asIs: number
}
const SCATTERED: Aim = { free: 2, bent: 2, asIs: 4 }

export const val = (names: string[], aim = SCATTERED): fc.Arbitrary<Val> =>
  fc.oneof(
    { weight: aim.free, arbitrary: text },
    { weight: aim.bent, arbitrary: fc.record({ ref: fc.constantFrom(...names), mutation: mutation(names) }) },
    { weight: aim.asIs, arbitrary: fc.record({ ref: fc.constantFrom(...names), mutation: fc.constant({ op: 'none' as const }) }) },
  )

export const resolve = (v: Val, pool: Pool) => (typeof v === 'string' ? v : mutate(pool[v.ref], v.mutation, pool))

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
/** encodeURIComponent, which throws on a lone surrogate: that becomes U+FFFD, as a URL parser makes it. */
export const escape = (s: string) => encodeURIComponent(s.replace(LONE_SURROGATE, '\ufffd'))
