/** How link uploads (`POST {base}/url`) fetch. */
export interface FromUrlOptions {
  /** Hosts (`host` or `host:port`) that may be fetched even though they resolve to a private or loopback address. */
  allowHosts?: string[]
  /** Hosts never fetched, whatever they resolve to. */
  denyHosts?: string[]
  /** Time a fetch has, from the first byte asked to the last stored (default 120,000 ms). */
  timeoutMs?: number
  /** Redirects followed, each hop checked like the first (default 5, at most 5). */
  maxRedirects?: number
}

export interface ResolvedFromUrl {
  allowHosts: string[]
  denyHosts: string[]
  timeoutMs: number
  maxRedirects: number
}

export function resolveFromUrl(o: FromUrlOptions | boolean | undefined): ResolvedFromUrl | undefined {
  if (o === undefined || o === false) return undefined
  const opts = o === true ? {} : o
  if (typeof opts !== 'object' || opts === null) throw new TypeError('createUploadHandler: fromUrl must be true or an object')
  return { allowHosts: opts.allowHosts ?? [], denyHosts: opts.denyHosts ?? [], timeoutMs: opts.timeoutMs ?? 120_000, maxRedirects: opts.maxRedirects ?? 5 }
}
