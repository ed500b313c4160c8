// The types of the element's public properties. Nothing here may import @uppy/core: its types use
// Symbol.dispose, so a page whose TypeScript loaded them would need lib "esnext.disposable", even one
// that never touches Uppy. `hoist-uploader/uppy` (src/uppy.ts) brings Uppy's own types to those who want them.

// From the transport's backend, not its index: the index also carries the Uppy plugin's types.
export type { HeadersOption } from '../transport/backend.js'

export type TransportName = 'hoist' | 'uppy-aws-s3'

/** The part of the Uppy instance that Hoist's own types describe; `import 'hoist-uploader/uppy'` types it in full. */
export interface UppyHandle {
  /** Uppy's options as it holds them (`restrictions`, `meta`, …). */
  readonly opts: object
  getFiles(): { id: string; name?: string; size: number | null; type: string; meta: Record<string, unknown> }[]
  removeFile(fileID: string): void
}

/** Filled in by `hoist-uploader/uppy` (module augmentation) with `{ uppy: Uppy }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface to augment, empty on purpose
export interface UppyTypes {}

/** The type of the element's `uppy` property: Uppy's own once `hoist-uploader/uppy` is imported, else the handle. */
export type HoistUppy = UppyTypes extends { uppy: infer U } ? U : UppyHandle
