// The HEIC worker: decodes one HEIC/HEIF image per message with libheif (WebAssembly, loaded with
// this worker only), scales it and encodes it as JPEG. libheif applies the file's rotation and
// mirroring, so the result is upright.
import libheif from 'libheif-js/libheif-wasm/libheif-bundle.mjs'
import { encodeScaled } from './raster.js'

export interface HeicJob {
  data: Blob
  maxSide: number | undefined
  quality: number
}

interface HeifImage {
  get_width(): number
  get_height(): number
  display(target: { data: Uint8ClampedArray; width: number; height: number }, done: (result: unknown) => void): void
  free?(): void
}

const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage: (m: unknown) => void }
let decoder: { decode(bytes: Uint8Array): HeifImage[] } | undefined

scope.onmessage = async (e) => {
  const { id, job } = e.data as { id: number; job: HeicJob }
  try {
    decoder ??= new (libheif() as { HeifDecoder: new () => { decode(bytes: Uint8Array): HeifImage[] } }).HeifDecoder()
    const [image] = decoder.decode(new Uint8Array(await job.data.arrayBuffer()))
    if (!image) throw new Error('no image inside this HEIC file')
    const width = image.get_width()
    const height = image.get_height()
    const pixels = { data: new Uint8ClampedArray(width * height * 4), width, height }
    const shown = await new Promise((resolve) => image.display(pixels, resolve))
    image.free?.()
    if (!shown) throw new Error('this HEIC file could not be decoded')
    const bitmap = await createImageBitmap(new ImageData(pixels.data, width, height))
    const encoded = await encodeScaled(bitmap, job.maxSide, 'image/jpeg', job.quality)
    bitmap.close()
    scope.postMessage({ id, answer: { ...encoded, from: { width, height } } })
  } catch (err) {
    scope.postMessage({ id, error: String((err as Error)?.message ?? err) })
  }
}
