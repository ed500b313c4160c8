import type Uppy from '@uppy/core'
import { resize } from './resize.js'

/** Width of the Dashboard's previews, as Uppy's own thumbnail generator draws them. */
const WIDTH = 280

let queue: Promise<void> = Promise.resolve()

/**
 * The preview of a listed image, in place of Uppy's thumbnail generator, which decodes and scales
 * each image on the main thread (250–300 ms tasks for a phone's photo). Here the resize worker
 * decodes, scales and encodes it; an image no wider than the preview is shown as it is. One image at
 * a time, to bound the memory decoding takes.
 */
export function thumbnail(uppy: Uppy, id: string): Promise<void> {
  const done = queue.then(async () => {
    const file = uppy.getFile(id)
    if (!file || !(file.data instanceof Blob)) return
    const url = await previewOf(file.data).catch(() => undefined)
    const now = uppy.getFile(id)
    if (!url || !now) return void (url && URL.revokeObjectURL(url))
    // A file whose pixels changed meanwhile (converted, resized, edited) is drawn again after this.
    if (now.preview?.startsWith('blob:')) URL.revokeObjectURL(now.preview)
    uppy.setFileState(id, { preview: url })
    uppy.emit('thumbnail:generated', uppy.getFile(id) as never, url)
  })
  queue = done
  return done
}

async function previewOf(data: Blob): Promise<string | undefined> {
  // The browser shows an SVG as it is (a worker cannot decode it).
  if (data.type === 'image/svg+xml') return URL.createObjectURL(data)
  const out = await resize({ data, maxSide: WIDTH, byWidth: true, type: 'image/jpeg', quality: 0.8 })
  return URL.createObjectURL(out.resized ? out.blob : data)
}
