import type Uppy from '@uppy/core'
import type { UppyFile } from '@uppy/core'
import { extensionOf } from '../shared/names.js'
import { prepareImage, type PrepareOptions, type Processing } from './index.js'

export { thumbnail } from './thumbnail.js'

type AnyFile = UppyFile<Record<string, unknown>, Record<string, unknown>>

export interface PreparedState {
  originalSize: number
  processing: Processing
}

/** What preparation leaves on an Uppy file (for `FileInfo.originalSize` and `processing`); never sent to the server. */
export interface WithPrepared {
  hoistPrepared?: PreparedState
}
const PREPARED = 'hoistPrepared' satisfies keyof WithPrepared

/**
 * Prepares one listed file in place, with "Preparing…" on it while it runs. A file that cannot be
 * prepared goes to `failed` with the reason; one removed meanwhile is left alone.
 */
export async function prepareFile(uppy: Uppy, id: string, options: PrepareOptions, failed: (file: AnyFile, message: string) => void): Promise<void> {
  const file = uppy.getFile(id) as AnyFile | undefined
  if (!file) return
  uppy.emit('preprocess-progress', file as never, { mode: 'indeterminate', message: 'Preparing…' })
  try {
    const out = await prepareImage(file.data as Blob, file.name ?? '', options)
    const now = uppy.getFile(id) as AnyFile | undefined
    if (!out || !now) return
    const prepared: PreparedState = { originalSize: file.size ?? 0, processing: out.processing }
    uppy.setFileState(id, { data: out.data, size: out.data.size, type: out.type, name: out.name, extension: extensionOf(out.name), meta: { ...now.meta, name: out.name, type: out.type }, [PREPARED]: prepared } as never)
    // Location removed, the picture is the same: its preview stays.
    if (out.processing.convertedFrom || out.processing.resized) uppy.emit('thumbnail:request', uppy.getFile(id) as never)
  } catch (err) {
    const now = uppy.getFile(id) as AnyFile | undefined
    if (now) failed(now, `${file.name} could not be prepared: ${(err as Error).message}`)
  } finally {
    const now = uppy.getFile(id)
    if (now) uppy.emit('preprocess-complete', now)
  }
}
