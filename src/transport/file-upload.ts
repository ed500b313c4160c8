import type { Backend, SignedParts, StoredInfo } from './backend.js'
import type { PartsPlan, Plan } from '../shared/plan.js'
import { isAbort, TransportError } from './errors.js'
import { fingerprintOf } from './fingerprint.js'
import type { Limiter } from './limiter.js'
import { partCount, partRange, partSizeFor } from '../shared/parts.js'
import { checkStored, PartLedger, type PartSums, unquote } from './part-check.js'
import { send } from './send.js'
import { type Lane, postChunks, postForm, putFile } from './plans.js'
import { Ramp } from './ramp.js'
import { abortError, type RetryPolicy, withRetries } from './retry.js'
import { Signer } from './signer.js'

/** Where part URLs come from: signed on demand (S3, disk) or all in the plan (hosted APIs). */
interface PartUrls {
  url(n: number, signal: AbortSignal): Promise<string>
  forget(n: number): void
}

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
  /** Requests the bytes took: parts or chunks, 1 for a single request. */
  parts: number
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
  /** Part ETags as storage sent them, for hosted APIs that compare them at complete. */
  #sentEtags = new Map<number, string>()
  /** The server's plan while it runs (kept across a pause), and when it stops being usable. */
  #plan: Plan | undefined
  #planUsableUntil = 0
  /** The endpoint does not plan (a Companion-compatible one): the S3 routes are used directly. */
  #unplanned = false
  /** Bytes the chunks acknowledged so far (the plan executors update it). */
  readonly #chunked = { bytes: 0 }

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

  /** `onSent`: called once the bytes are stored, before the finish call that checks and describes them. */
  async start(onSent?: () => void): Promise<UploadResult> {
    const data = this.#data
    if (!data) throw new TransportError('file_missing', 'The file could not be kept across the page reload; add it again to resume.')
    this.#run?.abort()
    const run = (this.#run = new AbortController())
    try {
      if (this.#state) return await this.#multipart(data, run.signal)
      const plan = await this.#planFor(data, run.signal)
      if (!plan) return this.#o.partSize === undefined ? await this.#single(data, run.signal) : await this.#multipart(data, run.signal)
      return await this.#execute(data, plan, run.signal, onSent)
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
    this.#forgetPlan()
    this.#closeLedger()
    this.#forgetParts()
    if (state) await this.#o.backend.abort(state.key, state.uploadId).catch(() => {})
  }

  #markDone(n: number, etag: string, size: number): void {
    this.#doneBytes += size - (this.#done.get(n)?.size ?? 0)
    this.#done.set(n, { etag, size })
  }

  #forgetParts(): void {
    this.#sentEtags.clear()
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
    }, this.#o.backend.storage))
  }

  #forgetPlan(): void {
    this.#plan = undefined
    this.#chunked.bytes = 0
  }

  /** The plan in hand while it is usable, else a new one; undefined when the endpoint does not plan. */
  async #planFor(data: Blob, signal: AbortSignal): Promise<Plan | undefined> {
    if (this.#plan && Date.now() < this.#planUsableUntil) return this.#plan
    if (this.#unplanned) return undefined
    this.#forgetPlan()
    this.#forgetParts()
    const { partSize } = this.#o
    const partNumbers = partSize === undefined ? undefined : Array.from({ length: Math.min(this.#o.signBatch, partCount(data.size, partSize)) }, (_, i) => i + 1)
    let plan: Plan
    try {
      plan = await this.#o.backend.plan({ filename: this.#o.name, type: this.#o.type, size: data.size, partSize, partNumbers, metadata: this.#o.metadata }, signal)
    } catch (err) {
      if (!(err instanceof TransportError && err.status === 404)) throw err
      this.#unplanned = true
      return undefined
    }
    this.#plan = plan
    // 80 % of the plan's lifetime, so a slow request still starts in time.
    this.#planUsableUntil = Date.now() + (plan.expires ?? 300) * 800
    return plan
  }

  async #execute(data: Blob, plan: Plan, signal: AbortSignal, onSent?: () => void): Promise<UploadResult> {
    if (plan.kind === 'parts' && plan.uploadId && plan.key) {
      // S3 and disk: parts signed on demand through the Companion routes; it resumes after a reload.
      this.#firstUrls = { presignedUrls: plan.urls, expires: plan.expires }
      this.#forgetParts()
      this.#listed = true
      this.#forgetPlan()
      this.#save({ key: plan.key, uploadId: plan.uploadId, partSize: plan.partSize, fingerprint: await fingerprintOf(data) })
      return this.#multipart(data, signal)
    }
    if (plan.kind === 'parts') return this.#partsPlanned(data, plan, signal)
    const lane = this.#lane(data, signal)
    const run = plan.kind === 'put' ? putFile : plan.kind === 'form' ? postForm : plan.kind === 'chunks' ? postChunks : undefined
    if (run) {
      const { finish, requests } = await run(lane, plan as never)
      onSent?.()
      return this.#finish(finish, requests, signal)
    }
    throw new TransportError('unsupported_endpoint', `The endpoint planned an upload of a kind this transport does not know ("${(plan as { kind?: string }).kind}").`)
  }

  /** What the plan executors see of this upload. */
  #lane(data: Blob, signal: AbortSignal): Lane {
    return {
      data,
      name: this.#o.name,
      request: (attempt) => this.#o.limiter.run(() => withRetries(attempt, this.#o.retry, signal), signal),
      send: async (n, method, url, body, headers) => {
        try {
          return await this.#send(n, method, url, body, headers, signal)
        } finally {
          this.#inflight.delete(n)
        }
      },
      stored: (n, size) => {
        this.#markDone(n, '', size)
        this.#progress()
      },
      replan: () => {
        this.#forgetPlan()
        return this.#planFor(data, signal)
      },
      chunked: this.#chunked,
    }
  }

  /** After the bytes: the finish call checks the file and describes it. */
  async #finish(request: Parameters<Backend['finish']>[0], parts: number, signal: AbortSignal): Promise<UploadResult> {
    const info = await this.#o.backend.finish(request, signal)
    this.#forgetPlan()
    return { key: info.key, info, parts }
  }

  /** Every part URL came with the plan (hosted APIs): PUT them in parallel, then finish with the ETags. */
  async #partsPlanned(data: Blob, plan: PartsPlan, signal: AbortSignal): Promise<UploadResult> {
    const count = partCount(data.size, plan.partSize)
    const todo: number[] = []
    for (let n = 1; n <= count; n++) {
      if (!plan.urls[n]) throw new TransportError('invalid_plan', `The endpoint planned ${count} parts but gave no URL for part ${n}.`)
      if (!this.#done.has(n)) todo.push(n)
    }
    this.#progress(true)
    await this.#sendParts(data, plan.partSize, todo, { url: async (n) => plan.urls[n], forget: () => {} }, plan.headers, plan.etags, signal)
    // The ETags exactly as storage sent them: the API compares them with what its storage returned.
    const parts = [...this.#done].sort((a, b) => a[0] - b[0]).map(([PartNumber, p]) => ({ PartNumber, ETag: this.#sentEtags.get(PartNumber) ?? p.etag }))
    return this.#finish({ token: plan.token, parts: plan.etags ? parts : undefined }, count, signal)
  }

  /** One request to storage whose progress counts as part `n`'s. */
  #send(n: number, method: 'PUT' | 'POST', url: string, body: Blob | FormData, headers: Record<string, string>, signal: AbortSignal) {
    return send(url, body, {
      method,
      headers,
      signal,
      stallTimeout: this.#o.stallTimeout,
      onProgress: (sent) => {
        this.#inflight.set(n, sent)
        this.#progress()
      },
    })
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
    return { key: target.key, info: target.token ? await backend.finish({ token: target.token }, signal) : undefined, parts: 1 }
  }

  async #multipart(data: Blob, signal: AbortSignal): Promise<UploadResult> {
    const { backend } = this.#o
    await this.#prepare(data, signal)
    const state = this.#state!
    const count = partCount(data.size, state.partSize)
    const todo: number[] = []
    for (let n = 1; n <= count; n++) if (!this.#done.has(n)) todo.push(n)
    this.#progress(true)
    const signer = (this.#signer = new Signer(backend, state, todo, this.#o.signBatch, () => this.#o.limiter.limit))
    if (this.#firstUrls) signer.seed(this.#firstUrls)
    this.#firstUrls = undefined
    await this.#sendParts(data, state.partSize, todo, signer, {}, true, signal)
    return this.#complete(data, state, signal)
  }

  /** PUTs parts in parallel under the shared limiter; the first part that fails for good stops the others. */
  async #sendParts(data: Blob, partSize: number, todo: number[], urls: PartUrls, headers: Record<string, string>, etags: boolean, signal: AbortSignal): Promise<void> {
    const limit = this.#o.limiter.limit
    const started = performance.now()
    this.#ramp = new Ramp(limit, partSize / limit, (n) => (this.#done.has(n) ? Infinity : (this.#inflight.get(n) ?? 0)))
    const parts = new AbortController()
    const stop = () => parts.abort()
    signal.addEventListener('abort', stop, { once: true })
    let failure: unknown
    await Promise.all(
      todo.map((n) =>
        this.#o.limiter.run(() => this.#part(data, partSize, n, urls, headers, etags, parts.signal), parts.signal).catch((err) => {
          if (!isAbort(err) && failure === undefined) failure = err
          parts.abort()
        }),
      ),
    )
    signal.removeEventListener('abort', stop)
    if (signal.aborted) throw abortError()
    if (failure !== undefined) throw failure
    const sent = todo.reduce((n, part) => {
      const [start, end] = partRange(data.size, partSize, part)
      return n + end - start
    }, 0)
    this.#o.backend.link.record(sent, performance.now() - started)
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

  async #part(data: Blob, partSize: number, n: number, urls: PartUrls, headers: Record<string, string>, etags: boolean, signal: AbortSignal): Promise<void> {
    const [start, end] = partRange(data.size, partSize, n)
    const body = data.slice(start, end)
    await this.#ramp?.gate(n, signal)
    await withRetries(
      async () => {
        const url = await urls.url(n, signal)
        try {
          const sent = await this.#put(n, url, body, headers, signal, etags)
          const etag = unquote(sent)
          this.#sentEtags.set(n, sent)
          this.#markDone(n, etag, body.size)
          this.#ledger?.stored(n, etag)
        } catch (err) {
          urls.forget(n)
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

  /** A part's ETag header as storage sent it (quotes and all). */
  async #put(n: number, url: string, body: Blob, headers: Record<string, string>, signal: AbortSignal, etags = true): Promise<string> {
    const { etag } = await this.#send(n, 'PUT', url, body, headers, signal)
    if (etag === null && n > 0 && etags) {
      throw new TransportError('etag_not_exposed', 'Storage did not expose the ETag header to the page; add ETag to the bucket\'s CORS ExposeHeaders (see `hoist-uploader doctor`).')
    }
    return etag ?? ''
  }

  async #complete(data: Blob, state: MultipartState, signal: AbortSignal): Promise<UploadResult> {
    const parts = [...this.#done].sort((a, b) => a[0] - b[0]).map(([PartNumber, p]) => ({ PartNumber, ETag: p.etag }))
    let result: UploadResult
    try {
      const { location, ...answer } = await this.#o.backend.complete(state.key, state.uploadId, parts, signal)
      result = { key: answer.key, location, info: typeof answer.size === 'number' && typeof answer.url === 'string' ? (answer as StoredInfo) : undefined, parts: parts.length }
    } catch (err) {
      // An earlier try may have completed it and lost the answer: the stored object tells.
      if (!(err instanceof TransportError && err.code === 'upload_not_found' && (await this.#o.backend.stored(state.key, data.size, signal)))) throw err
      result = { key: state.key, parts: parts.length }
    }
    this.#closeLedger()
    this.#save(undefined)
    return result
  }
}
