import type { Backend, SignedParts, StoredInfo } from './backend.js'
import { isAbort, TransportError } from './errors.js'
import { fingerprintOf } from './fingerprint.js'
import type { Limiter } from './limiter.js'
import { partCount, partRange, partSizeFor } from '../shared/parts.js'
import { checkStored, PartLedger, type PartSums, unquote } from './part-check.js'
import { put } from './put.js'
import { Ramp } from './ramp.js'
import { abortError, type RetryPolicy, withRetries } from './retry.js'
import { Signer } from './signer.js'

/** What survives a page reload (persisted in the file's state by Golden Retriever). */
export interface MultipartState extends PartSums {
  key: string
  uploadId: string
  partSize: number
  /** Size and a hash of the file's first and last 64 KiB (`fingerprintOf`): a quick first check of a re-selected file. */
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
  /** `now`: report it at once, not at the next progress tick (what a check of stored parts found). */
  onProgress: (bytesUploaded: number, bytesTotal: number, now?: boolean) => void
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
  #ledger: PartLedger | undefined

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
    const data = this.#data
    if (!data) throw new TransportError('file_missing', 'The file could not be kept across the page reload; add it again to resume.')
    this.#run?.abort()
    const run = (this.#run = new AbortController())
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
    this.#closeLedger()
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

  #progress(now = false): void {
    let sent = this.#doneBytes
    for (const b of this.#inflight.values()) sent += b
    this.#ramp?.progressed()
    this.#o.onProgress(sent, this.#data?.size ?? 0, now)
  }

  /** Sets the state to persist, for this object and for the page's next load. */
  #save(state: MultipartState | undefined): void {
    this.#state = state
    this.#o.onState(state)
  }

  #closeLedger(): void {
    this.#ledger?.close()
    this.#ledger = undefined
  }

  /** Starts keeping what a later resume checks stored parts by (see PartLedger). */
  #openLedger(data: Blob, state: MultipartState): void {
    this.#closeLedger()
    const ledger = (this.#ledger = new PartLedger(data, state, (sums) => {
      if (this.#ledger === ledger && this.#state) this.#save({ ...this.#state, ...sums })
    }))
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
    this.#progress(true)
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
    if (this.#state && !this.#listed && !(await this.#resume(data, this.#state, signal))) {
      // Not the file this upload began with: start over rather than splice two files together
      // (without stopping this run, as cancel() would).
      await this.#discard()
    }
    if (!this.#state) {
      // A restored upload that has to start over may have been planned as one PUT; it is multipart now.
      const partSize = this.#o.partSize ?? partSizeFor(data.size)
      // The part size the server signs for is the one the parts are cut to.
      const metadata = { ...this.#o.metadata, partSize }
      const first = Array.from({ length: Math.min(this.#o.signBatch, partCount(data.size, partSize)) }, (_, i) => i + 1)
      const [fingerprint, { key, uploadId, presignedUrls, expires }] = await Promise.all([fingerprintOf(data), this.#o.backend.create(this.#o.name, this.#o.type, metadata, first, signal)])
      this.#firstUrls = presignedUrls ? { presignedUrls, expires } : undefined
      this.#forgetParts()
      this.#listed = true
      this.#save({ key, uploadId, partSize, fingerprint })
    }
    if (!this.#ledger) this.#openLedger(data, this.#state!)
  }

  /**
   * Reads back what a previous run stored and keeps the parts that hold this file's bytes: each
   * stored part's MD5 is compared with the same slice of the file, hashed off the main thread.
   * False when the stored upload belongs to another file.
   */
  async #resume(data: Blob, state: MultipartState, signal: AbortSignal): Promise<boolean> {
    if ((await fingerprintOf(data)) !== state.fingerprint) return false
    const stored = await this.#o.backend.list(state.key, state.uploadId, signal).catch((err) => {
      if (err instanceof TransportError && err.status === 404) return null
      throw err
    })
    this.#forgetParts()
    if (stored === null) {
      this.#state = undefined // completed or aborted elsewhere: upload anew
      return true
    }
    // Progress shows what is stored and checked, from nothing up, not what the page showed before.
    this.#progress(true)
    this.#openLedger(data, state)
    const same = await checkStored(data, state, stored, (p) => {
      this.#ledger?.confirmed()
      this.#markDone(p.PartNumber, unquote(p.ETag), p.Size)
      this.#progress()
    }, signal)
    if (!same) return false
    this.#listed = true
    return true
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
          this.#ledger?.stored(n, etag)
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
    return unquote(etag ?? '')
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
    this.#closeLedger()
    this.#save(undefined)
    return result
  }
}
