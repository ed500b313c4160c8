import { lookup } from 'node:dns/promises'
import { parseHostRules, type HostRule } from './hosts.js'

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

/** One address a name resolves to. */
export interface ResolvedAddress {
  address: string
  family: number
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>

/**
 * For tests only, and not part of the documented options: a resolver that stands in for DNS, so
 * tests can map names to addresses without asking a real server.
 */
export interface FromUrlTestHooks {
  resolve?: Resolver
}

/** Fetches running at once in one handler; more are answered 429 `too_many_fetches`. */
export const MAX_FETCHES = 8

export interface ResolvedFromUrl {
  allowHosts: HostRule[]
  denyHosts: HostRule[]
  timeoutMs: number
  maxRedirects: number
  resolve: Resolver
  /** Fetches under way in this handler (this process's memory: a bound on its own work, not shared state). */
  running: { count: number }
}

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true })

function whole(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`createUploadHandler: fromUrl.${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return value
}

export function resolveFromUrl(o: FromUrlOptions | boolean | undefined): ResolvedFromUrl | undefined {
  if (o === undefined || o === false) return undefined
  const opts = (o === true ? {} : o) as FromUrlOptions & FromUrlTestHooks
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError('createUploadHandler: fromUrl must be true or an object')
  if (opts.resolve !== undefined && typeof opts.resolve !== 'function') throw new TypeError('createUploadHandler: fromUrl.resolve must be a function')
  return {
    allowHosts: parseHostRules(opts.allowHosts, 'allowHosts'),
    denyHosts: parseHostRules(opts.denyHosts, 'denyHosts'),
    timeoutMs: whole(opts.timeoutMs, 'timeoutMs', 120_000, 1, 24 * 3600_000),
    maxRedirects: whole(opts.maxRedirects, 'maxRedirects', 5, 0, 5),
    resolve: opts.resolve ?? systemResolver,
    running: { count: 0 },
  }
}
