import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { forbidden } from './errors.js'

/** Compact HMAC-signed tokens: `base64url(json).base64url(mac)`. They carry state so no server keeps any. */
export function signToken(secret: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${body}.${mac(secret, body)}`
}

export function verifyToken<T extends object>(secret: string, token: string, what: string): T {
  const dot = token.lastIndexOf('.')
  if (dot <= 0) throw forbidden('invalid_token', `The ${what} is malformed.`)
  const body = token.slice(0, dot)
  const given = Buffer.from(token.slice(dot + 1), 'base64url')
  const expected = Buffer.from(mac(secret, body), 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw forbidden('invalid_token', `The ${what} was not issued by this server or was altered.`)
  }
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T
  } catch {
    throw forbidden('invalid_token', `The ${what} is malformed.`)
  }
}

function mac(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 32)
}

const warned = new Set<string>()

/** The configured secret, else `HOIST_SECRET`, else a random one for this process (with a warning). */
export function resolveSecret(given: string | undefined, who: string): string {
  const secret = given ?? process.env.HOIST_SECRET
  if (secret) {
    if (secret.length < 16) throw new TypeError(`${who}: secret must be at least 16 characters`)
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
