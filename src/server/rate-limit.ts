import { clientAddress } from './client-address.js'
import { HttpError } from './errors.js'
import { positiveInteger } from './numbers.js'
import { userId } from './user.js'

export interface RateLimitOptions<User> {
  /** Requests a client may make per window; also the largest burst (default 2,000). */
  limit?: number
  /** Length of the window in ms (default 60,000). */
  windowMs?: number
  /**
   * Who a request counts against. Default: the authorized user's id (a string or number user, or its
   * `id` field), else the client's address (`toNodeHandler` knows it; with `trustProxy`, the address
   * the nearest proxy saw), else one bucket shared by all such requests.
   */
  key?: (request: Request, user: User) => string
}

/** Clients remembered at once before idle ones are forgotten; a client still being limited is never forgotten. */
const MAX_CLIENTS = 10_000

function defaultKey(request: Request, user: unknown): string {
  const id = userId(user)
  if (id !== undefined) return `user:${id}`
  const address = clientAddress(request)
  return address === undefined ? 'anonymous' : `address:${address}`
}

/**
 * A token bucket per client, in this process's memory: `limit` tokens refilled evenly over `windowMs`.
 * Instances behind a load balancer each keep their own count.
 */
export function rateLimiter<User>(options: RateLimitOptions<User> | false | undefined): ((request: Request, user: User, cost?: number) => void) | undefined {
  if (options === false) return undefined
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new TypeError('createUploadHandler: rateLimit must be an object or false')
  const limit = positiveInteger(options?.limit, 'rateLimit.limit', 2000)
  const windowMs = positiveInteger(options?.windowMs, 'rateLimit.windowMs', 60_000)
  if (options?.key !== undefined && typeof options.key !== 'function') throw new TypeError('createUploadHandler: rateLimit.key must be a function')
  const keyOf = options?.key ?? defaultKey
  const perMs = limit / windowMs
  const buckets = new Map<string, { tokens: number; at: number }>()
  let prunedAt = 0

  const tokensAt = (b: { tokens: number; at: number }, now: number) => Math.min(limit, b.tokens + (now - b.at) * perMs)

  function prune(now: number) {
    for (const [key, b] of buckets) if (tokensAt(b, now) >= limit) buckets.delete(key)
    // Still too many: forget the least recent clients that are not being limited right now.
    for (const [key, b] of buckets) {
      if (buckets.size <= MAX_CLIENTS / 2) break
      if (tokensAt(b, now) >= 1) buckets.delete(key)
    }
  }

  return (request, user, cost = 1) => {
    const now = Date.now()
    const key = keyOf(request, user)
    const b = buckets.get(key) ?? { tokens: limit, at: now }
    b.tokens = tokensAt(b, now)
    b.at = now
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000))
      throw new HttpError(429, 'rate_limited', `Too many upload requests; try again in ${retryAfter} s.`, { 'retry-after': String(retryAfter) })
    }
    // A batch of files takes a token per file (it needs one to start): a client that sends many files
    // at once waits as long afterwards as one that sent them one by one.
    b.tokens -= cost
    buckets.delete(key)
    buckets.set(key, b)
    // Pruning walks every bucket: at most once a second, even while every remembered client is being limited.
    if (buckets.size > MAX_CLIENTS && now - prunedAt > 1000) {
      prunedAt = now
      prune(now)
    }
  }
}
