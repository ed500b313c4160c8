import type { Backend, SignedParts, StoredInfo } from './backend.js'
import { isAbort, TransportError } from './errors.js'
import { fingerprintOf } from './fingerprint.js'
import type { Limiter } from './limiter.js'
import { partCount, partRange, partSizeFor } from '../shared/parts.js'
import { put } from './put.js'
import { Ramp } from './ramp.js'
import { abortError, type RetryPolicy, withRetries } from './retry.js'
import { Signer } from './signer.js'

/** What survives a page reload (persisted in the file's state by Golden Retriever). */
export interface MultipartState {
  key: string
  uploadId: string
  partSize: number
  /** Size and a hash of the file's first and last 64 KiB (`fingerprintOf`), to tell a re-selected file from another. */
  fingerprint: string
}

export interface FileUploadOptions {
  backend: Backend
  limiter: Limiter
  retry: RetryPolicy
  stallTimeout: number
  /** Multipart with parts of this size; undefined for one PUT. */
  partSize: number | undefined
  signBatch: number
  name: string
  type: string
  metadata: Record<string, unknown>
  resume: MultipartState | undefined
  /** Called when the state to persist changes (undefined once done). */
  onState: (state: MultipartState | undefined) => void
  onProgress: (bytesUploaded: number, bytesTotal: number) => void
}

export interface UploadResult {
  key: string
  location?: string
  /** What the endpoint stored, when its complete answer says (Hoist's server does). */
  info?: StoredInfo
}

/**
 * One file's upload: one signed PUT, or create → parts (parallel, under the shared limiter) → complete.
 * `start()` picks up where the last run stopped; `pause()` stops without losing uploaded parts;
 * `cancel()` also aborts the multipart upload in storage.
 */
export class FileUpload {
  readonly #o: FileUploadOptions
  #data: Blob | undefined
  #state: MultipartState | undefined
  /** Whether the parts stored so far have been read back since this object was made. */
  #listed = false
  #done = new Map<number, { etag: string; size: number }>()
  /** Bytes of the parts in `#done`, kept as a total: progress is asked for on every XHR progress event. */
  #doneBytes = 0
  #inflight = new Map<number, number>()
  #run: AbortController | undefined
  #signer: Signer | undefined
  #ramp: Ramp | undefined
  /** URLs the create call signed, for the signer of the run that follows. */
  #firstUrls: SignedParts | undefined

  constructor(data: Blob | undefined, options: FileUploadOptions) {
    this.#data = data
    this.#o = options
    this.#state = options.resume
  }

  /** The user re-selected a file the page could not keep across a reload. */
  setData(data: Blob): void {
    this.#data = data
  }

  get running(): boolean {
    return this.#run !== undefined && !this.#run.signal.aborted
  }

  async start(): Promise<UploadResult> {
    this.#run?.abort()
    const run = (this.#run = new AbortController())
    const data = this.#data
    if (!data) throw new TransportError('file_missing', 'The file could not be kept across the page reload; add it again to resume.')
    try {
      return this.#o.partSize === undefined && !this.#state ? await this.#single(data, run.signal) : await this.#multipart(data, run.signal)
    } finally {
      if (this.#run === run) this.#run = undefined
    }
  }

  pause(): void {
    this.#run?.abort()
    this.#run = undefined
    this.#inflight.clear()
  }

  /** Stops and aborts the multipart upload in storage, so nothing is left behind. */
  async cancel(): Promise<void> {
    this.pause()
    await this.#discard()
  }

  /** Aborts the multipart upload in storage (best effort) and forgets it. */
  async #discard(): Promise<void> {
    const state = this.#state
    this.#state = undefined
    this.#forgetParts()
    if (state) await this.#o.backend.abort(state.key, state.uploadId).catch(() => {})
  }

  #markDone(n: number, etag: string, size: number): void {
    this.#doneBytes += size - (this.#done.get(n)?.size ?? 0)
    this.#done.set(n, { etag, size })
  }

  #forgetParts(): void {
    this.#done.clear()
    this.#doneBytes = 0
  }

  #progress(): void {
    let sent = this.#doneBytes
    for (const b of this.#inflight.values()) sent += b
    this.#ramp?.progressed()
    this.#o.onProgress(sent, this.#data?.size ?? 0)
  }

  async #single(data: Blob, signal: AbortSignal): Promise<UploadResult> {
    const { backend, limiter } = this.#o
    let target = await backend.params(this.#o.name, this.#o.type, this.#o.metadata, signal)
    await limiter.run(
      () =>
        withRetries(
          async (attempt) => {
            // A failed PUT stored nothing; a fresh signature also outlives an expired one.
            if (attempt > 0) target = await backend.params(this.#o.name, this.#o.type, this.#o.metadata, signal)
            await this.#put(0, target.url, data, target.headers, signal)
          },
          this.#o.retry,
          signal,
        ),
      signal,
    )
    // Hoist's server checks the stored file and describes it; other endpoints leave that to a read-back.
    return { key: target.key, info: target.token ? await backend.finish(target.token, signal) : undefined }
  }

  async #multipart(data: Blob, signal: AbortSignal): Promise<UploadResult> {
    const { backend } = this.#o
    await this.#prepare(data, signal)
    const state = this.#state!
    const count = partCount(data.size, state.partSize)
    const todo: number[] = []
    for (let n = 1; n <= count; n++) if (!this.#done.has(n)) todo.push(n)
    this.#progress()
    this.#signer = new Signer(backend, state, todo, this.#o.signBatch, () => this.#o.limiter.limit)
    if (this.#firstUrls) this.#signer.seed(this.#firstUrls)
    this.#firstUrls = undefined
    const limit = this.#o.limiter.limit
    this.#ramp = new Ramp(limit, state.partSize / limit, (n) => (this.#done.has(n) ? Infinity : (this.#inflight.get(n) ?? 0)))
    // The first part that fails for good stops the others.
    const parts = new AbortController()
    const stop = () => parts.abort()
    signal.addEventListener('abort', stop, { once: true })
    let failure: unknown
    await Promise.all(
      todo.map((n) =>
        this.#o.limiter.run(() => this.#part(data, state, n, parts.signal), parts.signal).catch((err) => {
          if (!isAbort(err) && failure === undefined) failure = err
          parts.abort()
        }),
      ),
    )
    signal.removeEventListener('abort', stop)
    if (signal.aborted) throw abortError()
    if (failure !== undefined) throw failure
    return this.#complete(data, state, signal)
  }

  /** Creates the multipart upload, or finds what a previous run (maybe before a reload) stored. */
  async #prepare(data: Blob, signal: AbortSignal): Promise<void> {
    const { backend } = this.#o
    if (this.#state && !this.#listed) {
      const state = this.#state
      if ((await fingerprintOf(data)) !== state.fingerprint) {
        // Not the file this upload began with: start over rather than splice two files together
        // (without stopping this run, as cancel() would).
        await this.#discard()
      } else {
        const stored = await backend.list(state.key, state.uploadId, signal).catch((err) => {
          if (err instanceof TransportError && err.status === 404) return null
          throw err
        })
        if (stored === null) {
          this.#state = undefined // completed or aborted elsewhere: upload anew
        } else {
          this.#forgetParts()
          for (const p of stored) {
            const [start, end] = partRange(data.size, state.partSize, p.PartNumber)
            if (p.Size === end - start) this.#markDone(p.PartNumber, p.ETag, p.Size)
          }
          this.#listed = true
        }
      }
    }
    if (!this.#state) {
      // A restored upload that has to start over may have been planned as one PUT; it is multipart now.
      const partSize = this.#o.partSize ?? partSizeFor(data.size)
      // The part size the server signs for is the one the parts are cut to.
      const metadata = { ...this.#o.metadata, partSize }
      const first = Array.from({ length: Math.min(this.#o.signBatch, partCount(data.size, partSize)) }, (_, i) => i + 1)
      const [fingerprint, { key, uploadId, presignedUrls, expires }] = await Promise.all([fingerprintOf(data), backend.create(this.#o.name, this.#o.type, metadata, first, signal)])
      this.#state = { key, uploadId, partSize, fingerprint }
      this.#firstUrls = presignedUrls ? { presignedUrls, expires } : undefined
      this.#forgetParts()
      this.#listed = true
      this.#o.onState(this.#state)
    }
  }

  async #part(data: Blob, state: MultipartState, n: number, signal: AbortSignal): Promise<void> {
    const [start, end] = partRange(data.size, state.partSize, n)
    const body = data.slice(start, end)
    await this.#ramp?.gate(n, signal)
    await withRetries(
      async () => {
        const url = await this.#signer!.url(n, signal)
        try {
          const etag = await this.#put(n, url, body, {}, signal)
          this.#markDone(n, etag, body.size)
        } catch (err) {
          this.#signer!.forget(n)
          throw err
        } finally {
          this.#inflight.delete(n)
          this.#progress()
        }
      },
      this.#o.retry,
      signal,
    )
  }

  async #put(n: number, url: string, body: Blob, headers: Record<string, string>, signal: AbortSignal): Promise<string> {
    const etag = await put(url, body, {
      headers,
      signal,
      stallTimeout: this.#o.stallTimeout,
      onProgress: (sent) => {
        this.#inflight.set(n, sent)
        this.#progress()
      },
    })
    if (etag === null && n > 0) {
      throw new TransportError('etag_not_exposed', 'Storage did not expose the ETag header to the page; add ETag to the bucket\'s CORS ExposeHeaders (see `hoist-uploader doctor`).')
    }
    return (etag ?? '').replace(/"/g, '')
  }

  async #complete(data: Blob, state: MultipartState, signal: AbortSignal): Promise<UploadResult> {
    const parts = [...this.#done].sort((a, b) => a[0] - b[0]).map(([PartNumber, p]) => ({ PartNumber, ETag: p.etag }))
    let result: UploadResult
    try {
      const { location, ...answer } = await this.#o.backend.complete(state.key, state.uploadId, parts, signal)
      result = { key: answer.key, location, info: typeof answer.size === 'number' && typeof answer.url === 'string' ? (answer as StoredInfo) : undefined }
    } catch (err) {
      // An earlier try may have completed it and lost the answer: the stored object tells.
      if (!(err instanceof TransportError && err.code === 'upload_not_found' && (await this.#o.backend.stored(state.key, data.size, signal)))) throw err
      result = { key: state.key }
    }
    this.#state = undefined
    this.#o.onState(undefined)
    return result
  }
}
