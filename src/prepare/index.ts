// Image preparation before upload (a chunk of its own, loaded when an added file may need it):
// HEIC/HEIF to JPEG, downscaling, and location data removed from JPEGs without re-encoding them.
import { heicToJpeg, isHeic } from './heic.js'
import { exifSegment, headerEnd, stripLocation, withExif } from './jpeg-meta.js'
import { JPEG_NAME, RESIZABLE } from './kinds.js'
import { resize } from './resize.js'

export interface PrepareOptions {
  /** Longest side in pixels; larger images are scaled down. */
  maxSide: number | undefined
  /** JPEG and WebP quality of re-encoded images, 0–1. */
  quality: number
  convertHeic: boolean
  stripLocation: boolean
}

/** What preparation did to a file, reported as `FileInfo.processing`. */
export interface Processing {
  /** The type it had, when it was converted (HEIC/HEIF to JPEG). */
  convertedFrom?: string
  /** Its pixel size before and after, when it was scaled down. */
  resized?: { from: Size; to: Size }
  /** The metadata taken out, in words (e.g. "GPS position (EXIF)"). */
  removed: string[]
}

interface Size {
  width: number
  height: number
}

export interface Prepared {
  data: Blob
  name: string
  type: string
  processing: Processing
}

/** Bytes read to find a JPEG's header segments; EXIF, XMP and ICC profiles usually fit well inside. */
const HEADER_READS = [256 * 1024, 4 * 1024 * 1024]

/** The file's JPEG header (every segment before the scan), or undefined for a file that is not a JPEG. */
async function jpegHeader(data: Blob): Promise<Uint8Array | undefined> {
  for (const size of HEADER_READS) {
    const head = new Uint8Array(await data.slice(0, size).arrayBuffer())
    if (head[0] !== 0xff || head[1] !== 0xd8) return undefined
    const end = headerEnd(head)
    if (end !== undefined) return head.subarray(0, end)
    if (head.length < size) return undefined
  }
  return undefined
}

/** A freshly encoded JPEG with `exif` put in (its orientation reset, as the pixels are now upright). */
async function withExifOf(jpeg: Blob, exif: Uint8Array, size: Size): Promise<Blob> {
  const header = await jpegHeader(jpeg)
  if (!header) return jpeg
  return new Blob([withExif(header, exif, size) as BlobPart, jpeg.slice(header.length)], { type: 'image/jpeg' })
}

const renamed = (name: string, extension: string) => `${name.replace(/\.[^./]*$/, '') || name}.${extension}`

/** Prepares one image; undefined when nothing about it changes (not an image, small enough, no location). */
export async function prepareImage(data: Blob, name: string, options: PrepareOptions): Promise<Prepared | undefined> {
  if (options.convertHeic && (await isHeic(data, name))) {
    const out = await heicToJpeg({ data, maxSide: options.maxSide, quality: options.quality })
    const resized = out.width !== out.from.width || out.height !== out.from.height
    return {
      data: new Blob([out.blob], { type: 'image/jpeg' }),
      name: renamed(name, 'jpg'),
      type: 'image/jpeg',
      // The JPEG is drawn from pixels: nothing of the HEIC file's metadata comes along.
      processing: { convertedFrom: data.type || 'image/heic', ...(resized ? { resized: { from: out.from, to: { width: out.width, height: out.height } } } : {}), removed: ['all metadata of the HEIC file (location included)'] },
    }
  }
  const type = data.type || (JPEG_NAME.test(name) ? 'image/jpeg' : '')
  const header = type === 'image/jpeg' ? await jpegHeader(data) : undefined
  const stripped = header && options.stripLocation ? stripLocation(header) : undefined
  if (options.maxSide && RESIZABLE.test(type)) {
    const out = await resize({ data, maxSide: options.maxSide, type, quality: options.quality })
    if (out.resized) {
      // The EXIF (less its location, unless kept) goes into the new JPEG: dates and camera survive.
      const exif = header && exifSegment(stripped?.header ?? header)
      const blob = exif ? await withExifOf(out.blob, exif, out) : new Blob([out.blob], { type })
      return { data: blob, name, type, processing: { resized: { from: out.from, to: { width: out.width, height: out.height } }, removed: stripped?.removed ?? [] } }
    }
  }
  if (!header || !stripped?.removed.length) return undefined
  return { data: new Blob([stripped.header as BlobPart, data.slice(header.length)], { type }), name, type, processing: { removed: stripped.removed } }
}
