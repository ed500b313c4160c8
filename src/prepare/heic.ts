import type { Encoded as Scaled } from './raster.js'
import type { HeicJob } from './heic-worker.js'
import { HEIC_NAME, HEIC_TYPE } from './kinds.js'
import { workerCalls } from './worker-calls.js'

/** The JPEG, and the HEIC image's own pixel size. */
export type Encoded = Scaled & { from: { width: number; height: number } }

/** HEIF brands of still images (ISO/IEC 23008-12), read at bytes 8–12 and among the compatible brands. */
const BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'heif'])

/** Whether a file is HEIC/HEIF, by its type, its extension or its first bytes (browsers often give `.heic` files no type). */
export async function isHeic(data: Blob, name: string): Promise<boolean> {
  if (HEIC_TYPE.test(data.type) || HEIC_NAME.test(name)) return true
  if (data.type && data.type !== 'application/octet-stream') return false
  const head = new Uint8Array(await data.slice(0, 32).arrayBuffer())
  const text = String.fromCharCode(...head)
  if (text.slice(4, 8) !== 'ftyp') return false
  // The major brand, then the compatible brands up to the box's end.
  const boxEnd = Math.min(head.length, new DataView(head.buffer).getUint32(0))
  for (let at = 8; at + 4 <= boxEnd; at += 4) if (at !== 12 && BRANDS.has(text.slice(at, at + 4))) return true
  return false
}

/**
 * The HEIC worker, a module of its own beside this one (libheif is about 1.4 MB of WebAssembly,
 * fetched only when a HEIC file arrives). A page on another origin than the script may not start it
 * from its URL, so it is then started from a one-line module that imports it.
 */
function startHeicWorker(): Worker {
  // Written out in full twice: bundlers (Vite, webpack) find a worker by this exact shape.
  try {
    return new Worker(new URL('./heic-worker.js', import.meta.url), { type: 'module' })
  } catch {
    const url = new URL('./heic-worker.js', import.meta.url).href
    return new Worker(URL.createObjectURL(new Blob([`import ${JSON.stringify(url)}`], { type: 'text/javascript' })), { type: 'module' })
  }
}

/** A HEIC/HEIF image as a JPEG, upright, at most `maxSide` pixels on its long side. */
export const heicToJpeg = workerCalls<HeicJob, Encoded>(startHeicWorker, { failure: (reason) => `the HEIC decoder could not start (${reason || 'no reason given'})` })
