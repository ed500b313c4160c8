import { ReactiveElement, type PropertyDeclaration } from '@lit/reactive-element'
import { property, state } from '@lit/reactive-element/decorators.js'
import { parseSize } from '../shared/sizes.js'
import type { AllComplete, FileInfo } from './events.js'
import { styles } from './hoist-uploader.styles.js'
import { FormController } from './form-controller.js'
import { aspectOf, prepareOf } from './image-options.js'
import { directionOf, type UppyLocale } from './locales.js'
import { UppyController, type UploaderConfig } from './uppy-controller.js'
import type { HeadersOption, HoistUppy, TransportName } from './types.js'

/** Bytes from a number or a size string (`5MB`, `2GiB`); logs and ignores what is not a size. */
function bytes(value: number | string | null | undefined): number | undefined {
  if (typeof value !== 'string') return value ?? undefined
  const parsed = parseSize(value)
  if (parsed === undefined) console.error(`<hoist-uploader>: "${value}" is not a size; use bytes or units such as 5MB or 2GiB.`)
  return parsed
}

const size: PropertyDeclaration['converter'] = {
  fromAttribute: bytes,
  toAttribute: (value: number | undefined) => (value === undefined ? null : String(value)),
}

const DEFAULT_MULTIPART_THRESHOLD = 5 * 1024 * 1024

/** A div with a class, made only where there is a DOM (not while server rendering). */
const div = (className: string) => Object.assign(globalThis.document?.createElement('div') ?? ({} as HTMLDivElement), { className })

/**
 * A drag-and-drop file uploader that sends files straight to your S3-compatible storage,
 * through URLs signed by your `hoist-uploader/server` endpoint.
 *
 * @tag hoist-uploader
 * @summary Uploads files from the browser straight to your own bucket.
 *
 * @fires {CustomEvent<{ file: FileSummary }>} file-added - A file was added to the list.
 * @fires {CustomEvent<{ file: FileSummary }>} file-removed - A file was removed from the list.
 * @fires {CustomEvent<{ file: FileSummary | null, error: UploadErrorInfo }>} restriction-failed - A file was refused by `accept`, a size limit or `max-files`.
 * @fires {CustomEvent<{ files: FileSummary[] }>} upload-start - Files started uploading.
 * @fires {CustomEvent<{ file: FileSummary, bytesUploaded: number, bytesTotal: number }>} upload-progress - Bytes of a file reached storage.
 * @fires {CustomEvent<{ file: FileInfo }>} upload-complete - A file is stored; `detail.file.url` reads it back.
 * @fires {CustomEvent<{ file: FileSummary | null, error: UploadErrorInfo }>} upload-error - A file failed; `detail.error.code` says why.
 * @fires {CustomEvent<{ successful: FileInfo[], failed: FailedUpload[], group?: GroupInfo }>} all-complete - Every file of an upload run has finished or failed; with `group`, the group of the stored files.
 * @fires {CustomEvent<{ file: FileSummary, key: string, error?: UploadErrorInfo }>} file-deleted - With `delete-on-remove`: a stored file the user removed was deleted from storage (or `error` says why not).
 *
 * @csspart container - The box the widget is drawn in.
 * @csspart dashboard - The dashboard's frame (background, border, radius).
 * @csspart dropzone - The drop zone shown while no file is added.
 * @csspart file-list - The list of added files.
 * @csspart status-bar - The bar with progress and the upload, pause, retry and done buttons.
 *
 * @cssprop [--hoist-accent=#1269cf] - Links, buttons and progress (dark: #02baf2).
 * @cssprop [--hoist-accent-text=white or near-black] - Text on accent-coloured buttons; by default whichever reads on the accent.
 * @cssprop [--hoist-background=#f4f4f4] - Background of the dashboard (dark: #1f1f1f).
 * @cssprop [--hoist-surface=#fafafa] - Background of the top and status bars (dark: #1f1f1f).
 * @cssprop [--hoist-text=#000] - Titles and file names (dark: #eaeaea).
 * @cssprop [--hoist-muted=#666] - The note and file sizes (dark: #cfcfcf).
 * @cssprop [--hoist-border=#eaeaea] - Borders (dark: #333).
 * @cssprop [--hoist-radius=5px] - Corner radius.
 * @cssprop [--hoist-font=system-ui stack] - Font family.
 * @cssprop [--hoist-spacing=15px] - Padding around the file list and its items.
 * @cssprop [--hoist-dropzone-background=transparent] - Background of the drop zone.
 * @cssprop [--hoist-dropzone-border=#dfdfdf] - Dashed border of the drop zone (dark: #757575).
 */
export class HoistUploader extends ReactiveElement {
  static override styles = styles
  /** @internal */
  static formAssociated = true

  /** URL of the Hoist (or Uppy Companion) endpoint that signs uploads, e.g. `/api/uploads`. Required. */
  @property() endpoint?: string

  /** Largest file accepted: bytes, or a size with a unit (`5MB`, `2GiB`). */
  @property({ attribute: 'max-file-size', converter: size }) maxFileSize?: number | string

  /** Smallest file accepted: bytes, or a size with a unit. */
  @property({ attribute: 'min-file-size', converter: size }) minFileSize?: number | string

  /** Most files that can be added at once. */
  @property({ attribute: 'max-files', type: Number }) maxFiles?: number | string

  /** Types accepted, in `<input accept>` syntax: `image/*,.pdf`. */
  @property() accept?: string

  /** Start uploading as soon as files are added. */
  @property({ attribute: 'auto-upload', type: Boolean }) autoUpload = false

  /** Refuse interaction; files already added stay. */
  @property({ type: Boolean, reflect: true }) disabled = false

  /** A line of help text shown in the drop zone, e.g. "Images up to 2 GB". */
  @property() note?: string

  /** Height of the dashboard, any CSS length. */
  @property() height = '400px'

  /** Colour scheme: `light`, `dark`, or `auto` to follow the system. */
  @property({ reflect: true }) theme: 'light' | 'dark' | 'auto' = 'light'

  /** Files larger than this are sent as S3 multipart uploads (bytes, or a size with a unit; default 5 MiB). */
  @property({ attribute: 'multipart-threshold', converter: size }) multipartThreshold: number | string = 5 * 1024 * 1024

  /**
   * How bytes travel: `hoist` (default: parallel parts, batch signing, retries, resume) or
   * `uppy-aws-s3` (stock `@uppy/aws-s3`, loaded on demand).
   */
  @property() transport: TransportName = 'hoist'

  /** Most requests to storage at once, across all files (`hoist` transport; default 6). */
  @property({ type: Number }) concurrency = 6

  /** Part size of multipart uploads, at least 5 MiB (bytes, or a size with a unit; raised to stay within 10,000 parts). Unset, the `hoist` transport picks 5–64 MiB per file from its size and the link's measured rate. */
  @property({ attribute: 'chunk-size', converter: size }) chunkSize?: number | string

  /** A request to storage that moves no bytes for this many milliseconds is aborted and retried (default 30000). */
  @property({ attribute: 'stall-timeout', type: Number }) stallTimeout = 30_000

  /** Send cookies with the endpoint calls when the endpoint is on another origin. */
  @property({ attribute: 'with-credentials', type: Boolean }) withCredentials = false

  /**
   * Headers for every endpoint call: an object, or a function (may be async) asked before each call,
   * e.g. `() => ({ authorization: \`Bearer ${token}\` })`. Never sent to storage.
   */
  @property({ attribute: false }) headers?: HeadersOption

  /** Keep files and upload progress across a page reload (Golden Retriever); multipart uploads resume where they stopped. */
  @property({ type: Boolean }) restore = false

  /** Metadata sent with every file (stored as object metadata and reported in `FileInfo.meta`). */
  @property({ attribute: false }) meta: Record<string, unknown> = {}

  /**
   * Language of the widget: a tag such as `de-DE`, `ja-JP` or `ar-SA` (loaded on demand from
   * `@uppy/locales`, one chunk per language), or an Uppy locale object. English by default.
   */
  @property() locale?: string | UppyLocale

  /**
   * Sources beside the user's device, space-separated: `camera` (photo and video), `screen`
   * (recording and screenshot), `audio` (microphone), each a tab loaded on demand, and `url`, a Link
   * tab whose files the server fetches (it must allow it: `fromUrl` in `createUploadHandler`).
   */
  @property() sources = ''

  /** An edit button on each image: crop, rotate and flip before upload (Uppy's image editor, loaded on demand). */
  @property({ attribute: 'image-editor', type: Boolean }) imageEditor = false

  /** The crop the editor keeps, as width/height (`1/1` for avatars, `16/9`); the editor then opens by itself for each image added. */
  @property({ attribute: 'crop-aspect' }) cropAspect = ''

  /** Downscale images whose long side is larger than this many pixels, in a worker; never upscales. */
  @property({ attribute: 'resize-images', type: Number }) resizeImages?: number

  /** JPEG and WebP quality of resized and converted images, 0–1 (default 0.85). */
  @property({ attribute: 'image-quality', type: Number }) imageQuality = 0.85

  /** HEIC/HEIF photos become JPEGs when added (on by default when `resize-images` is set; `convert-heic="off"` keeps them). */
  @property({ attribute: 'convert-heic' }) convertHeic?: string

  /** Keep photos' location (GPS) data; by default it is removed from JPEGs before upload, without re-encoding them. */
  @property({ attribute: 'keep-metadata', type: Boolean }) keepMetadata = false

  /** Removing a stored file from the list also deletes it from storage (`DELETE {endpoint}/object`); the remove button says so. */
  @property({ attribute: 'delete-on-remove', type: Boolean }) deleteOnRemove = false

  /** Groups the stored files after each upload run (`POST {endpoint}/groups`); `all-complete` then carries `group: { id, count }`. */
  @property({ type: Boolean }) group = false

  /** What the element submits in a form: `keys` (default, one entry per stored file) or `group` (the group id; implies `group`). */
  @property({ attribute: 'form-value' }) formValue: 'keys' | 'group' = 'keys'

  /** Form field name: inside a `<form>`, the keys of the stored files are submitted under it, one entry each. */
  @property({ reflect: true }) name = ''

  /** Inside a form, refuse to submit until at least one file is stored. */
  @property({ type: Boolean, reflect: true }) required = false

  /** The box the Dashboard mounts into; static, so no template engine is needed. */
  readonly #container = div('container')

  /** Set by a surrounding `<fieldset disabled>`; kept apart from the public `disabled`. */
  @state() private formDisabled = false

  /** A polite live region that sums up progress for screen readers. */
  readonly #announcer = div('announcer')

  readonly #controller = new UppyController(this, () => this.#config(), () => this.#container, (text) => {
    // Cleared first so that the same text twice is announced twice.
    this.#announcer.textContent = ''
    requestAnimationFrame(() => (this.#announcer.textContent = text))
  })
  readonly #form = new FormController(this, () => this.uppy?.getFiles() ?? [], this.#controller.stored, () => this.formValue === 'group')

  /**
   * The Uppy instance behind the widget; `undefined` while disconnected. Typed as a small `UppyHandle`
   * unless the page imports `hoist-uploader/uppy`, which types it as Uppy's own `Uppy`.
   */
  get uppy(): HoistUppy | undefined {
    return this.#controller.uppy
  }

  #config(): UploaderConfig {
    const theme = this.theme === 'dark' || this.theme === 'auto' ? this.theme : 'light'
    return {
      endpoint: this.endpoint || undefined,
      // Frameworks such as Vue set attributes as properties, so sizes may arrive as strings here too.
      maxFileSize: bytes(this.maxFileSize),
      minFileSize: bytes(this.minFileSize),
      maxFiles: this.maxFiles === undefined || this.maxFiles === '' ? undefined : Number(this.maxFiles),
      accept: this.accept?.split(',').map((s) => s.trim()).filter(Boolean),
      autoUpload: this.autoUpload,
      disabled: this.disabled || this.formDisabled,
      note: this.note,
      height: this.height,
      theme,
      meta: this.meta,
      locale: this.locale,
      direction: directionOf(this),
      multipartThreshold: bytes(this.multipartThreshold) ?? DEFAULT_MULTIPART_THRESHOLD,
      transport: this.transport === 'uppy-aws-s3' ? 'uppy-aws-s3' : 'hoist',
      concurrency: Math.max(1, Number(this.concurrency) || 6),
      chunkSize: bytes(this.chunkSize),
      stallTimeout: Math.max(1000, Number(this.stallTimeout) || 30_000),
      headers: this.headers,
      withCredentials: this.withCredentials,
      restore: this.restore,
      sources: (this.sources ?? '').split(/[\s,]+/).filter(Boolean),
      imageEditor: this.imageEditor,
      cropAspect: aspectOf(this.cropAspect),
      prepare: prepareOf(this),
      deleteOnRemove: this.deleteOnRemove,
      group: this.group || this.formValue === 'group',
    }
  }

  /** Uploads the files added so far; resolves with what `all-complete` reports. */
  upload(): Promise<AllComplete> {
    return this.#controller.upload()
  }

  /** Stops every upload (aborting multipart uploads in storage) and clears the list. */
  cancelAll(): void {
    this.uppy?.cancelAll()
  }

  /**
   * Adds files as if picked by the user. Up to 100 are added at once; more go in 100 per task so the
   * page stays responsive (dropped and picked files too), and the promise resolves when all are in
   * (`upload()` waits for them too). A batch that breaks `max-files` is refused whole, as Uppy does.
   */
  addFiles(files: Iterable<File> | FileList): Promise<void> {
    return this.#controller.addFiles(files)
  }

  /**
   * Adds a link as a file the server fetches, as the Link tab does (`sources="url"`); resolves with
   * its FileInfo once stored (the upload runs as for picked files: at once with `auto-upload`, else on
   * `upload()`), and rejects with a `code` for a link that is not http(s) or a fetch that failed.
   */
  addFromUrl(url: string): Promise<FileInfo> {
    return this.#controller.addFromUrl(url)
  }

  /** Cancels everything and returns the widget to its empty state. */
  reset(): void {
    this.uppy?.cancelAll()
    this.uppy?.clear()
    this.#form.reset()
  }

  /** Keys of the files stored so far: the element's form value. */
  get value(): string[] {
    return this.#form.keys
  }

  /** The `<form>` the element belongs to, if any. */
  get form(): HTMLFormElement | null {
    return this.#form.form
  }

  /** Whether the element would let its form submit (`required`, uploads still running). */
  checkValidity(): boolean {
    return this.#form.checkValidity()
  }

  /** Like `checkValidity()`, and shows the reason to the user. */
  reportValidity(): boolean {
    return this.#form.reportValidity()
  }

  /** @internal Called by the browser when the form is reset. */
  formResetCallback(): void {
    this.reset()
  }

  /** @internal Called by the browser when a surrounding `<fieldset disabled>` changes. */
  formDisabledCallback(disabled: boolean): void {
    this.formDisabled = disabled
  }

  protected override createRenderRoot() {
    const root = super.createRenderRoot()
    this.#container.setAttribute('part', 'container')
    this.#announcer.setAttribute('role', 'status')
    this.#announcer.setAttribute('aria-live', 'polite')
    root.append(this.#container, this.#announcer)
    return root
  }
}
