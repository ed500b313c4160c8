import Uppy, { type UppyFile } from '@uppy/core'
import Dashboard from '@uppy/dashboard'
import type { ReactiveController, ReactiveControllerHost } from '@lit/reactive-element'
import { toErrorInfo } from './errors.js'
import { type AllComplete, emit, type FileInfo, type FileSummary, type UploadErrorInfo } from './events.js'
import { addInSlices, dashboardDescriptors } from './add-files.js'
import { describeFile } from './file-info.js'
import { LinkError, linkFile, storedOrFailed } from './links.js'
import { StoredFiles } from './stored-files.js'
import { LinkSource } from './link-source.js'
import { applyCapture, type CaptureConfig } from './capture.js'
import { trapFocusInPanels } from './focus-trap.js'
import { type PrepareConfig, prepareAdded } from './prepare.js'
import { loadLocale, type UppyLocale } from './locales.js'
import { exposeParts } from './parts.js'
import { paceRenders } from './render-pace.js'
import { declaredMeta, installTransport, removeTransport, TRANSPORT_ID, updateTransport, type TransportName } from './transport.js'
import { HoistTransport, type HeadersOption, type StoredInfo } from '../transport/index.js'
import { confirmRestore, emptyWhileBusy, nothingToStart, restorePending, wireRestore } from './restore.js'

export interface UploaderConfig {
  endpoint: string | undefined
  maxFileSize: number | undefined
  minFileSize: number | undefined
  maxFiles: number | undefined
  accept: string[] | undefined
  autoUpload: boolean
  disabled: boolean
  note: string | undefined
  height: string
  theme: 'light' | 'dark' | 'auto'
  meta: Record<string, unknown>
  multipartThreshold: number
  locale: string | UppyLocale | undefined
  direction: 'ltr' | 'rtl'
  transport: TransportName
  concurrency: number
  chunkSize: number | undefined
  stallTimeout: number
  headers: HeadersOption | undefined
  withCredentials: boolean
  restore: boolean
  /** Sources beside the user's device: `url` adds the Link tab; `camera`, `screen` and `audio` add capture tabs. */
  sources: string[]
  imageEditor: CaptureConfig['imageEditor']
  cropAspect: CaptureConfig['cropAspect']
  prepare: PrepareConfig
  deleteOnRemove: boolean
  group: boolean
}

// `headers` is compared by identity: a function serializes to nothing.
const TRANSPORT_KEYS: (keyof UploaderConfig)[] = ['concurrency', 'chunkSize', 'stallTimeout', 'withCredentials']

type AnyFile = UppyFile<Record<string, unknown>, Record<string, unknown>>
type Host = ReactiveControllerHost & HTMLElement
const DASHBOARD_ID = 'HoistDashboard'
const LINK_ID = 'HoistLink'
/** Ms between progress announcements while many files upload. */
const ANNOUNCE_EVERY = 3000
const MISSING_ENDPOINT = '<hoist-uploader> needs an "endpoint" attribute, e.g. endpoint="/api/uploads".'
let instances = 0

const summary = (file: AnyFile): FileSummary => ({ id: file.id, name: file.name ?? '', size: file.size ?? 0, type: file.type ?? '' })

/**
 * Owns the element's Uppy instance: created when the host first renders while connected, updated
 * in place when its config changes (files are kept), destroyed when the host leaves the document.
 */
export class UppyController implements ReactiveController {
  uppy: Uppy | undefined
  readonly #host: Host
  readonly #config: () => UploaderConfig
  readonly #target: () => HTMLElement | null
  readonly #announce: (text: string) => void
  #applied: UploaderConfig | undefined
  #unmount: (() => void) | undefined
  #destroyPending = false
  #startedAt = new Map<string, number>()
  #errors = new Map<string, UploadErrorInfo>()
  #infos = new Map<string, Promise<FileInfo | null>>()
  #waiters: ((detail: AllComplete) => void)[] = []
  /** The stored files still in the list (the form's value), kept across a disconnect as the form keeps its value. */
  readonly stored: StoredFiles
  /** Files still going in, a slice per task. */
  #adding: Promise<void> | undefined

  constructor(host: Host, config: () => UploaderConfig, target: () => HTMLElement | null, announce: (text: string) => void) {
    this.#host = host
    this.#config = config
    this.#target = target
    this.#announce = announce
    this.stored = new StoredFiles(host, () => this.#config())
    host.addController(this)
  }

  hostConnected(): void {
    this.#destroyPending = false
    if (!this.uppy) this.#host.requestUpdate()
    document.addEventListener('paste', this.#onPaste)
  }

  hostUpdated(): void {
    if (!this.#host.isConnected) return
    if (!this.uppy) this.#create()
    else this.#apply()
  }

  hostDisconnected(): void {
    document.removeEventListener('paste', this.#onPaste)
    // A move within the document disconnects and reconnects in one task: keep the uploads going.
    this.#destroyPending = true
    queueMicrotask(() => {
      if (this.#destroyPending && !this.#host.isConnected) this.destroy()
    })
  }

  destroy(): void {
    this.#destroyPending = false
    this.#unmount?.()
    this.#unmount = undefined
    this.uppy?.destroy()
    this.uppy = undefined
    this.#applied = undefined
    this.#startedAt.clear()
    this.#errors.clear()
    this.#infos.clear()
  }

  /**
   * Adds a link as a file the server fetches (the `url` source); resolves with its FileInfo once it is
   * stored, when the upload runs (at once with `auto-upload`). A link that is not http(s) is refused at once.
   */
  addFromUrl(url: string): Promise<FileInfo> {
    try {
      return storedOrFailed(this.#host, this.#addLink(url))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** Puts a link in the list; throws a LinkError for a link that is not http(s) or a file the restrictions refuse. */
  #addLink(url: string): string {
    const uppy = this.#require()
    if (this.#config().transport !== 'hoist') throw new LinkError('not_supported', 'Links are fetched by Hoist\'s server through the hoist transport; transport="uppy-aws-s3" cannot add them.')
    const file = linkFile(url)
    try {
      return uppy.addFile(file)
    } catch (err) {
      throw new LinkError('restriction', (err as Error).message)
    }
  }

  /** Takes a file out of the list with the reason, as a restriction does. */
  #refuse(uppy: Uppy, file: AnyFile, code: string, message: string): void {
    uppy.removeFile(file.id)
    uppy.info(message, 'error', 6000)
    emit(this.#host, 'restriction-failed', { file: summary(file), error: { code, message } })
  }

  /** The Link tab while `sources` lists `url`; the capture tabs and the image editor, loaded on demand. */
  #applySources(uppy: Uppy, config: UploaderConfig): void {
    const root = this.#host.shadowRoot
    if (root) void applyCapture(uppy, root, DASHBOARD_ID, () => (this.uppy === uppy ? this.#config() : undefined))
    const wanted = config.sources.includes('url')
    const present = uppy.getPlugin(LINK_ID)
    if (wanted && !present) {
      uppy.use(LinkSource, { id: LINK_ID, target: uppy.getPlugin(DASHBOARD_ID) as never, add: async (url: string) => void this.#addLink(url) })
    } else if (!wanted && present) {
      uppy.removePlugin(present)
    }
  }
  /** Adds files as if the user had picked them; restriction failures are reported as `restriction-failed`. */
  addFiles(files: Iterable<File>): Promise<void> {
    const uppy = this.#require()
    return this.#add(uppy, Array.from(files, (data) => ({ source: 'hoist-uploader', name: data.name, type: data.type, data })))
  }

  /** Files go in a slice per task, one batch after another; `upload()` waits for the batches in progress. */
  #add(uppy: Uppy, descriptors: Parameters<Uppy['addFiles']>[0]): Promise<void> {
    // With nothing in progress the first slice goes in now, synchronously, as Uppy's own addFiles does.
    const slices = () => addInSlices(uppy, descriptors, () => this.uppy)
    const added = this.#adding ? this.#adding.then(slices) : slices()
    const settled = (this.#adding = added.catch(() => {}).then(() => {
      if (this.#adding === settled) this.#adding = undefined
    }))
    return added
  }

  /**
   * Starts uploading; resolves with what `all-complete` reports. A restore waiting to go on goes on
   * as the Dashboard's Upload button makes it; with nothing new to start, it waits for the run in progress.
   */
  upload(): Promise<AllComplete> {
    const uppy = this.#require()
    let waiter!: (detail: AllComplete) => void
    const done = new Promise<AllComplete>((resolve) => this.#waiters.push((waiter = resolve)))
    const begin = async (): Promise<unknown> => {
      if (restorePending(uppy)) return confirmRestore(uppy)
      // Uppy's upload() skips files already in a run and would report an empty run as finished.
      if (nothingToStart(uppy) && Object.keys(uppy.getState().currentUploads).length > 0) return
      return uppy.upload()
    }
    const start = this.#adding ? this.#adding.then(begin) : begin()
    start.catch(() => {
      // Uppy refused to start (no files, or a restriction such as a minimum count): nothing was uploaded,
      // and no `complete` will come. Failures of files that did start arrive through `complete`.
      this.#waiters = this.#waiters.filter((w) => w !== waiter)
      waiter({ successful: [], failed: [] })
    })
    return done
  }

  #require(): Uppy {
    if (!this.uppy) throw new Error('<hoist-uploader> is not connected to a document yet')
    return this.uppy
  }

  #create(): void {
    const target = this.#target()
    if (!target) return
    const config = this.#config()
    const uppy = new Uppy({ id: `hoist-${++instances}`, autoProceed: config.autoUpload, restrictions: restrictionsOf(config), meta: config.meta })
    uppy.use(Dashboard, { id: DASHBOARD_ID, target, ...dashboardOptionsOf(config) })
    // Dropped, pasted and picked files go in slices too (the Dashboard reads this field on each add).
    const dashboard = uppy.getPlugin(DASHBOARD_ID) as unknown as { addFiles: (files: File[]) => void }
    dashboard.addFiles = (files) => void this.#add(uppy, dashboardDescriptors(DASHBOARD_ID, files))
    const unpace = paceRenders(uppy, DASHBOARD_ID)
    const unexpose = exposeParts(target)
    const untrap = this.#host.shadowRoot ? trapFocusInPanels(uppy, DASHBOARD_ID, this.#host.shadowRoot) : () => {}
    this.#unmount = () => {
      unpace()
      unexpose()
      untrap()
    }
    this.uppy = uppy
    this.#installTransport(config)
    this.#wire(uppy)
    prepareAdded(uppy, () => this.#config().prepare, (file, message) => this.#refuse(uppy, file, 'prepare_failed', message))
    this.#applySources(uppy, config)
    this.#applied = config
    void this.#applyLocale(config.locale)
    if (config.restore) void this.#restore(uppy)
  }

  /** Golden Retriever, loaded on demand: files and multipart state survive a reload or a crash. */
  async #restore(uppy: Uppy): Promise<void> {
    const { default: GoldenRetriever } = await import('@uppy/golden-retriever')
    if (this.uppy !== uppy || uppy.getPlugin('GoldenRetriever')) return
    wireRestore(uppy, {
      handOver: (ghost, file) => {
        const transport = uppy.getPlugin(TRANSPORT_ID)
        if (transport instanceof HoistTransport) transport.handOver(ghost.id, file.id)
      },
    })
    uppy.use(GoldenRetriever)
  }

  #localeRequest = 0

  /** Switches every string; a tag loads its language first, and only the latest request wins. */
  async #applyLocale(locale: string | UppyLocale | undefined): Promise<void> {
    if (locale === undefined || locale === '') return
    const request = ++this.#localeRequest
    const loaded = typeof locale === 'string' ? await loadLocale(locale) : locale
    if (request !== this.#localeRequest || !this.uppy) return
    this.uppy.setOptions({ locale: loaded as never })
  }

  #installTransport(config: UploaderConfig): void {
    const uppy = this.uppy!
    if (config.endpoint) {
      installTransport(uppy, { ...config, endpoint: config.endpoint })
    } else {
      console.error(MISSING_ENDPOINT)
      uppy.addUploader(this.#missingEndpoint)
    }
  }

  #missingEndpoint = async (fileIDs: string[]): Promise<void> => {
    const uppy = this.uppy!
    for (const file of uppy.getFilesByIds(fileIDs)) {
      // `code` rides along on the error object; toErrorInfo reads it.
      const error = { name: 'HoistError', message: MISSING_ENDPOINT, code: 'missing_endpoint' }
      uppy.emit('upload-error', file, error)
    }
  }

  #apply(): void {
    const next = this.#config()
    const prev = this.#applied!
    const uppy = this.uppy!
    const changed = (keys: (keyof UploaderConfig)[]) => keys.some((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]))
    if (changed(['autoUpload', 'maxFileSize', 'minFileSize', 'maxFiles', 'accept'])) {
      uppy.setOptions({ autoProceed: next.autoUpload, restrictions: restrictionsOf(next) })
    }
    if (changed(['meta'])) uppy.setMeta(next.meta)
    if (changed(['note', 'height', 'theme', 'disabled', 'direction'])) uppy.getPlugin(DASHBOARD_ID)?.setOptions(dashboardOptionsOf(next))
    // The Dashboard reads its direction only when it mounts.
    if (changed(['direction'])) this.#target()?.querySelector('.uppy-Root')?.setAttribute('dir', next.direction)
    if (changed(['locale'])) void this.#applyLocale(next.locale || 'en-US')
    if (changed(['endpoint', 'multipartThreshold', 'transport', ...TRANSPORT_KEYS]) || prev.headers !== next.headers) {
      const updated = !changed(['endpoint', 'multipartThreshold', 'transport']) && next.endpoint && updateTransport(uppy, { ...next, endpoint: next.endpoint })
      if (!updated) this.#reinstall(prev, next)
    }
    if (next.restore && !prev.restore) void this.#restore(uppy)
    if (changed(['sources', 'imageEditor', 'cropAspect'])) this.#applySources(uppy, next)
    if (changed(['deleteOnRemove'])) uppy.getPlugin(DASHBOARD_ID)?.setOptions(dashboardOptionsOf(next))
    this.#applied = next
  }

  #reinstall(prev: UploaderConfig, next: UploaderConfig): void {
    const uppy = this.uppy!
    if (prev.endpoint) removeTransport(uppy)
    else uppy.removeUploader(this.#missingEndpoint)
    this.#installTransport(next)
    this.#declare(uppy.getFiles() as AnyFile[], next)
  }

  /** Sets the size (and part size) each file declares to the server, in one state update for all. */
  #declare(files: AnyFile[], config: UploaderConfig): void {
    const uppy = this.uppy!
    const next = { ...uppy.getState().files }
    for (const { id } of files) {
      const file = next[id]
      if (!file) continue
      const declared = declaredMeta(file.size ?? 0, config.multipartThreshold, config.chunkSize)
      next[id] = { ...file, meta: { ...file.meta, declaredSize: declared.declaredSize, partSize: declared.partSize } }
    }
    uppy.setState({ files: next })
  }

  /** The Dashboard's own strings, so announcements follow `locale`. */
  #t(key: string, options?: Record<string, unknown>): string {
    const dashboard = this.uppy?.getPlugin(DASHBOARD_ID) as { i18n?: (k: string, o?: Record<string, unknown>) => string } | undefined
    return dashboard?.i18n?.(key, options) ?? key
  }

  #wire(uppy: Uppy): void {
    const host = this.#host
    let total = 0
    let done = 0
    // "3 of 200 uploaded" at most every few seconds: a screen reader reads each one out, and many small files end every few ms.
    let toldAt = -Infinity
    uppy.on('file-added', (file) => emit(host, 'file-added', { file: summary(file as AnyFile) }))
    // Once per batch: a state update per file would copy the whole file list each time.
    uppy.on('files-added', (files) => this.#declare(files as AnyFile[], this.#config()))
    // Preparing and editing change a file's bytes before upload: its declared size follows.
    uppy.on('preprocess-complete', (file) => file && this.#declare([file as AnyFile], this.#config()))
    uppy.on('file-editor:complete', (file) => this.#declare([file as AnyFile], this.#config()))
    uppy.on('file-removed', (file) => {
      // Out of the stored files first, so the form's value no longer has it when the event is heard.
      this.stored.removed(summary(file as AnyFile))
      emit(host, 'file-removed', { file: summary(file as AnyFile) })
    })
    uppy.on('cancel-all', () => this.stored.clearing())
    uppy.on('restriction-failed', (file, error) => {
      emit(host, 'restriction-failed', { file: file ? summary(file as AnyFile) : null, error: { code: 'restriction', message: error.message } })
    })
    uppy.on('upload-start', (files) => {
      const now = Date.now()
      for (const f of files) this.#startedAt.set(f.id, now)
      total = files.length
      done = 0
      this.#announce(this.#t('uploadingXFiles', { smart_count: files.length }))
      emit(host, 'upload-start', { files: files.map((f) => summary(f as AnyFile)) })
    })
    uppy.on('upload-progress', (file, progress) => {
      if (!file) return
      emit(host, 'upload-progress', { file: summary(file as AnyFile), bytesUploaded: progress.bytesUploaded, bytesTotal: progress.bytesTotal ?? file.size ?? 0 })
    })
    uppy.on('upload-error', (file, error) => {
      const info = toErrorInfo(error)
      if (file) this.#errors.set(file.id, info)
      this.#announce(`${file?.name ?? ''}: ${info.message}`)
      emit(host, 'upload-error', { file: file ? summary(file as AnyFile) : null, error: info })
    })
    uppy.on('upload-success', (file, response) => {
      if (!file) return
      const finishedAt = Date.now()
      const body = response.body as (Partial<StoredInfo> & { parts?: number }) | undefined
      done++
      if (total > 1 && done < total && performance.now() - toldAt > ANNOUNCE_EVERY) {
        toldAt = performance.now()
        this.#announce(this.#t('filesUploadedOfTotal', { complete: done, smart_count: total }))
      }
      this.#infos.set(file.id, this.#describe(file as AnyFile, body ?? {}, finishedAt))
    })
    uppy.on('complete', (result) => {
      // Uppy runs an empty upload when asked while every file is in a run already (auto-upload does, as a ghost is picked again).
      if (!emptyWhileBusy(uppy, result)) void this.#complete(result.successful ?? [], result.failed ?? [])
    })
  }

  /** Builds a file's FileInfo after upload; the server's answer about the stored object is the truth. */
  async #describe(file: AnyFile, answer: Partial<StoredInfo> & { parts?: number }, finishedAt: number): Promise<FileInfo | null> {
    try {
      const info = await describeFile(file, answer, { ...this.#config(), startedAt: this.#startedAt.get(file.id) ?? finishedAt, finishedAt })
      this.stored.add(file.id, info.key)
      emit(this.#host, 'upload-complete', { file: info })
      return info
    } catch (err) {
      const error = toErrorInfo(err)
      this.#errors.set(file.id, error)
      if (this.uppy?.getFile(file.id)) this.uppy.setFileState(file.id, { error: error.message })
      emit(this.#host, 'upload-error', { file: summary(file), error })
      return null
    }
  }

  async #complete(successful: AnyFile[], failed: AnyFile[]): Promise<void> {
    const infos = await Promise.all(successful.map((f) => this.#infos.get(f.id) ?? Promise.resolve(null)))
    const detail = {
      successful: infos.filter((i): i is FileInfo => i !== null),
      failed: [...successful.filter((_, i) => infos[i] === null), ...failed].map((f) => ({
        file: summary(f),
        error: this.#errors.get(f.id) ?? { code: 'upload_failed', message: f.error ?? 'The upload failed.' },
      })),
    }
    for (const f of successful) this.#infos.delete(f.id)
    if (this.#config().group && this.stored.size > 0) {
      const group = await this.stored.group()
      if (group) Object.assign(detail, { group })
    }
    this.#announce(detail.failed.length ? `${this.#t('uploadFailed')}: ${detail.failed.map((f) => f.file.name).join(', ')}` : this.#t('uploadComplete'))
    emit(this.#host, 'all-complete', detail as AllComplete)
    for (const resolve of this.#waiters.splice(0)) resolve(detail)
  }

  // Uppy's own paste check compares document.activeElement, which is our host inside a shadow root.
  #onPaste = (event: ClipboardEvent): void => {
    if (!this.uppy || this.#config().disabled) return
    const path = event.composedPath()
    const dashboard = this.#target()?.querySelector('.uppy-Dashboard')
    if (dashboard && path.includes(dashboard)) return // the Dashboard's own onPaste handles these
    if (!this.#host.matches(':focus-within') && !path.includes(this.#host)) return
    const files = Array.from(event.clipboardData?.files ?? [])
    if (files.length === 0) return
    event.preventDefault()
    this.addFiles(files)
  }
}

function restrictionsOf(c: UploaderConfig) {
  return {
    maxFileSize: c.maxFileSize ?? null,
    minFileSize: c.minFileSize ?? null,
    maxNumberOfFiles: c.maxFiles ?? null,
    allowedFileTypes: c.accept ?? null,
  }
}

function dashboardOptionsOf(c: UploaderConfig) {
  return {
    inline: true as const,
    width: '100%',
    height: c.height,
    note: c.note ?? null,
    theme: c.theme,
    disabled: c.disabled,
    direction: c.direction,
    proudlyDisplayPoweredByUppy: false,
    // Hoist draws the previews off the main thread (src/prepare/thumbnail.ts).
    disableThumbnailGenerator: true,
    showRemoveButtonAfterComplete: true,
    hideProgressAfterFinish: false,
    // The remove button says what it does.
    locale: c.deleteOnRemove ? { strings: { removeFile: 'Remove and delete from storage' } } : undefined,
  }
}
