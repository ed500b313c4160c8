import type { Processing } from '../prepare/index.js'
/** What the element knows about a file before it is stored. */
export interface FileSummary {
  id: string
  name: string
  size: number
  type: string
}

/** A stored file, as `upload-complete` reports it. */
export interface FileInfo {
  id: string
  /** The object key in storage. */
  key: string
  /** A URL the page can GET the stored bytes from (signed and time-limited unless the server sets `publicUrl`). */
  url: string
  /** The original file name. */
  name: string
  size: number
  type: string
  /** Lower-case extension without the dot, or `''`. */
  extension: string
  /** Pixel size of images: the provider's figures where it reports them, else read in the browser; `null` for anything else. */
  width: number | null
  height: number | null
  etag: string
  multipart: boolean
  parts: number
  /** ISO 8601 times the upload started and finished. */
  startedAt: string
  finishedAt: string
  durationMs: number
  meta: Record<string, unknown>
  /** Where the file came from: the user's device (`local`: picked, dropped or pasted) or a link the server fetched (`url`). */
  source: 'local' | 'url'
  /** Bytes of the file as the user picked it: more than `size` when `resize-images` scaled it down. */
  originalSize: number
  /** What was done to the file before upload (`convert-heic`, `resize-images`, location removed), when anything was. */
  processing?: Processing
  /** False while the file is temporary (the server's `store: 'manual'`) until the app's server keeps it. */
  stored: boolean
  /**
   * The hosted upload API's own record, when the server uploads to one: its `name` (`viesus`,
   * `upscayl`, `luw`, `uploadcare`, `cloudinary`), the `id` the app needs next, and its `raw` answer.
   */
  provider?: { name: string; id: string; raw: unknown }
}

export interface UploadErrorInfo {
  /** A stable machine-readable code, e.g. `file_too_large`, `network_error`, `missing_endpoint`. */
  code: string
  message: string
}

export interface FailedUpload {
  file: FileSummary
  error: UploadErrorInfo
}

export interface HoistEventDetails {
  'file-added': { file: FileSummary }
  'file-removed': { file: FileSummary }
  'restriction-failed': { file: FileSummary | null; error: UploadErrorInfo }
  'upload-start': { files: FileSummary[] }
  'upload-progress': { file: FileSummary; bytesUploaded: number; bytesTotal: number }
  'upload-complete': { file: FileInfo }
  'upload-error': { file: FileSummary | null; error: UploadErrorInfo }
  'all-complete': AllComplete
  /** With `delete-on-remove`: a stored file the user removed was deleted from storage, or could not be (`error`). */
  'file-deleted': { file: FileSummary; key: string; error?: UploadErrorInfo }
}

/** What an upload run ends with; with the `group` attribute, the group of every file stored so far. */
export interface AllComplete {
  successful: FileInfo[]
  failed: FailedUpload[]
  group?: GroupInfo
}

/** A group of stored files (`POST {endpoint}/groups`): its id is `uuid~count`. */
export interface GroupInfo {
  id: string
  count: number
}

export type HoistEventName = keyof HoistEventDetails

declare global {
  interface GlobalEventHandlersEventMap {
    'file-added': CustomEvent<HoistEventDetails['file-added']>
    'file-removed': CustomEvent<HoistEventDetails['file-removed']>
    'restriction-failed': CustomEvent<HoistEventDetails['restriction-failed']>
    'upload-start': CustomEvent<HoistEventDetails['upload-start']>
    'upload-progress': CustomEvent<HoistEventDetails['upload-progress']>
    'upload-complete': CustomEvent<HoistEventDetails['upload-complete']>
    'upload-error': CustomEvent<HoistEventDetails['upload-error']>
    'all-complete': CustomEvent<HoistEventDetails['all-complete']>
    'file-deleted': CustomEvent<HoistEventDetails['file-deleted']>
  }
}

export function emit<K extends HoistEventName>(target: EventTarget, name: K, detail: HoistEventDetails[K]): void {
  target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }))
}
