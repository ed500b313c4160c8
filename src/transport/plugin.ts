import { BasePlugin, type Body, type DefinePluginOpts, type Meta, type PluginOpts, type Uppy, type UppyFile } from '@uppy/core'
import { filterFilesToEmitUploadStarted, filterFilesToUpload } from '@uppy/core/utils'
import { Backend, type HeadersOption } from './backend.js'
import { isAbort } from './errors.js'
import { FileUpload, type MultipartState } from './file-upload.js'
import { LinkUpload } from './link-upload.js'
import { Limiter } from './limiter.js'
import { MIN_PART_SIZE, partSizeFor } from '../shared/parts.js'
import { choosePartSize } from './part-size.js'
import { defaultRetry, type RetryPolicy } from './retry.js'

type AnyFile = UppyFile<Meta, Body>

declare module '@uppy/core' {
  export interface UppyEventMap<M extends Meta, B extends Body> {
    /** A file's multipart state changed (what Golden Retriever keeps across a reload). */
    'hoist:multipart-state': (file: UppyFile<M, B> | undefined, state: MultipartState | undefined) => void
  }
}

export interface HoistTransportOptions extends PluginOpts {
  /** URL of the `hoist-uploader/server` endpoint (or any Companion-compatible one that signs PUTs). */
  endpoint: string
  /** Most requests to storage at once, across all files (default 6). */
  concurrency?: number
  /** Files larger than this go as multipart uploads (default 5 MiB). */
  multipartThreshold?: number
  /** Part size for multipart uploads, at least 5 MiB (raised to stay within 10,000 parts). Default: chosen per file from its size and the link's measured rate (`choosePartSize`). */
  chunkSize?: number
  /** Headers for every endpoint call: an object or a function, e.g. `() => ({ authorization: 'Bearer …' })`. */
  headers?: HeadersOption
  /** Send cookies to a cross-origin endpoint. */
  withCredentials?: boolean
  /** A request to storage with no progress for this many ms is aborted and retried (default 30,000). */
  stallTimeout?: number
  /** Retries with exponential backoff and jitter. */
  retry?: Partial<RetryPolicy>
  /** Parts signed per endpoint call (default 24). */
  signBatch?: number
}

const defaultOptions = {
  concurrency: 6,
  multipartThreshold: MIN_PART_SIZE,
  withCredentials: false,
  stallTimeout: 30_000,
  signBatch: 24,
} satisfies Partial<HoistTransportOptions>

type Opts = DefinePluginOpts<HoistTransportOptions, keyof typeof defaultOptions>

const SMALL_WINDOW = 100

interface Entry {
  upload: FileUpload | LinkUpload
  /** Which window admits it. */
  multipart: boolean
  /** Ends the uploader's wait for this file. */
  settle: () => void
}

function positive(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`HoistTransport: ${name} must be a positive number`)
}

/**
 * Uppy uploader that sends files straight to S3-compatible storage through a Hoist endpoint:
 * parallel parts under one request limit, batch signing, retries with backoff, re-signing,
 * stall detection, pause/resume/cancel and resume after a reload (with Golden Retriever).
 */
export class HoistTransport<M extends Meta, B extends Body> extends BasePlugin<Opts, M, B> {
  #limiter: Limiter
  /** Multipart files in progress (at most a few more than the request limit), so signing runs ahead of the PUTs. */
  #files: Limiter
  /**
   * Files of one request whose bytes are not yet stored: up to 100, admitted in bulk once half are
   * sent, so their plans (and, as they end together, their finishes) share endpoint calls while PUTs
   * wait only for the request limit.
   */
  #small = new Limiter(SMALL_WINDOW, SMALL_WINDOW / 2)
  #backend!: Backend
  #retry!: RetryPolicy
  #entries = new Map<string, Entry>()

  constructor(uppy: Uppy<M, B>, opts: HoistTransportOptions) {
    super(uppy, { ...defaultOptions, ...opts })
    this.type = 'uploader'
    this.id = this.opts.id ?? 'HoistTransport'
    if (typeof this.opts.endpoint !== 'string' || this.opts.endpoint === '') throw new TypeError('HoistTransport: endpoint is required')
    for (const name of ['concurrency', 'multipartThreshold', 'stallTimeout', 'signBatch'] as const) positive(this.opts[name], name)
    if (this.opts.chunkSize !== undefined) positive(this.opts.chunkSize, 'chunkSize')
    this.#limiter = new Limiter(this.opts.concurrency)
    this.#files = new Limiter(this.opts.concurrency * 2)
    this.#configure()
  }

  override setOptions(newOpts: Partial<HoistTransportOptions>): void {
    super.setOptions(newOpts)
    this.#limiter.limit = this.opts.concurrency
    this.#files.limit = this.opts.concurrency * 2
    this.#configure()
  }

  #configure(): void {
    this.#retry = { ...defaultRetry, ...this.opts.retry }
    this.#backend = new Backend({ endpoint: this.opts.endpoint, headers: this.opts.headers, withCredentials: this.opts.withCredentials, retry: this.#retry })
  }

  override install(): void {
    const { capabilities } = this.uppy.getState()
    this.uppy.setState({ capabilities: { ...capabilities, resumableUploads: true } })
    this.uppy.addUploader(this.#upload)
    this.uppy.on('upload-pause', this.#onPause)
    this.uppy.on('pause-all', this.#onPauseAll)
    this.uppy.on('resume-all', this.#onResumeAll)
    this.uppy.on('file-removed', this.#onRemoved)
    this.uppy.on('restored', this.#onRestored)
  }

  override uninstall(): void {
    this.uppy.removeUploader(this.#upload)
    this.uppy.off('upload-pause', this.#onPause)
    this.uppy.off('pause-all', this.#onPauseAll)
    this.uppy.off('resume-all', this.#onResumeAll)
    this.uppy.off('file-removed', this.#onRemoved)
    this.uppy.off('restored', this.#onRestored)
    for (const entry of this.#entries.values()) {
      entry.upload.pause()
      entry.settle()
    }
    this.#entries.clear()
  }

  /**
   * A file picked in place of a restored ghost takes over the ghost's stored upload: on its first run
   * the stored parts are checked against its bytes, and it resumes or starts over (aborting the old one).
   */
  handOver(ghostId: string, fileId: string): void {
    const state = (this.uppy.getFile(ghostId) as { s3Multipart?: MultipartState } | undefined)?.s3Multipart
    const file = this.uppy.getFile(fileId)
    if (!state || !file || file.progress.uploadStarted || this.#entries.has(fileId)) return
    this.uppy.setFileState(ghostId, { s3Multipart: undefined } as never)
    this.uppy.setFileState(fileId, { s3Multipart: state } as never)
  }

  #upload = async (fileIDs: string[]): Promise<void> => {
    const files = filterFilesToUpload(this.uppy.getFilesByIds(fileIDs)) as AnyFile[]
    this.uppy.emit('upload-start', filterFilesToEmitUploadStarted(files))
    await Promise.all(files.map((file) => this.#uploadFile(file)))
  }

  #uploadFile(file: AnyFile): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.#entries.get(file.id)
      previous?.settle()
      const size = file.size ?? (file.data as Blob | undefined)?.size ?? 0
      const multipart = size > this.opts.multipartThreshold
      const { chunkSize, concurrency } = this.opts
      const partSize = !multipart ? undefined : chunkSize !== undefined ? partSizeFor(size, chunkSize) : choosePartSize(size, concurrency, this.#backend.link.bytesPerSecond)
      const resume = (file as { s3Multipart?: MultipartState }).s3Multipart
      const upload =
        previous?.upload ??
        this.#linkUpload(file) ??
        new FileUpload(file.data as Blob | undefined, {
          backend: this.#backend,
          limiter: this.#limiter,
          retry: this.#retry,
          stallTimeout: this.opts.stallTimeout,
          partSize,
          signBatch: this.opts.signBatch,
          name: file.name ?? 'file',
          type: file.type || 'application/octet-stream',
          // The size lets the server sign every PUT for its exact length (FileUpload adds the part size).
          metadata: { ...file.meta, declaredSize: size },
          resume: resume?.fingerprint ? resume : undefined,
          onState: (state) => {
            if (this.uppy.getFile(file.id)) this.uppy.setFileState(file.id, { s3Multipart: state } as never)
            this.uppy.emit('hoist:multipart-state', this.uppy.getFile(file.id), state)
          },
          onProgress: (bytesUploaded, bytesTotal, now) => this.#progress(file.id, bytesUploaded, bytesTotal, now),
        })
      if (file.data) upload.setData(file.data as Blob)
      this.#entries.set(file.id, { upload, multipart: partSize !== undefined || resume !== undefined, settle: resolve })
      if (!file.isPaused) this.#start(file.id)
    })
  }

  /** A file added from a link (`meta.hoistLink`): the server fetches it, the page watches. */
  #linkUpload(file: AnyFile): LinkUpload | undefined {
    // The size is the server's to find out: nothing is declared.
    const { hoistLink, hoistLinkName, name: _name, type: _type, declaredSize: _size, partSize: _part, ...metadata } = file.meta as Meta & { hoistLink?: unknown; hoistLinkName?: unknown }
    if (typeof hoistLink !== 'string') return undefined
    return new LinkUpload({
      backend: this.#backend,
      url: hoistLink,
      filename: typeof hoistLinkName === 'string' ? hoistLinkName : undefined,
      metadata,
      onProgress: (bytesUploaded, bytesTotal) => {
        const known = this.uppy.getFile(file.id)
        // The size is known once the server reads the link's headers.
        if (known && bytesTotal !== null && known.size !== bytesTotal) this.uppy.setFileState(file.id, { size: bytesTotal })
        this.#progress(file.id, bytesUploaded, bytesTotal ?? bytesUploaded)
      },
    })
  }

  #lastProgress = new Map<string, number>()

  /** Progress at most every 100 ms per file: enough for a smooth bar without re-rendering on every XHR event. */
  #progress(id: string, bytesUploaded: number, bytesTotal: number, force = false): void {
    const now = performance.now()
    if (!force && now - (this.#lastProgress.get(id) ?? 0) < 100) return
    this.#lastProgress.set(id, now)
    const file = this.uppy.getFile(id)
    if (!file) return
    this.uppy.emit('upload-progress', file, { uploadStarted: file.progress.uploadStarted ?? Date.now(), bytesUploaded, bytesTotal })
  }

  #start(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry || entry.upload.running) return
    const { upload } = entry
    const admission = entry.multipart ? this.#files : this.#small
    admission
      .run((release) => {
        // Paused or removed while it waited for its turn.
        const file = this.uppy.getFile(id)
        if (!file || file.isPaused || this.#entries.get(id)?.upload !== upload) return Promise.reject(new DOMException('', 'AbortError'))
        // Once its bytes are stored, a file waiting for its finish answer lets the next one in.
        return upload.start(release)
      })
      .then(
        (result) => {
          if (this.#entries.get(id)?.upload !== upload) return
          this.#entries.delete(id)
          this.#lastProgress.delete(id)
          const file = this.uppy.getFile(id)
          if (file) {
            this.#progress(id, file.size ?? 0, file.size ?? 0, true)
            this.uppy.emit('upload-success', this.uppy.getFile(id), { status: 200, body: { ...result.info, location: result.location, key: result.key, parts: result.parts } as unknown as B, uploadURL: result.location })
          }
          entry.settle()
        },
        (err) => {
          if (isAbort(err) || this.#entries.get(id)?.upload !== upload) return // paused or removed: not an error
          const file = this.uppy.getFile(id)
          // Keep the upload object, with the parts it stored, for a retry.
          if (file) this.uppy.emit('upload-error', file, err)
          entry.settle()
        },
      )
  }

  #onPause = (file: AnyFile | undefined, isPaused: boolean): void => {
    if (!file) return
    if (isPaused) this.#entries.get(file.id)?.upload.pause()
    else this.#start(file.id)
  }

  #onPauseAll = (): void => {
    for (const entry of this.#entries.values()) entry.upload.pause()
  }

  #onResumeAll = (): void => {
    for (const id of this.#entries.keys()) this.#start(id)
  }

  /**
   * Golden Retriever brings back the progress the page last showed, in-flight bytes included (and Uppy
   * ignores progress for a file it believes at 100 %). Until the stored parts are checked against the
   * file, what is known to be there is nothing: the check reports the rest as it goes.
   */
  #onRestored = (): void => {
    const patch: Record<string, Partial<AnyFile>> = {}
    let first: AnyFile | undefined
    for (const file of this.uppy.getFiles() as AnyFile[]) {
      const { progress } = file
      if (!progress.uploadStarted || progress.uploadComplete) continue
      patch[file.id] = { progress: { ...progress, bytesUploaded: 0, percentage: 0 } }
      first ??= file
    }
    if (!first) return
    this.uppy.patchFilesState(patch as never)
    // One progress report makes Uppy recount the total for all files.
    this.#progress(first.id, 0, first.size ?? 0, true)
  }

  #onRemoved = (file: AnyFile): void => {
    const entry = this.#entries.get(file.id)
    this.#entries.delete(file.id)
    this.#lastProgress.delete(file.id)
    if (entry) {
      void entry.upload.cancel()
      entry.settle()
    } else {
      // A failed or restored file still owns its multipart upload in storage.
      const state = (file as { s3Multipart?: MultipartState }).s3Multipart
      if (state) void this.#backend.abort(state.key, state.uploadId).catch(() => {})
    }
  }
}
