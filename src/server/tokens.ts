import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { forbidden } from './errors.js'

/**
 * What a token is for. Each purpose signs with its own key, derived from the secret, so a token of
 * one kind never verifies as another even when the handler and the storage share a secret.
 */
export type TokenPurpose = 'upload' | 'finish' | 'part' | 'put' | 'form' | 'read' | 'url'

/** Longest token accepted; real ones are a few hundred characters. */
const MAX_TOKEN_LENGTH = 8192
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/
const keys = new Map<string, Buffer>()

function keyFor(secret: string, purpose: TokenPurpose): Buffer {
  const id = `${purpose}\0${secret}`
  let key = keys.get(id)
  if (!key) {
    key = createHmac('sha256', secret).update(`hoist-uploader token key: ${purpose}`).digest()
    if (keys.size > 64) keys.clear()
    keys.set(id, key)
  }
  return key
}

const mac = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest('base64url')
export const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * A compact HMAC-signed token, `base64url(json).base64url(mac)`, that states its purpose and expires
 * `expiresIn` seconds from now. Tokens carry state so no server keeps any.
 */
export function signToken(secret: string, purpose: TokenPurpose, payload: object, expiresIn: number): string {
  const body = Buffer.from(JSON.stringify({ ...payload, purpose, exp: nowSeconds() + expiresIn })).toString('base64url')
  return `${body}.${mac(keyFor(secret, purpose), body)}`
}

/**
 * Checks a token's signature for `purpose`, its stated purpose and its expiry, and returns its payload.
 * `what` names it in errors ("upload id", "part URL"). The encoded text must be exactly what was
 * signed: no padding, junk or other spelling of the same bytes.
 */
export function verifyToken<T extends object>(secret: string, purpose: TokenPurpose, token: unknown, what: string): T {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !SHAPE.test(token)) throw forbidden('invalid_token', `The ${what} is malformed.`)
  const dot = token.indexOf('.')
  const body = token.slice(0, dot)
  const given = Buffer.from(token.slice(dot + 1))
  const expected = Buffer.from(mac(keyFor(secret, purpose), body))
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw forbidden('invalid_token', `The ${what} was not issued by this server for this purpose, or was altered.`)
  }
  let payload: { purpose?: unknown; exp?: unknown }
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    throw forbidden('invalid_token', `The ${what} is malformed.`)
  }
  if (!payload || typeof payload !== 'object' || payload.purpose !== purpose) throw forbidden('invalid_token', `The ${what} is not for this purpose.`)
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp) || payload.exp < nowSeconds()) {
    throw forbidden('expired', `The ${what} has expired; ask for a new one.`)
  }
  return payload as T
}

const warned = new Set<string>()

/** The configured secret, else `HOIST_SECRET`, else a random one for this process (with a warning). */
export function resolveSecret(given: string | undefined, who: string): string {
  const secret = given ?? process.env.HOIST_SECRET
  if (secret !== undefined && secret !== '') {
    if (typeof secret !== 'string' || secret.length < 16) throw new TypeError(`${who}: secret must be a string of at least 16 characters`)
    return secret
  }
  if (!warned.has(who)) {
    warned.add(who)
    console.warn(
      `${who}: no secret given and HOIST_SECRET is unset; using a random one. ` +
        'Signed URLs stop working after a restart and differ between instances.',
    )
  }
  return randomBytes(32).toString('base64url')
}
