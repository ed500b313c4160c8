import type Uppy from '@uppy/core'
import type { UppyFile } from '@uppy/core'
import { isPreviewSupported } from '@uppy/core/utils'
import type { PrepareOptions } from '../prepare/index.js'
import { HEIC_NAME, HEIC_TYPE, JPEG_NAME, RESIZABLE } from '../prepare/kinds.js'

type AnyFile = UppyFile<Record<string, unknown>, Record<string, unknown>>

export type PrepareConfig = PrepareOptions

/** Image preparation (src/prepare/), a chunk loaded the first time an added file may need it. */
const load = () => import('../prepare/uppy-file.js')

/** Whether an added file may need preparing; the chunk decides for sure, by its bytes. */
function mayNeed(file: AnyFile, config: PrepareConfig): boolean {
  if (file.isRemote || !(file.data instanceof Blob) || typeof file.meta.hoistLink === 'string') return false
  const type = file.type ?? ''
  const name = file.name ?? ''
  // Browsers often give .heic files no type, or a generic one: those are checked by their first bytes.
  if (config.convertHeic && (HEIC_TYPE.test(type) || HEIC_NAME.test(name) || type === '' || type === 'application/octet-stream')) return true
  if (config.maxSide && RESIZABLE.test(type)) return true
  return config.stripLocation && (type === 'image/jpeg' || (type === '' && JPEG_NAME.test(name)))
}

/** Whether the page asked for something beyond location removal that this file needs (a conversion, a resize). */
const asked = (file: AnyFile, config: PrepareConfig) =>
  (config.convertHeic && (HEIC_TYPE.test(file.type ?? '') || HEIC_NAME.test(file.name ?? ''))) || (!!config.maxSide && RESIZABLE.test(file.type ?? ''))

/**
 * Prepares images as they are added, one at a time (in workers where the browser allows), and
 * makes each upload wait for the files it carries. A file that cannot be prepared goes to `failed`.
 * Draws the images' previews too.
 */
export function prepareAdded(uppy: Uppy, config: () => PrepareConfig, failed: (file: AnyFile, message: string) => void): void {
  const pending = new Map<string, Promise<void>>()
  let queue = Promise.resolve()
  uppy.on('file-added', (file) => {
    const options = config()
    if (!mayNeed(file as AnyFile, options)) return
    const done = (queue = queue.then(() =>
      load().then(
        (chunk) => chunk.prepareFile(uppy, file.id, options, failed),
        // Without the chunk (a page serving hoist-uploader.js alone), a HEIC or an image to resize that
        // the page asked for cannot be made; a photo whose location only was to go uploads as it is.
        (err: Error) =>
          asked(file as AnyFile, options)
            ? failed(file as AnyFile, `${file.name} could not be prepared: ${err.message}`)
            : console.warn(`<hoist-uploader>: ${file.name} is uploaded with its location data: image preparation could not load (${err.message}). Serve dist/cdn/chunks/ beside hoist-uploader.js.`),
      ),
    ))
    pending.set(file.id, done.finally(() => pending.delete(file.id)))
  })
  uppy.addPreProcessor(async (ids) => void (await Promise.all(ids.map((id) => pending.get(id)))))
  // Previews, in place of the Dashboard's thumbnail generator (see src/prepare/thumbnail.ts).
  const draw = (file: AnyFile | undefined) => {
    if (file && !file.isRemote && file.data instanceof Blob && isPreviewSupported(file.type ?? '')) void load().then((chunk) => chunk.thumbnail(uppy, file.id), () => {})
  }
  uppy.on('file-added', draw as never)
  uppy.on('thumbnail:request', draw as never)
  uppy.on('restored', () => uppy.getFiles().forEach((f) => draw(f as AnyFile)))
  uppy.on('file-removed', (file) => file.preview?.startsWith('blob:') && URL.revokeObjectURL(file.preview))
}
