import { type Encoded, encodeScaled } from './raster.js'
import { workerCalls } from './worker-calls.js'

export interface ResizeJob {
  data: Blob
  /** The most pixels on the long side, or across with `byWidth` (previews). */
  maxSide: number
  byWidth?: boolean
  type: string
  quality: number
}

/** The decoded size of an image that needs no resizing, or the resized image. */
export type Resized = ({ resized: true; from: { width: number; height: number } } & Encoded) | { resized: false; width: number; height: number }

/** The Worker's program, run from its source text like the hasher's: it decodes (turned upright by its EXIF orientation) and scales one image per message. */
function workerMain(encode: typeof encodeScaled): void {
  const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage: (m: unknown) => void }
  scope.onmessage = async (e) => {
    const { id, job } = e.data as { id: number; job: ResizeJob }
    try {
      const image = await createImageBitmap(job.data, { imageOrientation: 'from-image' })
      try {
        const long = Math.max(image.width, image.height)
        const side = job.byWidth ? image.width : long
        if (side <= job.maxSide) scope.postMessage({ id, answer: { resized: false, width: image.width, height: image.height } })
        else scope.postMessage({ id, answer: { resized: true, from: { width: image.width, height: image.height }, ...(await encode(image, (job.maxSide * long) / side, job.type, job.quality)) } })
      } finally {
        image.close()
      }
    } catch (err) {
      scope.postMessage({ id, error: String((err as Error)?.message ?? err) })
    }
  }
}

// Builds that keep function names call a `__name` helper inside functions: the script brings its own.
const workerScript = () => `var __name = (f) => f;\n(${workerMain})(${encodeScaled})`

/** The page's one resize worker, started on first use and stopped after 10 s without work. */
const inWorker = workerCalls<ResizeJob, Resized>(() => new Worker(URL.createObjectURL(new Blob([workerScript()], { type: 'text/javascript' }))), {
  idleMs: 10_000,
  failure: (reason) => reason || 'the resize worker failed',
})

/** Whether this browser can decode and draw images in a worker. */
const workerCanDraw = () => typeof Worker === 'function' && typeof OffscreenCanvas === 'function' && typeof URL.createObjectURL === 'function'

/**
 * Resizes an image off the main thread where the browser can (OffscreenCanvas); elsewhere the browser
 * decodes it off the main thread and only the drawing runs on it.
 */
export async function resize(job: ResizeJob): Promise<Resized> {
  return workerCanDraw() ? inWorker(job) : resizeHere(job)
}

async function resizeHere(job: ResizeJob): Promise<Resized> {
  const image = await createImageBitmap(job.data, { imageOrientation: 'from-image' })
  try {
    const side = job.byWidth ? image.width : Math.max(image.width, image.height)
    if (side <= job.maxSide) return { resized: false, width: image.width, height: image.height }
    const scale = job.maxSide / side
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(image.width * scale))
    canvas.height = Math.max(1, Math.round(image.height * scale))
    canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the image could not be encoded'))), job.type, job.quality))
    return { resized: true, from: { width: image.width, height: image.height }, blob, width: canvas.width, height: canvas.height }
  } finally {
    image.close()
  }
}
