// A JPEG's metadata read and edited in its header segments (everything before the scan), so that a
// photo loses its location without being re-encoded and a resized photo keeps its EXIF. Pure and
// synchronous, on Uint8Array and DataView only: it runs on the main thread and in Workers alike.

const MARKER = 0xff
const SOI = 0xd8
const EOI = 0xd9
const SOS = 0xda
const TEM = 0x01
const APP0 = 0xe0
const APP1 = 0xe1

const EXIF_ID = 'Exif'
/** "Exif" and two bytes (normally NULs) come before the TIFF header. */
const EXIF_ID_LENGTH = 6
const XMP_ID = 'http://ns.adobe.com/xap/1.0/\0'
const EXTENDED_XMP_ID = 'http://ns.adobe.com/xmp/extension/\0'
/** An extended XMP chunk's GUID (32) and full length and offset (4 each) come before its text. */
const EXTENDED_XMP_FIELDS = 40

const TAG_XMP = 0x02bc
const TAG_ORIENTATION = 0x0112
const TAG_EXIF_IFD = 0x8769
const TAG_GPS_IFD = 0x8825
const TAG_PIXEL_X = 0xa002
const TAG_PIXEL_Y = 0xa003

const SHORT = 3
const LONG = 4
const IFD = 13
/** Bytes per value of each TIFF type, by type number (1 BYTE … 13 IFD). */
const TYPE_SIZES = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4]
const TIFF_HEADER = 8
const ENTRY = 12

const REMOVED_GPS = 'GPS position (EXIF)'
const REMOVED_EXIF = 'EXIF block (unreadable, removed whole)'
const REMOVED_XMP = 'XMP packet with location'
const REMOVED_EXTENDED_XMP = 'extended XMP with location'

interface Segment {
  marker: number
  /** Offset of the segment's first 0xFF, fill bytes included. */
  start: number
  /** Offset of the payload, after the marker and the length. */
  body: number
  end: number
}

interface Walk {
  segments: Segment[]
  /** Offset of the SOS marker, when the walk reached it. */
  sos: number | undefined
}

/** RSTn and TEM stand alone: no length follows them. */
const isStandalone = (marker: number) => marker === TEM || (marker >= 0xd0 && marker <= 0xd7)

/** The header's segments in order, stopping at SOS or at the first thing that is not a segment. */
function walk(bytes: Uint8Array): Walk {
  const segments: Segment[] = []
  if (bytes.length < 2 || bytes[0] !== MARKER || bytes[1] !== SOI) return { segments, sos: undefined }
  let pos = 2
  while (pos < bytes.length && bytes[pos] === MARKER) {
    const start = pos
    while (pos < bytes.length && bytes[pos] === MARKER) pos++
    if (pos >= bytes.length) break
    const marker = bytes[pos++]
    if (marker === SOS) return { segments, sos: start }
    if (isStandalone(marker)) {
      segments.push({ marker, start, body: pos, end: pos })
      continue
    }
    if (marker === 0 || marker === SOI || marker === EOI || pos + 2 > bytes.length) break
    const length = (bytes[pos] << 8) | bytes[pos + 1]
    const end = pos + length
    if (length < 2 || end > bytes.length) break
    segments.push({ marker, start, body: pos + 2, end })
    pos = end
  }
  return { segments, sos: undefined }
}

function startsWith(bytes: Uint8Array, at: number, end: number, text: string): boolean {
  if (end - at < text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false
  return true
}

// Only "Exif" is checked, as exifr does: a reader that accepts a sloppy header must not find GPS we left.
const isExif = (bytes: Uint8Array, segment: Segment) => segment.marker === APP1 && startsWith(bytes, segment.body, segment.end, EXIF_ID)
const isXmp = (bytes: Uint8Array, segment: Segment) => segment.marker === APP1 && startsWith(bytes, segment.body, segment.end, XMP_ID)
const isExtendedXmp = (bytes: Uint8Array, segment: Segment) =>
  segment.marker === APP1 && startsWith(bytes, segment.body, segment.end, EXTENDED_XMP_ID)

export function headerEnd(bytes: Uint8Array): number | undefined {
  return walk(bytes).sos
}

// --- TIFF structure inside an Exif segment; offsets are relative to the TIFF header ---

interface Tiff {
  view: DataView
  little: boolean
  size: number
  /** Offset of the TIFF header in the bytes the view was made from. */
  start: number
}

/** [start, end) in TIFF offsets. */
type Range = [number, number]

/**
 * `lenient` reads any byte order mark other than "II" as big-endian and skips the 42, as exifr does:
 * stripping must find what lenient readers find, while orientation is read only from a proper TIFF.
 */
function openTiff(bytes: Uint8Array, segment: Segment, lenient: boolean): Tiff | undefined {
  const start = segment.body + EXIF_ID_LENGTH
  const size = segment.end - start
  if (size < TIFF_HEADER) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, size)
  const mark = view.getUint16(0)
  const little = mark === 0x4949
  if (!lenient && ((!little && mark !== 0x4d4d) || view.getUint16(2, little) !== 42)) return undefined
  return { view, little, size, start }
}

const u16 = (tiff: Tiff, at: number) => tiff.view.getUint16(at, tiff.little)
const u32 = (tiff: Tiff, at: number) => tiff.view.getUint32(at, tiff.little)
const fits = (tiff: Tiff, at: number, length: number) => at >= 0 && at + length <= tiff.size
const overlaps = (a: Range, b: Range) => a[0] < b[1] && b[0] < a[1]

interface Ifd {
  offset: number
  count: number
  /** Entries that lie inside the TIFF (fewer than `count` when the table is cut short). */
  readable: number
  /** The whole table and the next-IFD field lie inside the TIFF. */
  complete: boolean
}

interface Entry {
  /** Offset of the 12-byte entry. */
  at: number
  index: number
  tag: number
  type: number
  count: number
  /** The 4-byte value field read as a LONG: the value itself, or the offset of values that do not fit. */
  value: number
}

function readIfd(tiff: Tiff, offset: number): Ifd | undefined {
  if (offset < TIFF_HEADER || !fits(tiff, offset, 2)) return undefined
  const count = u16(tiff, offset)
  const readable = Math.min(count, Math.floor((tiff.size - offset - 2) / ENTRY))
  return { offset, count, readable, complete: fits(tiff, offset, tableLength(count)) }
}

/** The count, the entries and the next-IFD field. */
const tableLength = (count: number) => 2 + ENTRY * count + 4
const tableRange = (ifd: Ifd): Range => [ifd.offset, ifd.offset + tableLength(ifd.count)]

function entries(tiff: Tiff, ifd: Ifd): Entry[] {
  const list: Entry[] = []
  for (let index = 0; index < ifd.readable; index++) {
    const at = ifd.offset + 2 + ENTRY * index
    list.push({ at, index, tag: u16(tiff, at), type: u16(tiff, at + 2), count: u32(tiff, at + 4), value: u32(tiff, at + 8) })
  }
  return list
}

/** Where an entry's values lie (in the entry itself when they fit in 4 bytes); undefined when unknown or outside the TIFF. */
function valueRange(tiff: Tiff, entry: Entry): Range | undefined {
  const unit = TYPE_SIZES[entry.type] ?? 0
  if (!unit) return undefined
  const length = unit * entry.count
  const start = length <= 4 ? entry.at + 8 : entry.value
  return fits(tiff, start, length) ? [start, start + length] : undefined
}

const isPointer = (entry: Entry) => (entry.type === LONG || entry.type === IFD) && entry.count === 1

/** The IFD an entry points to (the Exif sub-IFD, the GPS IFD), when its count field is inside the TIFF. */
const pointedIfd = (tiff: Tiff, entry: Entry | undefined) => (entry && isPointer(entry) ? readIfd(tiff, entry.value) : undefined)

const ifd0Of = (tiff: Tiff) => readIfd(tiff, u32(tiff, 4))

// --- Reading ---

function firstExif(header: Uint8Array): Segment | undefined {
  return walk(header).segments.find((segment) => isExif(header, segment))
}

export function readOrientation(header: Uint8Array): number {
  const segment = firstExif(header)
  const tiff = segment && openTiff(header, segment, false)
  const ifd0 = tiff && ifd0Of(tiff)
  if (!tiff || !ifd0) return 1
  const entry = entries(tiff, ifd0).find((candidate) => candidate.tag === TAG_ORIENTATION)
  if (!entry || entry.type !== SHORT || entry.count !== 1) return 1
  const orientation = u16(tiff, entry.at + 8)
  return orientation >= 1 && orientation <= 8 ? orientation : 1
}

export function exifSegment(header: Uint8Array): Uint8Array | undefined {
  const segment = firstExif(header)
  // From the 0xFF right before 0xE1, leaving out fill bytes; a copy, so that editing it leaves `header` alone.
  return segment && header.slice(segment.body - 4, segment.end)
}

// --- Stripping ---

export interface Stripped {
  /** The new header bytes (everything up to SOS); the caller appends the untouched rest of the file. */
  header: Uint8Array
  /** What was removed, in plain words for a report, e.g. ['GPS position (EXIF)']; empty when nothing was. */
  removed: string[]
}

interface Removal {
  ifd: Ifd
  index: number
}

/** What to do to one Exif segment to take its location out, planned before any byte changes. */
interface ExifEdit {
  tiffStart: number
  little: boolean
  removals: Removal[]
  zeroed: Range[]
  reasons: string[]
}

const textDecoder = new TextDecoder()
// Case-insensitive, for writers such as DJI's drone-dji:GpsLatitude next to exif:GPSLatitude.
const LOCATION = /gps|latitude|longitude/i
const mentionsLocation = (bytes: Uint8Array) => LOCATION.test(textDecoder.decode(bytes))

/**
 * IFD0, the Exif sub-IFD and IFD1: where a GPS pointer may be. exifr looks only in IFD0, but other
 * readers (ExifTool) read one tag table for all three, so a pointer misplaced in either still counts.
 */
function pointerHolders(tiff: Tiff, ifd0: Ifd): Ifd[] {
  const holders = [ifd0]
  const exifIfd = pointedIfd(tiff, entries(tiff, ifd0).find((entry) => entry.tag === TAG_EXIF_IFD))
  const ifd1 = ifd0.complete ? readIfd(tiff, u32(tiff, ifd0.offset + 2 + ENTRY * ifd0.count)) : undefined
  for (const ifd of [exifIfd, ifd1]) if (ifd && !holders.some((held) => held.offset === ifd.offset)) holders.push(ifd)
  return holders
}

/** The GPS IFD's table and every value it points to, or undefined when any of it is not where it claims to be. */
function gpsBlock(tiff: Tiff, pointer: Entry): Range[] | undefined {
  const gps = pointedIfd(tiff, pointer)
  if (!gps?.complete) return undefined
  const ranges = [tableRange(gps)]
  for (const entry of entries(tiff, gps)) {
    const range = valueRange(tiff, entry)
    if (!range) return undefined
    ranges.push(range)
  }
  return ranges
}

/** An XMP packet stored in the TIFF itself (tag 0x02BC), when it mentions location. */
function xmpTagRange(tiff: Tiff, entry: Entry): Range | undefined {
  const range = valueRange(tiff, entry)
  return range && mentionsLocation(new Uint8Array(tiff.view.buffer, tiff.view.byteOffset + range[0], range[1] - range[0])) ? range : undefined
}

/** The bytes an entry's location data takes up; undefined when the entry holds none; 'corrupt' when it does but they cannot be found. */
function locationRanges(tiff: Tiff, entry: Entry): Range[] | 'corrupt' | undefined {
  if (entry.tag === TAG_GPS_IFD) return gpsBlock(tiff, entry) ?? 'corrupt'
  const xmp = entry.tag === TAG_XMP ? xmpTagRange(tiff, entry) : undefined
  return xmp && [xmp]
}

/** The edit that takes the location out; undefined when there is none; 'unreadable' when there is but its structure is corrupt. */
function planExif(bytes: Uint8Array, segment: Segment): ExifEdit | 'unreadable' | undefined {
  const tiff = openTiff(bytes, segment, true)
  const ifd0 = tiff && ifd0Of(tiff)
  if (!tiff || !ifd0) return undefined
  const holders = pointerHolders(tiff, ifd0)
  // Zeroing any of these would damage what is kept (or loop back into it): such a GPS IFD is corrupt.
  const guarded: Range[] = [[0, TIFF_HEADER], ...holders.map(tableRange)]
  const edit: ExifEdit = { tiffStart: tiff.start, little: tiff.little, removals: [], zeroed: [], reasons: [] }
  for (const ifd of holders) {
    for (const entry of entries(tiff, ifd)) {
      const ranges = locationRanges(tiff, entry)
      if (!ranges) continue
      // A table cut short cannot be rewritten (its next-IFD field is missing).
      if (ranges === 'corrupt' || !ifd.complete || ranges.some((range) => guarded.some((kept) => overlaps(range, kept)))) return 'unreadable'
      edit.removals.push({ ifd, index: entry.index })
      edit.zeroed.push(...ranges)
      edit.reasons.push(entry.tag === TAG_GPS_IFD ? REMOVED_GPS : REMOVED_XMP)
    }
  }
  return edit.removals.length ? edit : undefined
}

/** Every bound is checked, so this should not throw; if it ever does, the segment goes whole rather than the upload failing or leaking. */
function safePlanExif(bytes: Uint8Array, segment: Segment): ExifEdit | 'unreadable' | undefined {
  try {
    return planExif(bytes, segment)
  } catch {
    return 'unreadable'
  }
}

/** Takes entry `index` out of a table of `count` entries: the rest and the next-IFD field move up, the freed 12 bytes become zero. */
function removeEntry(bytes: Uint8Array, edit: ExifEdit, offset: number, count: number, index: number) {
  const table = edit.tiffStart + offset + 2
  const next = table + ENTRY * count
  bytes.copyWithin(table + ENTRY * index, table + ENTRY * (index + 1), next + 4)
  bytes.fill(0, next + 4 - ENTRY, next + 4)
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(edit.tiffStart + offset, count - 1, edit.little)
}

function applyEdit(bytes: Uint8Array, edit: ExifEdit) {
  for (const [start, end] of edit.zeroed) bytes.fill(0, edit.tiffStart + start, edit.tiffStart + end)
  // From the last entry back, so that the indices of those still to remove do not move.
  const counts = new Map<number, number>()
  for (const { ifd, index } of [...edit.removals].sort((a, b) => b.index - a.index)) {
    const count = counts.get(ifd.offset) ?? ifd.count
    removeEntry(bytes, edit, ifd.offset, count, index)
    counts.set(ifd.offset, count - 1)
  }
}

/** Extended XMP is one packet in chunks: a mention of location in any of them (or across two) takes them all. */
function extendedXmpWithLocation(bytes: Uint8Array, segments: Segment[]): Segment[] {
  const chunks = segments.filter((segment) => isExtendedXmp(bytes, segment))
  const text = chunks.map((chunk) => textDecoder.decode(bytes.subarray(chunk.body + EXTENDED_XMP_ID.length + EXTENDED_XMP_FIELDS, chunk.end))).join('')
  return LOCATION.test(text) ? chunks : []
}

function cutOut(bytes: Uint8Array, cuts: Segment[]): Uint8Array {
  if (!cuts.length) return bytes
  const sorted = [...cuts].sort((a, b) => a.start - b.start)
  const out = new Uint8Array(bytes.length - sorted.reduce((sum, cut) => sum + cut.end - cut.start, 0))
  let from = 0
  let to = 0
  for (const cut of sorted) {
    out.set(bytes.subarray(from, cut.start), to)
    to += cut.start - from
    from = cut.end
  }
  out.set(bytes.subarray(from), to)
  return out
}

/**
 * Removes location from a JPEG header: GPS IFDs (pointer, table and values), XMP that mentions GPS,
 * in APP1 packets, extended XMP or the TIFF's own XMP tag. Edits are in place (zeroed bytes, same
 * segment lengths) so every other offset stays valid; an Exif segment whose GPS data cannot be
 * located safely goes whole. `header` may run past SOS: what follows is returned untouched.
 */
export function stripLocation(header: Uint8Array): Stripped {
  const { segments } = walk(header)
  const removed: string[] = []
  const note = (reason: string) => {
    if (!removed.includes(reason)) removed.push(reason)
  }
  const cuts: Segment[] = []
  let edited: Uint8Array | undefined
  for (const segment of segments) {
    if (isExif(header, segment)) {
      const plan = safePlanExif(header, segment)
      if (plan === 'unreadable') {
        cuts.push(segment)
        note(REMOVED_EXIF)
      } else if (plan) {
        edited ??= header.slice()
        applyEdit(edited, plan)
        plan.reasons.forEach(note)
      }
    } else if (isXmp(header, segment) && mentionsLocation(header.subarray(segment.body + XMP_ID.length, segment.end))) {
      cuts.push(segment)
      note(REMOVED_XMP)
    }
  }
  const extended = extendedXmpWithLocation(header, segments)
  if (extended.length) {
    cuts.push(...extended)
    note(REMOVED_EXTENDED_XMP)
  }
  if (!edited && !cuts.length) return { header, removed }
  return { header: cutOut(edited ?? header, cuts), removed }
}

// --- Copying EXIF into a new JPEG ---

function checkSize(size: { width: number; height: number }) {
  for (const side of [size.width, size.height]) {
    if (!Number.isInteger(side) || side < 1 || side > 0xffffffff) throw new RangeError(`withExif: ${side} is not a pixel size`)
  }
}

/** The segment `exif` stands for, when it is one whole APP1 Exif segment. */
function exifArgument(exif: Uint8Array): Segment {
  const segment = { marker: exif[1], start: 0, body: 4, end: exif.length }
  const length = exif.length >= 4 ? (exif[2] << 8) | exif[3] : -1
  if (exif[0] !== MARKER || length !== exif.length - 2 || !isExif(exif, segment)) {
    throw new RangeError('withExif: exif is not an APP1 Exif segment (use exifSegment)')
  }
  return segment
}

/** One value in an entry, written in place: a new image's orientation and size need no more room. */
function writeEntry(tiff: Tiff, entry: Entry, type: number, value: number) {
  tiff.view.setUint16(entry.at + 2, type, tiff.little)
  tiff.view.setUint32(entry.at + 4, 1, tiff.little)
  tiff.view.setUint32(entry.at + 8, 0)
  if (type === SHORT) tiff.view.setUint16(entry.at + 8, value, tiff.little)
  else tiff.view.setUint32(entry.at + 8, value, tiff.little)
}

/** Orientation 1 (the pixels are drawn upright now) and the new pixel size; false when IFD0 cannot be read. */
function describeNewImage(copy: Uint8Array, segment: Segment, size: { width: number; height: number }): boolean {
  const tiff = openTiff(copy, segment, false)
  const ifd0 = tiff && ifd0Of(tiff)
  if (!tiff || !ifd0?.complete) return false
  const ifd0Entries = entries(tiff, ifd0)
  for (const entry of ifd0Entries) if (entry.tag === TAG_ORIENTATION) writeEntry(tiff, entry, SHORT, 1)
  const exifIfd = pointedIfd(tiff, ifd0Entries.find((entry) => entry.tag === TAG_EXIF_IFD))
  for (const entry of exifIfd ? entries(tiff, exifIfd) : []) {
    const side = entry.tag === TAG_PIXEL_X ? size.width : entry.tag === TAG_PIXEL_Y ? size.height : undefined
    if (side !== undefined) writeEntry(tiff, entry, entry.type === SHORT && side <= 0xffff ? SHORT : LONG, side)
  }
  return true
}

/** Where the Exif segment goes: in place of one already there, else after SOI and the APP0 (JFIF) segments. */
function exifPlace(header: Uint8Array): Range {
  const { segments } = walk(header)
  const existing = segments.find((segment) => isExif(header, segment))
  if (existing) return [existing.start, existing.end]
  let at = 2
  for (const segment of segments) {
    if (segment.marker !== APP0 || segment.start !== at) break
    at = segment.end
  }
  return [at, at]
}

/**
 * `header` with a copy of `exif` put in, its orientation set to 1 and its pixel size to `size`.
 * An Exif segment whose IFD0 cannot be read is left out (its orientation could not be reset, and a
 * stale one would turn the image twice), so `header` comes back as it is.
 */
export function withExif(header: Uint8Array, exif: Uint8Array, size: { width: number; height: number }): Uint8Array {
  if (header[0] !== MARKER || header[1] !== SOI) throw new RangeError('withExif: header is not a JPEG')
  checkSize(size)
  const segment = exifArgument(exif)
  const copy = exif.slice()
  if (!describeNewImage(copy, segment, size)) return header
  const [from, to] = exifPlace(header)
  const out = new Uint8Array(header.length - (to - from) + copy.length)
  out.set(header.subarray(0, from))
  out.set(copy, from)
  out.set(header.subarray(to), from + copy.length)
  return out
}
