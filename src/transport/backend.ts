import { networkError, retryableStatus, TransportError } from './errors.js'
import { type RetryPolicy, withRetries } from './retry.js'
import type { FinishRequest, Plan, PlanRequest, StoredInfo } from '../shared/plan.js'
import { StorageFacts } from './part-check.js'
import { Batcher } from './batcher.js'
import { LinkRate } from './part-size.js'

export type { StoredInfo }

type HeaderMap = Record<string, string>
/** Headers for every backend call: an object, or a function (sync or async) asked before each call, e.g. for a fresh bearer token. */
export type HeadersOption = HeaderMap | (() => HeaderMap | Promise<HeaderMap>)

/** What every endpoint call sends: the app's headers (a function is asked afresh each time) and the credentials mode. */
export async function endpointAuth(headers: HeadersOption | undefined, withCredentials: boolean | undefined): Promise<{ headers: HeaderMap; credentials: RequestCredentials }> {
  return { headers: (typeof headers === 'function' ? await headers() : headers) ?? {}, credentials: withCredentials ? 'include' : 'same-origin' }
}

export interface BackendOptions {
  endpoint: string
  headers?: HeadersOption
  withCredentials?: boolean
  retry: RetryPolicy
}

export interface SignedPut {
  url: string
  headers: HeaderMap
  key: string
  /** Hoist's server signs a finish token for POST /finish; other endpoints send none. */
  token?: string
}

export interface SignedParts {
  presignedUrls: Record<string, string>
  expires?: number
}

export interface ListedPart {
  PartNumber: number
  Size: number
  ETag: string
}

/** An endpoint's refusal as a transport error: a hosted API refusing the server's credentials is a setup error, so trying again does not help. */
function endpointError(status: number, error: { code?: string; message?: string } | undefined, retryAfter?: number): TransportError {
  const code = error?.code ?? 'endpoint_error'
  const message = error?.message ?? `The upload endpoint answered HTTP ${status}.`
  return new TransportError(code, message, { status, retryable: retryableStatus(status) && code !== 'provider_auth_failed', retryAfter })
}

/** What GET /url/:token answers: bytes so far, and the stored file or why it failed once it ended. */
export interface LinkStatus {
  status: 'waiting' | 'progress' | 'success' | 'error'
  done: number
  total?: number | null
  file?: StoredInfo
  error?: { code: string; message: string }
}

interface CallOptions {
  query?: Record<string, string>
  body?: unknown
  signal?: AbortSignal
}

/** The client side of the Companion-compatible protocol that `hoist-uploader/server` speaks. */
export class Backend {
  readonly #opts: BackendOptions
  readonly #base: string
  /** What this page has learned about the endpoint's storage, shared by every upload to it. */
  readonly storage = new StorageFacts()
  /** What this page has measured of the link to storage, for the part sizes of later uploads. */
  readonly link = new LinkRate()
  /** Plans asked for in the same task go in one call: the files a window admits start together. */
  readonly #plans = this.#batcher<PlanRequest, Plan>('/plan', 'plans', { max: 100, quiet: 0, maxWait: 0 })
  /**
   * Finishes wait briefly for each other: small files end every few ms, and one call for all of them
   * saves a round trip each. A file waits at most 250 ms; the last of a run about 30 ms.
   */
  readonly #finishes = this.#batcher<FinishRequest, StoredInfo>('/finish', 'files', { max: 100, quiet: 30, maxWait: 250 })

  constructor(opts: BackendOptions) {
    this.#opts = opts
    this.#base = opts.endpoint.replace(/\/+$/, '')
  }

  #batcher<Req, Res>(path: string, answers: string, timing: ConstructorParameters<typeof Batcher>[3]): Batcher<Req, Res> {
    return new Batcher<Req, Res>(
      (item, signal) => this.#attempt('POST', path, { body: item, signal }),
      async (files) => (await this.#attempt<Record<string, unknown[]>>('POST', path, { body: { files } }))[answers],
      (status, error) => endpointError(status, error),
      timing,
    )
  }

  /** A single PUT for a whole file, signed for its exact length and type. */
  params(name: string, type: string, metadata: Record<string, unknown>, signal?: AbortSignal): Promise<SignedPut> {
    const query: Record<string, string> = { filename: name, type, method: 'PUT' }
    for (const [k, v] of Object.entries(metadata)) if (v !== undefined && v !== null) query[`metadata[${k}]`] = typeof v === 'string' ? v : JSON.stringify(v)
    return this.#call<SignedPut & { method?: string }>('GET', '/s3/params', { query, signal }).then((r) => {
      if (r.method !== 'PUT') throw new TransportError('unsupported_endpoint', 'The endpoint does not sign single PUT uploads; use transport="uppy-aws-s3" with it.')
      return { url: r.url, headers: r.headers ?? {}, key: r.key, token: r.token }
    })
  }

  /** How the server wants this file's bytes to travel (POST /plan). */
  plan(request: PlanRequest, signal?: AbortSignal): Promise<Plan> {
    return withRetries(() => this.#plans.add(request, signal), this.#opts.retry, signal)
  }

  /** Ends an upload with what storage answered: the server checks the file against its policy and describes it. */
  finish(request: FinishRequest, signal?: AbortSignal): Promise<StoredInfo> {
    return withRetries(() => this.#finishes.add(request, signal), this.#opts.retry, signal)
  }

  /** Creates a multipart upload; `partNumbers` asks for those parts' URLs in the same answer (Hoist's server signs them). */
  create(name: string, type: string, metadata: Record<string, unknown>, partNumbers: number[], signal?: AbortSignal): Promise<{ key: string; uploadId: string } & Partial<SignedParts>> {
    return this.#call('POST', '/s3/multipart', { body: { filename: name, type, metadata, partNumbers }, signal })
  }

  /** Signs many parts in one round trip; `expires` is their lifetime in seconds. */
  sign(key: string, uploadId: string, partNumbers: number[], signal?: AbortSignal): Promise<SignedParts> {
    return this.#call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}/batch`, { query: { key, partNumbers: partNumbers.join(',') }, signal })
  }

  list(key: string, uploadId: string, signal?: AbortSignal): Promise<ListedPart[]> {
    return this.#call('GET', `/s3/multipart/${encodeURIComponent(uploadId)}`, { query: { key }, signal })
  }

  /** Hoist's server answers with what it stored (as GET /object would); Companion with `location` only. */
  complete(key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[], signal?: AbortSignal): Promise<{ location?: string; key: string } & Partial<StoredInfo>> {
    return this.#call('POST', `/s3/multipart/${encodeURIComponent(uploadId)}/complete`, { query: { key }, body: { parts }, signal })
  }

  abort(key: string, uploadId: string): Promise<void> {
    return this.#call('DELETE', `/s3/multipart/${encodeURIComponent(uploadId)}`, { query: { key } })
  }

  /** What the endpoint stored under `key` (GET /object), which it checks against the `size` declared. */
  info(key: string, size: number, signal?: AbortSignal): Promise<StoredInfo> {
    return this.#call('GET', '/object', { query: { key, declaredSize: String(size) }, signal })
  }

  /** Whether `key` holds a stored file of `size` bytes (after a complete whose answer was lost). */
  async stored(key: string, size: number, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.info(key, size, signal)
      return true
    } catch (err) {
      if (err instanceof TransportError && err.status === 404) return false
      throw err
    }
  }

  /**
   * Asks the server to fetch a link into storage (POST /url); answers the token its status is read with.
   * Not retried: a lost answer may have started a fetch, and a second one would store the file twice.
   */
  startLink(url: string, filename: string | undefined, meta: Record<string, unknown>, signal?: AbortSignal): Promise<{ token: string }> {
    return this.#attempt('POST', '/url', { body: { url, ...(filename ? { filename } : {}), meta }, signal })
  }

  /** Where a link upload stands (GET /url/:token). */
  linkStatus(token: string, signal?: AbortSignal): Promise<LinkStatus> {
    return this.#call('GET', `/url/${encodeURIComponent(token)}`, { signal })
  }

  /** Deletes a stored file (DELETE /object). */
  deleteObject(key: string): Promise<unknown> {
    return this.#call('DELETE', '/object', { query: { key } })
  }

  /** Groups stored files under one id (POST /groups). */
  group(keys: string[], signal?: AbortSignal): Promise<{ id: string; count: number }> {
    return this.#call('POST', '/groups', { body: { keys }, signal })
  }

  #call<T>(method: string, path: string, options: CallOptions): Promise<T> {
    return withRetries(() => this.#attempt<T>(method, path, options), this.#opts.retry, options.signal)
  }

  /** One request to the endpoint, not retried. */
  async #attempt<T>(method: string, path: string, { query, body, signal }: CallOptions): Promise<T> {
    const url = `${this.#base}${path}${query ? `?${new URLSearchParams(query)}` : ''}`
    const auth = await endpointAuth(this.#opts.headers, this.#opts.withCredentials)
    let response: Response
    try {
      response = await fetch(url, {
        method,
        headers: { ...auth.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: auth.credentials,
        signal,
      })
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err
      throw networkError()
    }
    if (response.ok) return (await response.json()) as T
    const payload = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null
    throw endpointError(response.status, payload?.error, Number(response.headers.get('retry-after')) || undefined)
  }
}
