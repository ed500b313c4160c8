// Builds EXIF, XMP and other JPEG segments byte by byte, for tests of metadata handling. Uint8Array and
// DataView only (no Node APIs), so browser tests can use it too.

export type ByteOrder = 'II' | 'MM'

export interface ExifOptions {
  order: ByteOrder
  orientation?: number
  make?: string
  model?: string
  /** "YYYY:MM:DD HH:MM:SS", written as DateTime (IFD0) and DateTimeOriginal (Exif sub-IFD). */
  dateTime?: string
  /** Degrees, negative for south and west. */
  gps?: { lat: number; lon: number }
  /** PixelXDimension and PixelYDimension, as LONG unless `type` says SHORT. */
  pixelSize?: { width: number; height: number; type?: 'short' | 'long' }
  /** A JPEG to store as the thumbnail, in IFD1. */
  thumbnail?: Uint8Array
  /** An XMP packet in IFD0's tag 0x02BC, as TIFF files carry it. */
  ifd0Xmp?: string
  /** Replaces the GPS IFD pointer's value, to make it point somewhere wrong. */
  gpsPointer?: number
}

export interface BuiltExif {
  /** The whole APP1 segment, from its 0xFFE1 marker. */
  segment: Uint8Array
  /** Where the GPS IFD and all its values lie in `segment`, when there is one. */
  gpsBlock?: { start: number; end: number }
  /** Where IFD0 starts in `segment`. */
  ifd0: number
}

const BYTE = 1
const ASCII = 2
const SHORT = 3
const LONG = 4
const RATIONAL = 5
const UNDEFINED = 7

interface Field {
  tag: number
  type: number
  count: number
  /** The values, already in the segment's byte order. */
  data: Uint8Array
}

interface Layout {
  exif: number
  gps: number
  ifd1: number
  thumbnail: number
}

interface Ifds {
  ifd0: Field[]
  exif: Field[]
  gps?: Field[]
  ifd1?: Field[]
}

const ascii = (text: string) => new TextEncoder().encode(`${text}\0`)

/** Encodes values in one byte order. */
function encoder(little: boolean) {
  const numbers = (width: 2 | 4, values: number[]) => {
    const data = new Uint8Array(width * values.length)
    const view = new DataView(data.buffer)
    values.forEach((value, i) => (width === 2 ? view.setUint16(i * 2, value, little) : view.setUint32(i * 4, value, little)))
    return data
  }
  return {
    text: (tag: number, text: string): Field => ({ tag, type: ASCII, count: ascii(text).length, data: ascii(text) }),
    shorts: (tag: number, values: number[]): Field => ({ tag, type: SHORT, count: values.length, data: numbers(2, values) }),
    longs: (tag: number, values: number[]): Field => ({ tag, type: LONG, count: values.length, data: numbers(4, values) }),
    rationals: (tag: number, values: [number, number][]): Field => ({ tag, type: RATIONAL, count: values.length, data: numbers(4, values.flat()) }),
    bytes: (tag: number, type: number, data: Uint8Array): Field => ({ tag, type, count: data.length, data }),
  }
}

/** Degrees, minutes and seconds (to a thousandth) as three rationals. */
function dms(value: number): [number, number][] {
  const abs = Math.abs(value)
  const degrees = Math.floor(abs)
  const minutes = Math.floor((abs - degrees) * 60)
  const seconds = Math.round(((abs - degrees) * 60 - minutes) * 60 * 1000)
  return [[degrees, 1], [minutes, 1], [seconds, 1000]]
}

function buildIfds(options: ExifOptions, layout: Layout): Ifds {
  const put = encoder(options.order === 'II')
  const ifd0: Field[] = [put.rationals(0x011a, [[72, 1]]), put.rationals(0x011b, [[72, 1]]), put.shorts(0x0128, [2]), put.longs(0x8769, [layout.exif])]
  if (options.make !== undefined) ifd0.push(put.text(0x010f, options.make))
  if (options.model !== undefined) ifd0.push(put.text(0x0110, options.model))
  if (options.orientation !== undefined) ifd0.push(put.shorts(0x0112, [options.orientation]))
  if (options.dateTime !== undefined) ifd0.push(put.text(0x0132, options.dateTime))
  if (options.ifd0Xmp !== undefined) ifd0.push(put.bytes(0x02bc, BYTE, new TextEncoder().encode(options.ifd0Xmp)))
  if (options.gps) ifd0.push(put.longs(0x8825, [options.gpsPointer ?? layout.gps]))

  const exif: Field[] = [put.bytes(0x9000, UNDEFINED, new TextEncoder().encode('0232'))]
  if (options.dateTime !== undefined) exif.push(put.text(0x9003, options.dateTime))
  if (options.pixelSize) {
    const { width, height, type } = options.pixelSize
    const side = type === 'short' ? put.shorts : put.longs
    exif.push(side(0xa002, [width]), side(0xa003, [height]))
  }

  const { gps: position, thumbnail } = options
  const gps = position && [
    put.bytes(0x0000, BYTE, new Uint8Array([2, 3, 0, 0])),
    put.text(0x0001, position.lat < 0 ? 'S' : 'N'),
    put.rationals(0x0002, dms(position.lat)),
    put.text(0x0003, position.lon < 0 ? 'W' : 'E'),
    put.rationals(0x0004, dms(position.lon)),
    put.text(0x0012, 'WGS-84'),
    put.text(0x001d, '2024:05:01'),
  ]
  const ifd1 = thumbnail && [put.shorts(0x0103, [6]), put.longs(0x0201, [layout.thumbnail]), put.longs(0x0202, [thumbnail.length])]
  return { ifd0, exif, gps, ifd1 }
}

/** Values that do not fit in an entry go after the table, each at an even offset. */
const outOfLine = (field: Field) => field.data.length > 4
const padded = (length: number) => length + (length % 2)
const ifdSize = (fields: Field[]) => 2 + 12 * fields.length + 4 + fields.filter(outOfLine).reduce((sum, field) => sum + padded(field.data.length), 0)

function layoutOf(ifds: Ifds): Layout {
  const exif = 8 + ifdSize(ifds.ifd0)
  const gps = exif + ifdSize(ifds.exif)
  const ifd1 = gps + (ifds.gps ? ifdSize(ifds.gps) : 0)
  return { exif, gps, ifd1, thumbnail: ifd1 + (ifds.ifd1 ? ifdSize(ifds.ifd1) : 0) }
}

function writeIfd(tiff: Uint8Array, little: boolean, offset: number, fields: Field[], next: number) {
  const view = new DataView(tiff.buffer, tiff.byteOffset)
  const sorted = [...fields].sort((a, b) => a.tag - b.tag)
  view.setUint16(offset, sorted.length, little)
  let data = offset + 2 + 12 * sorted.length + 4
  sorted.forEach((field, i) => {
    const at = offset + 2 + 12 * i
    view.setUint16(at, field.tag, little)
    view.setUint16(at + 2, field.type, little)
    view.setUint32(at + 4, field.count, little)
    if (outOfLine(field)) {
      view.setUint32(at + 8, data, little)
      tiff.set(field.data, data)
      data += padded(field.data.length)
    } else {
      tiff.set(field.data, at + 8)
    }
  })
  view.setUint32(offset + 2 + 12 * sorted.length, next, little)
}

/** A whole APP1 Exif segment: IFD0, the Exif sub-IFD, the GPS IFD and IFD1 with the thumbnail, in that order. */
export function buildExif(options: ExifOptions): BuiltExif {
  const little = options.order === 'II'
  const layout = layoutOf(buildIfds(options, { exif: 0, gps: 0, ifd1: 0, thumbnail: 0 }))
  const ifds = buildIfds(options, layout)
  const tiff = new Uint8Array(layout.thumbnail + (options.thumbnail?.length ?? 0))
  const view = new DataView(tiff.buffer)
  tiff.set(new TextEncoder().encode(options.order))
  view.setUint16(2, 42, little)
  view.setUint32(4, 8, little)
  writeIfd(tiff, little, 8, ifds.ifd0, ifds.ifd1 ? layout.ifd1 : 0)
  writeIfd(tiff, little, layout.exif, ifds.exif, 0)
  if (ifds.gps) writeIfd(tiff, little, layout.gps, ifds.gps, 0)
  if (ifds.ifd1) writeIfd(tiff, little, layout.ifd1, ifds.ifd1, 0)
  if (options.thumbnail) tiff.set(options.thumbnail, layout.thumbnail)
  const segment = app1(new Uint8Array([...new TextEncoder().encode('Exif'), 0, 0]), tiff)
  // The TIFF starts after the marker, the length and "Exif\0\0".
  const tiffStart = 10
  return {
    segment,
    ifd0: tiffStart + 8,
    ...(ifds.gps ? { gpsBlock: { start: tiffStart + layout.gps, end: tiffStart + layout.ifd1 } } : {}),
  }
}

export const buildExifSegment = (options: ExifOptions) => buildExif(options).segment

/** An APP1 segment of an identifier and a body. */
function app1(id: Uint8Array, body: Uint8Array): Uint8Array {
  return segment(0xe1, concat(id, body))
}

/** A segment with a length: 0xFF, `marker`, the length, `payload`. */
export function segment(marker: number, payload: Uint8Array): Uint8Array {
  const length = payload.length + 2
  if (length > 0xffff) throw new RangeError(`a ${length}-byte segment does not fit a JPEG segment`)
  return concat(new Uint8Array([0xff, marker, length >> 8, length & 0xff]), payload)
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** An XMP APP1 segment around `xml`. */
export const xmpSegment = (xml: string) => app1(new TextEncoder().encode('http://ns.adobe.com/xap/1.0/\0'), new TextEncoder().encode(xml))

/** One chunk of extended XMP holding all of `xml`. */
export function extendedXmpSegment(xml: string, guid = '0123456789ABCDEF0123456789ABCDEF'): Uint8Array {
  const text = new TextEncoder().encode(xml)
  const fields = new Uint8Array(8)
  new DataView(fields.buffer).setUint32(0, text.length)
  return app1(new TextEncoder().encode(`http://ns.adobe.com/xmp/extension/\0${guid}`), concat(fields, text))
}

/** An XMP packet with `properties` as attributes of one rdf:Description (exif: and tiff: namespaces declared). */
export function xmpPacket(properties: Record<string, string>): string {
  const attributes = Object.entries(properties)
    .map(([name, value]) => ` ${name}="${value}"`)
    .join('')
  return (
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"${attributes}/>` +
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
  )
}

/** Offset just after SOI and any APP0 segments right after it: where EXIF goes in a JFIF file. */
export function afterApp0(jpeg: Uint8Array): number {
  let at = 2
  while (jpeg[at] === 0xff && jpeg[at + 1] === 0xe0) at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3])
  return at
}

/** `jpeg` with `segments` inserted after SOI and APP0, in order. */
export function jpegWithSegments(jpeg: Uint8Array, ...segments: Uint8Array[]): Uint8Array {
  const at = afterApp0(jpeg)
  return concat(jpeg.subarray(0, at), ...segments, jpeg.subarray(at))
}

export const jpegWithExif = (jpeg: Uint8Array, exifSegment: Uint8Array) => jpegWithSegments(jpeg, exifSegment)

/** The markers of a JPEG's header segments up to SOS, read independently of the code under test. */
export function markers(jpeg: Uint8Array): { marker: number; start: number; end: number }[] {
  const list: { marker: number; start: number; end: number }[] = []
  let at = 2
  while (at + 4 <= jpeg.length && jpeg[at] === 0xff && jpeg[at + 1] !== 0xda) {
    const end = at + 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3])
    list.push({ marker: jpeg[at + 1], start: at, end })
    at = end
  }
  return list
}

/** Offset of `needle` in `haystack`, or -1. */
export function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}
