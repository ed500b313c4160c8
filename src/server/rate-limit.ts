import { HttpError } from './errors.js'

export interface RateLimitOptions<User> {
  /** Requests a client may make per window; also the largest burst (default 2,000). */
  limit?: number
  /** Length of the window in ms (default 60,000). */
  windowMs?: number
  /** Who a request counts against (default: the authorized user's `id`, else the user itself if a string or number). */
  key?: (request: Request, user: User) => string
}

/** Most clients remembered at once; full buckets are dropped first when the map grows past it. */
const MAX_CLIENTS = 10_000

function defaultKey(_request: Request, user: unknown): string {
  if (typeof user === 'string' || typeof user === 'number') return String(user)
  const id = (user as { id?: unknown } | null)?.id
  return id === undefined ? JSON.stringify(user) ?? 'anonymous' : String(id)
}

/**
 * A token bucket per client, in this process's memory: `limit` tokens refilled evenly over `windowMs`.
 * Instances behind a load balancer each keep their own count.
 */
export function rateLimiter<User>(options: RateLimitOptions<User> | false | undefined): ((request: Request, user: User) => void) | undefined {
  if (options === false) return undefined
  const limit = options?.limit ?? 2000
  const windowMs = options?.windowMs ?? 60_000
  if (!(limit > 0) || !(windowMs > 0)) throw new TypeError('createUploadHandler: rateLimit.limit and rateLimit.windowMs must be positive')
  const keyOf = options?.key ?? defaultKey
  const perMs = limit / windowMs
  const buckets = new Map<string, { tokens: number; at: number }>()

  function prune(now: number) {
    for (const [key, b] of buckets) if (b.tokens + (now - b.at) * perMs >= limit) buckets.delete(key)
    // Still too many clients with requests in flight: forget the oldest.
    for (const key of buckets.keys()) {
      if (buckets.size <= MAX_CLIENTS / 2) break
      buckets.delete(key)
    }
  }

  return (request, user) => {
    const now = Date.now()
    const key = keyOf(request, user)
    const b = buckets.get(key) ?? { tokens: limit, at: now }
    b.tokens = Math.min(limit, b.tokens + (now - b.at) * perMs)
    b.at = now
    if (b.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000))
      throw new HttpError(429, 'rate_limited', `Too many upload requests; try again in ${retryAfter} s.`, { 'retry-after': String(retryAfter) })
    }
    b.tokens -= 1
    buckets.delete(key)
    buckets.set(key, b)
    if (buckets.size > MAX_CLIENTS) prune(now)
  }
}
