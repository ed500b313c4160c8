import type { Encoded as Scaled } from './raster.js'
import type { HeicJob } from './heic-worker.js'

/** The JPEG, and the HEIC image's own pixel size. */
export type Encoded = Scaled & { from: { width: number; height: number } }

/** HEIF brands of still images (ISO/IEC 23008-12), read at bytes 8–12 and among the compatible brands. */
const BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1', 'heif'])
const TYPES = /^image\/hei[cf](-sequence)?$/

/** Whether a file is HEIC/HEIF, by its type, its extension or its first bytes (browsers often give `.heic` files no type). */
export async function isHeic(data: Blob, name: string): Promise<boolean> {
  if (TYPES.test(data.type) || /\.hei[cf]$/i.test(name)) return true
  if (data.type && data.type !== 'application/octet-stream') return false
  const head = new Uint8Array(await data.slice(0, 32).arrayBuffer())
  const text = String.fromCharCode(...head)
  if (text.slice(4, 8) !== 'ftyp') return false
  // The major brand, then the compatible brands up to the box's end.
  const boxEnd = Math.min(head.length, new DataView(head.buffer).getUint32(0))
  for (let at = 8; at + 4 <= boxEnd; at += 4) if (at !== 12 && BRANDS.has(text.slice(at, at + 4))) return true
  return false
}

let worker: Worker | undefined
let nextId = 0
const pending = new Map<number, { resolve: (r: Encoded) => void; reject: (e: Error) => void }>()

/**
 * The HEIC worker, a module of its own beside this one (libheif is about 1.4 MB of WebAssembly,
 * fetched only when a HEIC file arrives). A page on another origin than the script may not start it
 * from its URL, so it is then started from a one-line module that imports it.
 */
function heicWorker(): Worker {
  if (worker) return worker
  // Written out in full twice: bundlers (Vite, webpack) find a worker by this exact shape.
  try {
    worker = new Worker(new URL('./heic-worker.js', import.meta.url), { type: 'module' })
  } catch {
    const url = new URL('./heic-worker.js', import.meta.url).href
    worker = new Worker(URL.createObjectURL(new Blob([`import ${JSON.stringify(url)}`], { type: 'text/javascript' })), { type: 'module' })
  }
  worker.onmessage = (e: MessageEvent<{ id: number; answer?: Encoded; error?: string }>) => {
    const waiting = pending.get(e.data.id)
    pending.delete(e.data.id)
    if (e.data.answer) waiting?.resolve(e.data.answer)
    else waiting?.reject(new Error(e.data.error))
  }
  worker.onerror = (e) => {
    e.preventDefault()
    for (const waiting of pending.values()) waiting.reject(new Error(`the HEIC decoder could not start (${e.message || 'no reason given'})`))
    pending.clear()
    worker?.terminate()
    worker = undefined
  }
  return worker
}

/** A HEIC/HEIF image as a JPEG, upright, at most `maxSide` pixels on its long side. */
export function heicToJpeg(job: HeicJob): Promise<Encoded> {
  return new Promise((resolve, reject) => {
    const id = nextId++
    pending.set(id, { resolve, reject })
    heicWorker().postMessage({ id, job })
  })
}
