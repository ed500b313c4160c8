import { parseSize } from '../shared/sizes.js'
import type { KeyContext } from './keys.js'
import { defaultKey } from './keys.js'
import type { Storage } from './storage/types.js'
import { isProvider, type Provider } from './providers/types.js'
import { hostedOnly } from './providers/hosted-only.js'
import { resolveSecret } from './tokens.js'
import { rateLimiter, type RateLimitOptions } from './rate-limit.js'
import { defaultPrefix, userId } from './user.js'
import { parseDuration, positiveInteger } from './numbers.js'
import type { FromUrlOptions } from './from-url/options.js'
import { resolveFromUrl, type ResolvedFromUrl } from './from-url/options.js'

export interface UploadHandlerOptions<User = unknown> {
  /** Your bucket (`s3Storage`), disk (`diskStorage`) or a hosted upload API (`viesusStorage`, `upscaylStorage`, `luwStorage`, `uploadcareStorage`, `cloudinaryStorage`). */
  storage: Storage | Provider
  /**
   * Decides who may upload. Return the user (any truthy value); return nothing or throw to refuse:
   * a thrown `HttpError` keeps its status, anything else answers 401. Required: pass
   * `authorize: () => true` to let anyone upload.
   */
  authorize: (request: Request) => User | Promise<User>
  /** Path the handler is mounted under, e.g. `/api/uploads` (default: none). */
  basePath?: string
  /** HMAC secret for upload ids (default: `HOIST_SECRET`, else random per process). Share it between instances. */
  secret?: string
  /**
   * Where a user may write and read; keys outside it are refused. Default: `uploads/{user.id}/` for a
   * user with an id (or a string or number user), else `uploads/`. Pass `'uploads/'` to let users share.
   */
  keyPrefix?: string | ((user: User) => string)
  /** Picks the object key; must stay under `ctx.prefix` (default `{prefix}{yyyy}/{mm}/{uuid}/{safe-name}`). */
  key?: (ctx: KeyContext<User>) => string
  /** Largest file accepted, in bytes or with a unit: `2GB`, `500MiB` (default 5 GiB, S3's single-PUT limit is not a factor). */
  maxFileSize?: number | string
  /** MIME types or extensions accepted: `['image/*', 'application/pdf', '.heic']` (default: any). */
  allowedTypes?: string[]
  /** Lifetime of upload URLs, in seconds (default 900). */
  expiresIn?: number
  /**
   * Lifetime of an upload id (and of a single upload's finish token), in seconds: the time a file has to
   * finish, resumes after a reload included (default 86,400, one day).
   */
  uploadExpiresIn?: number
  /** Lifetime of the read URLs handed back in file info, in seconds (default 3600). */
  readExpiresIn?: number
  /** A permanent URL for a stored key (a public bucket or CDN); replaces the signed read URL. */
  publicUrl?: (key: string) => string
  /** Origins allowed to call the handler from another origin: a list (`*` wildcards a port or subdomain), a predicate, or `'*'`. Default: same origin only. */
  allowedOrigins?: string[] | '*' | ((origin: string) => boolean)
  /** Called with unexpected errors before a generic 500 is sent (default: `console.error`). */
  onError?: (error: unknown) => void
  /**
   * Requests per client on the signing routes, answered with 429 and `Retry-After` beyond it
   * (default 2,000 a minute per user, in this process's memory); `false` turns it off.
   */
  rateLimit?: RateLimitOptions<User> | false
  /**
   * Lets users upload from a link: `POST {base}/url` fetches it on the server, through an SSRF guard
   * that is always on. Off by default; `true` or an object turns it on.
   */
  fromUrl?: FromUrlOptions | boolean
  /**
   * `'auto'` (default): an upload is kept once it finishes. `'manual'`: it is temporary until the app's
   * server calls `handler.store(keys, user)`, and removed after `temporaryTtl`.
   */
  store?: 'auto' | 'manual'
  /** How long a temporary upload lives, in seconds or as `24h`, `7d` (default 24 h). */
  temporaryTtl?: number | string
  /** Exposes `POST {base}/store { keys }`, so a page (or a server without access to the handler) can keep its user's files (default off). */
  storeRoute?: boolean
  /** Who besides its owner may read a group (default: nobody). */
  canReadGroup?: (user: User, group: { id: string; owner: string }) => boolean | Promise<boolean>
}

export interface ResolvedOptions<User> {
  /** For a hosted API, a storage whose every method refuses: the Companion routes then answer `not_supported`. */
  storage: Storage
  provider: Provider | undefined
  authorize: (request: Request) => User | Promise<User>
  basePath: string
  secret: string
  prefixFor: (user: User) => string
  /** Whether the user writes to the area every user without an id shares (the default `keyPrefix`, no id). */
  sharesAnonymousArea: (user: User) => boolean
  key: (ctx: KeyContext<User>) => string
  maxFileSize: number
  allowedTypes?: string[]
  expiresIn: number
  uploadExpiresIn: number
  readExpiresIn: number
  publicUrl?: (key: string) => string
  originAllowed: (origin: string) => boolean
  onError: (error: unknown) => void
  /** Counts a call against the client's rate limit: `cost` tokens (default 1; a batch's other files cost one each). */
  limit: ((request: Request, user: User, cost?: number) => void) | undefined
  fromUrl: ResolvedFromUrl | undefined
  store: 'auto' | 'manual'
  /** Seconds. */
  temporaryTtl: number
  storeRoute: boolean
  canReadGroup: (user: User, group: { id: string; owner: string }) => boolean | Promise<boolean>
}

function originMatcher(allowed: UploadHandlerOptions['allowedOrigins']): (origin: string) => boolean {
  if (allowed === undefined) return () => false
  if (allowed === '*') return () => true
  if (typeof allowed === 'function') return allowed
  if (!Array.isArray(allowed)) throw new TypeError('createUploadHandler: allowedOrigins must be an array, "*" or a function')
  const patterns = allowed.map((o) => {
    if (typeof o !== 'string') throw new TypeError('createUploadHandler: allowedOrigins must list origins as strings')
    // A `*` stands for host characters only (a subdomain or a port), never for `@`, `/` or `:`.
    const escaped = o.replace(/\/+$/, '').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[a-z0-9-]+(?:\\.[a-z0-9-]+)*')
    return new RegExp(`^${escaped}$`, 'i')
  })
  return (origin) => patterns.some((p) => p.test(origin))
}

const normalizePrefix = (p: string) => {
  const s = p.replace(/^\/+/, '')
  return s === '' || s.endsWith('/') ? s : `${s}/`
}

export function resolveOptions<User>(o: UploadHandlerOptions<User>): ResolvedOptions<User> {
  if (!o || typeof o !== 'object') throw new TypeError('createUploadHandler: options are required')
  if (!o.storage) throw new TypeError('createUploadHandler: storage is required, e.g. diskStorage({ dir }) or s3Storage({ bucket })')
  if (typeof o.authorize !== 'function') {
    throw new TypeError('createUploadHandler: authorize is required; pass authorize: () => true to let anyone upload')
  }
  const maxFileSize = o.maxFileSize === undefined ? 5 * 1024 ** 3 : parseSize(o.maxFileSize)
  if (maxFileSize === undefined || maxFileSize <= 0 || !Number.isSafeInteger(maxFileSize)) {
    throw new TypeError(`createUploadHandler: maxFileSize "${o.maxFileSize}" is not a size above 0, e.g. 2GB or 500MiB`)
  }
  if (o.allowedTypes !== undefined && (!Array.isArray(o.allowedTypes) || o.allowedTypes.some((t) => typeof t !== 'string'))) {
    throw new TypeError('createUploadHandler: allowedTypes must be a list of MIME types or extensions')
  }
  if (o.keyPrefix !== undefined && typeof o.keyPrefix !== 'string' && typeof o.keyPrefix !== 'function') {
    throw new TypeError('createUploadHandler: keyPrefix must be a string or a function of the user')
  }
  const prefix = o.keyPrefix ?? defaultPrefix
  const provider = isProvider(o.storage) ? o.storage : undefined
  return {
    storage: provider ? hostedOnly(provider) : (o.storage as Storage),
    provider,
    authorize: o.authorize,
    basePath: (o.basePath ?? '').replace(/\/+$/, ''),
    secret: resolveSecret(o.secret, 'createUploadHandler'),
    prefixFor: typeof prefix === 'function' ? (user) => normalizePrefix(prefix(user)) : () => normalizePrefix(prefix),
    sharesAnonymousArea: (user) => o.keyPrefix === undefined && userId(user) === undefined,
    key: o.key ?? defaultKey,
    maxFileSize,
    allowedTypes: o.allowedTypes,
    expiresIn: positiveInteger(o.expiresIn, 'expiresIn', 900),
    uploadExpiresIn: positiveInteger(o.uploadExpiresIn, 'uploadExpiresIn', 86_400),
    readExpiresIn: positiveInteger(o.readExpiresIn, 'readExpiresIn', 3600),
    publicUrl: o.publicUrl,
    originAllowed: originMatcher(o.allowedOrigins),
    onError: o.onError ?? ((err) => console.error('hoist-uploader:', err)),
    limit: rateLimiter(o.rateLimit),
    fromUrl: resolveFromUrl(o.fromUrl),
    store: storeMode(o.store),
    temporaryTtl: ttlSeconds(o.temporaryTtl),
    storeRoute: o.storeRoute === true,
    canReadGroup: o.canReadGroup ?? (() => false),
  }
}

function storeMode(store: unknown): 'auto' | 'manual' {
  if (store === undefined) return 'auto'
  if (store !== 'auto' && store !== 'manual') throw new TypeError(`createUploadHandler: store must be 'auto' or 'manual', got ${JSON.stringify(store)}`)
  return store
}

function ttlSeconds(ttl: unknown): number {
  if (ttl === undefined) return 86_400
  if (typeof ttl === 'string') return Math.ceil(parseDuration(ttl) / 1000)
  return positiveInteger(ttl, 'temporaryTtl', 86_400)
}
