// The JPEG header code checked against an independent reader (exifr) and decoder (jpeg-js): location
// goes, everything else stays byte for byte, pixels are untouched, and bad input never throws.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import exifr from 'exifr'
import fc from 'fast-check'
import jpeg from 'jpeg-js'
import { exifSegment, headerEnd, readOrientation, stripLocation, withExif } from '../../src/prepare/jpeg-meta.js'
import {
  afterApp0,
  buildExif,
  buildExifSegment,
  concat,
  extendedXmpSegment,
  indexOf,
  jpegWithExif,
  jpegWithSegments,
  markers,
  segment,
  xmpPacket,
  xmpSegment,
  type ByteOrder,
  type ExifOptions,
} from '../helpers/exif.js'

/** A small real JPEG: a gradient, so that pixel comparisons mean something. */
function encodeImage(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256, 255], i * 4)
  return new Uint8Array(jpeg.encode({ data, width, height }, 90).data)
}

const image = encodeImage(16, 16)
const thumbnail = encodeImage(8, 8)
const pixels = (bytes: Uint8Array) => jpeg.decode(bytes, { useTArray: true }).data
const ascii = (text: string) => new TextEncoder().encode(text)
const ORDERS: ByteOrder[] = ['II', 'MM']
const WHERE = { lat: 52.520008, lon: -13.404954 }
const STRIPPED_GPS = ['GPS position (EXIF)']
const UNREADABLE = ['EXIF block (unreadable, removed whole)']

const camera = (order: ByteOrder, extra: Partial<ExifOptions> = {}): ExifOptions => ({
  order,
  orientation: 6,
  make: 'Hoist Optics',
  model: 'Model One',
  dateTime: '2024:05:01 12:34:56',
  pixelSize: { width: 4000, height: 3000 },
  ...extra,
})

/** The header of `file`, for functions that take only the header. */
function headerOf(file: Uint8Array): Uint8Array {
  const end = headerEnd(file)
  assert.ok(end !== undefined, 'the file has a complete header')
  return file.subarray(0, end)
}

/** Strips the header only and puts the rest of the file back, as the widget does. */
function stripFile(file: Uint8Array) {
  const header = headerOf(file)
  const result = stripLocation(header)
  return { ...result, file: concat(result.header, file.subarray(header.length)) }
}

/** IFD0's entry count, next-IFD offset and the 12 bytes after that offset, read straight from the bytes. */
function ifd0Table(file: Uint8Array, at: number, order: ByteOrder) {
  const view = new DataView(file.buffer, file.byteOffset)
  const little = order === 'II'
  const count = view.getUint16(at, little)
  const next = at + 2 + 12 * count
  return { count, next: view.getUint32(next, little), freed: file.subarray(next + 4, next + 16) }
}

const parse = (bytes: Uint8Array) => exifr.parse(bytes, { gps: true, tiff: true, exif: true, xmp: true, ifd1: true })
const blocks = (bytes: Uint8Array) => exifr.parse(bytes, { gps: true, tiff: true, exif: true, ifd1: true, mergeOutput: false })
/** exifr's GPS position, or undefined (also when exifr cannot read the data at all). */
const gpsOf = (bytes: Uint8Array) => exifr.gps(bytes).catch(() => undefined)

describe('headerEnd', () => {
  it('finds SOS in a real JPEG, past any inserted segments', () => {
    const end = headerEnd(image)
    assert.ok(end !== undefined && end > 2)
    assert.deepEqual([image[end], image[end + 1]], [0xff, 0xda])
    const exif = buildExifSegment(camera('II'))
    assert.equal(headerEnd(jpegWithExif(image, exif)), end + exif.length)
  })

  it('is undefined for bytes that are not a JPEG', () => {
    for (const bytes of [new Uint8Array(), new Uint8Array([0xff]), new Uint8Array([0xff, 0xd8]), ascii('\x89PNG\r\n\x1a\n'), ascii('hello world')]) {
      assert.equal(headerEnd(bytes), undefined)
    }
  })

  it('is undefined when the header runs past the bytes', () => {
    const end = headerEnd(image) ?? 0
    assert.equal(headerEnd(image.subarray(0, end)), undefined, 'SOS itself missing')
    assert.equal(headerEnd(image.subarray(0, end + 1)), undefined, 'only the 0xFF of SOS')
    assert.equal(headerEnd(image.subarray(0, end + 2)), end)
    for (let length = 0; length < end; length++) assert.equal(headerEnd(image.subarray(0, length)), undefined, `cut at ${length}`)
  })

  it('skips fill bytes and standalone markers, and stops at a broken segment', () => {
    const at = afterApp0(image)
    const end = headerEnd(image) ?? 0
    const padded = concat(image.subarray(0, at), new Uint8Array([0xff, 0xff, 0xff, 0xd0, 0xff, 0x01]), image.subarray(at))
    assert.equal(headerEnd(padded), end + 6)
    const tooShort = concat(image.subarray(0, at), new Uint8Array([0xff, 0xfe, 0x00, 0x01]), image.subarray(at))
    assert.equal(headerEnd(tooShort), undefined)
    const notAMarker = concat(image.subarray(0, at), new Uint8Array([0x00]), image.subarray(at))
    assert.equal(headerEnd(notAMarker), undefined)
  })
})

describe('readOrientation', () => {
  for (const order of ORDERS) {
    it(`reads 1, 6 and 8 (${order}) as exifr does`, async () => {
      for (const orientation of [1, 6, 8]) {
        const file = jpegWithExif(image, buildExifSegment(camera(order, { orientation })))
        assert.equal(readOrientation(headerOf(file)), orientation)
        assert.equal(await exifr.orientation(file), orientation)
      }
    })
  }

  it('is 1 without EXIF, without the tag, or with a value out of range', () => {
    assert.equal(readOrientation(headerOf(image)), 1)
    assert.equal(readOrientation(headerOf(jpegWithExif(image, buildExifSegment({ order: 'MM', make: 'X' })))), 1)
    assert.equal(readOrientation(headerOf(jpegWithExif(image, buildExifSegment(camera('II', { orientation: 9 }))))), 1)
    assert.equal(readOrientation(ascii('not a jpeg')), 1)
  })
})

describe('stripLocation', () => {
  for (const order of ORDERS) {
    it(`removes the GPS IFD and keeps the rest (${order})`, async () => {
      const built = buildExif(camera(order, { gps: WHERE, thumbnail }))
      const file = jpegWithExif(image, built.segment)
      const before = await parse(file)
      assert.ok(Math.abs(before.latitude - WHERE.lat) < 1e-5 && Math.abs(before.longitude - WHERE.lon) < 1e-5, 'exifr reads the GPS written')

      const { header, removed, file: out } = stripFile(file)
      assert.deepEqual(removed, STRIPPED_GPS)
      assert.equal(header.length, headerOf(file).length, 'edited in place')

      const after = await parse(out)
      assert.equal(after.latitude, undefined)
      assert.equal(after.longitude, undefined)
      assert.equal(after.GPSLatitude, undefined)
      assert.equal((await blocks(out)).gps, undefined, 'no GPS IFD')
      assert.equal(await gpsOf(out), undefined)
      for (const key of ['Make', 'Model', 'Orientation', 'ModifyDate', 'DateTimeOriginal', 'ExifImageWidth', 'ExifImageHeight', 'XResolution']) {
        assert.deepEqual(after[key], before[key], key)
      }
      const raw = async (bytes: Uint8Array) => (await exifr.parse(bytes, { tiff: true, sanitize: false, translateKeys: false, mergeOutput: false })).ifd0
      assert.equal(typeof (await raw(file))[0x8825], 'number', 'exifr saw the GPS pointer before')
      assert.equal((await raw(out))[0x8825], undefined, 'no GPS pointer in IFD0')
      assert.equal((await raw(out))[0x8769], (await raw(file))[0x8769], 'the Exif pointer stays')
      const table = ifd0Table(out, afterApp0(image) + built.ifd0, order)
      const original = ifd0Table(file, afterApp0(image) + built.ifd0, order)
      assert.equal(table.count, original.count - 1)
      assert.equal(table.next, original.next, 'next-IFD offset written after the last entry')
      assert.ok(table.freed.every((byte) => byte === 0), 'the freed 12 bytes are zero')
      assert.deepEqual(new Uint8Array((await exifr.thumbnail(out)) ?? []), thumbnail, 'thumbnail in IFD1 still found through the moved next-IFD field')

      const at = afterApp0(image)
      const gps = built.gpsBlock ?? { start: 0, end: 0 }
      assert.ok(out.subarray(at + gps.start, at + gps.end).every((byte) => byte === 0), 'every byte of the GPS IFD and its values is zero')
      assert.equal(indexOf(out, ascii('WGS-84')), -1)
      assert.deepEqual(out.subarray(0, at), file.subarray(0, at), 'before the Exif segment: untouched')
      assert.deepEqual(out.subarray(at + built.segment.length), file.subarray(at + built.segment.length), 'after it, scan included: untouched')
      assert.deepEqual(pixels(out), pixels(file))
    })
  }

  it('leaves the scan byte-identical when given the whole file', () => {
    const file = jpegWithExif(image, buildExifSegment(camera('MM', { gps: WHERE })))
    const whole = stripLocation(file)
    const end = headerEnd(file) ?? 0
    assert.deepEqual(whole.removed, STRIPPED_GPS)
    assert.deepEqual(whole.header.subarray(end), file.subarray(end))
    assert.deepEqual(whole.header.subarray(0, end), stripLocation(file.subarray(0, end)).header)
  })

  it('returns the same bytes and [] when there is no location', () => {
    for (const file of [image, jpegWithExif(image, buildExifSegment(camera('II', { thumbnail }))), jpegWithSegments(image, xmpSegment(xmpPacket({ 'tiff:Make': 'Hoist' })))]) {
      const header = headerOf(file)
      const result = stripLocation(header)
      assert.equal(result.header, header)
      assert.deepEqual(result.removed, [])
    }
  })

  it('removes XMP that mentions GPS, keeps XMP that does not, and keeps other segments byte-identical', async () => {
    const exif = buildExifSegment(camera('II', { gps: WHERE }))
    const located = xmpSegment(xmpPacket({ 'exif:GPSLatitude': '52,31.2N', 'exif:GPSLongitude': '13,24.3W' }))
    const plain = xmpSegment(xmpPacket({ 'tiff:Model': 'Model One' }))
    const icc = segment(0xe2, concat(ascii('ICC_PROFILE\0'), new Uint8Array([1, 1, 9, 8, 7, 6])))
    const comment = segment(0xfe, ascii('a comment'))
    const withLocation = jpegWithSegments(image, exif, located, icc, comment)
    assert.equal((await parse(jpegWithSegments(image, located))).GPSLatitude, '52,31.2N', 'exifr reads the XMP written')

    const { file: out, removed } = stripFile(withLocation)
    assert.deepEqual(removed, [...STRIPPED_GPS, 'XMP packet with location'])
    assert.equal(indexOf(out, ascii('GPSLatitude')), -1)
    assert.equal((await parse(out)).GPSLatitude, undefined)
    assert.ok(indexOf(out, icc) > 0 && indexOf(out, comment) > 0)
    assert.deepEqual(
      markers(out).map((found) => found.marker),
      markers(withLocation).map((found) => found.marker).filter((_, i) => i !== 2),
    )
    assert.deepEqual(pixels(out), pixels(withLocation))

    const kept = stripFile(jpegWithSegments(image, plain, icc))
    assert.deepEqual(kept.removed, [])
    assert.ok(indexOf(kept.file, plain) > 0)
  })

  it('removes extended XMP chunks that mention GPS', () => {
    const file = jpegWithSegments(image, xmpSegment(xmpPacket({})), extendedXmpSegment(xmpPacket({ 'exif:GPSAltitude': '120/1' })))
    const { file: out, removed } = stripFile(file)
    assert.deepEqual(removed, ['extended XMP with location'])
    assert.equal(indexOf(out, ascii('GPSAltitude')), -1)
    assert.ok(indexOf(out, ascii('http://ns.adobe.com/xap/1.0/')) > 0, 'the main packet stays')
  })

  it("removes XMP with location from IFD0's XMP tag, keeping the rest of IFD0", async () => {
    const file = jpegWithExif(image, buildExifSegment(camera('MM', { ifd0Xmp: xmpPacket({ 'exif:GPSLatitude': '52,31.2N' }) })))
    const { file: out, removed } = stripFile(file)
    assert.deepEqual(removed, ['XMP packet with location'])
    assert.equal(indexOf(out, ascii('GPSLatitude')), -1)
    const after = await parse(out)
    assert.equal(after.Make, 'Hoist Optics')
    assert.equal(after.Orientation, 'Rotate 90 CW')
  })

  it('removes the whole Exif segment when the GPS structure is corrupt', async () => {
    const corruptions: [string, Uint8Array][] = [
      ['pointer out of range', buildExifSegment(camera('II', { gps: WHERE, gpsPointer: 0xfffff0 }))],
      ['pointer looping back to IFD0', buildExifSegment(camera('MM', { gps: WHERE, gpsPointer: 8 }))],
      ['pointer into the TIFF header', buildExifSegment(camera('II', { gps: WHERE, gpsPointer: 2 }))],
    ]
    const tooMany = buildExif(camera('MM', { gps: WHERE }))
    const count = tooMany.gpsBlock?.start ?? 0
    tooMany.segment.set([0x7f, 0xff], count)
    corruptions.push(['GPS entry count too big', tooMany.segment])
    const badValue = buildExif(camera('II', { gps: WHERE }))
    // The third GPS entry (GPSLatitude, sorted by tag) has its values' offset at entry + 8.
    const latitudeValues = (badValue.gpsBlock?.start ?? 0) + 2 + 12 * 2 + 8
    badValue.segment.set([0xf0, 0xff, 0xff, 0x00], latitudeValues)
    corruptions.push(['GPS value offset out of range', badValue.segment])

    for (const [what, exif] of corruptions) {
      const file = jpegWithExif(image, exif)
      const { file: out, removed } = stripFile(file)
      assert.deepEqual(removed, UNREADABLE, what)
      assert.equal(out.length, file.length - exif.length, what)
      assert.equal(exifSegment(headerOf(out)), undefined, what)
      assert.equal(await gpsOf(out), undefined, what)
      assert.deepEqual(pixels(out), pixels(image), what)
    }
  })

  it('never throws on truncated input', () => {
    const file = jpegWithSegments(image, buildExifSegment(camera('II', { gps: WHERE, thumbnail })), xmpSegment(xmpPacket({ 'exif:GPSLatitude': '1,2N' })))
    const end = headerEnd(file) ?? 0
    for (let length = 0; length <= end + 2; length++) {
      const cut = file.subarray(0, length)
      stripLocation(cut)
      readOrientation(cut)
      exifSegment(cut)
      headerEnd(cut)
    }
  })

  it('never throws on random bytes, with or without a JPEG start', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (random, asJpeg) => {
        const bytes = asJpeg ? concat(new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0x01, 0x00]), ascii('Exif\0\0'), random) : random
        stripLocation(bytes)
        const orientation = readOrientation(bytes)
        assert.ok(orientation >= 1 && orientation <= 8)
        exifSegment(bytes)
        headerEnd(bytes)
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws on a damaged Exif segment, and exifr then finds no GPS position', async () => {
    const built = buildExif(camera('II', { gps: WHERE, thumbnail }))
    const builtMm = buildExif(camera('MM', { gps: WHERE }))
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        async (little, damage) => {
          const exif = (little ? built : builtMm).segment.slice()
          // Past the marker and length, so the segment stays a segment: only its content is damaged.
          for (const [where, value] of damage) exif[4 + (where % (exif.length - 4))] = value
          const file = jpegWithExif(image, exif)
          const out = stripFile(file).file
          readOrientation(file)
          assert.equal(await gpsOf(out), undefined)
        },
      ),
      { numRuns: 400 },
    )
  })
})

describe('exifSegment', () => {
  it('returns the whole Exif APP1 segment, as a copy', () => {
    const exif = buildExifSegment(camera('MM', { gps: WHERE }))
    const header = headerOf(jpegWithSegments(image, xmpSegment(xmpPacket({})), exif))
    const found = exifSegment(header)
    assert.deepEqual(found, exif)
    found?.fill(0)
    assert.deepEqual(exifSegment(header), exif)
    assert.equal(exifSegment(headerOf(image)), undefined)
  })
})

describe('withExif', () => {
  const fresh = encodeImage(12, 8)
  const freshHeader = headerOf(fresh)
  const put = (exif: Uint8Array, size = { width: 12, height: 8 }, header = freshHeader) =>
    concat(withExif(header, exif, size), fresh.subarray(freshHeader.length))

  for (const order of ORDERS) {
    it(`copies EXIF with orientation 1, the new size and GPS kept (${order})`, async () => {
      const source = jpegWithExif(image, buildExifSegment(camera(order, { gps: WHERE, thumbnail })))
      const exif = exifSegment(headerOf(source))
      assert.ok(exif)
      const untouched = exif.slice()
      const out = put(exif)

      assert.deepEqual(exif, untouched, 'the exif argument is not modified')
      assert.deepEqual(
        markers(out).slice(0, 2).map((found) => found.marker),
        [0xe0, 0xe1],
        'after APP0',
      )
      const after = await parse(out)
      assert.equal(await exifr.orientation(out), 1)
      assert.equal(after.ExifImageWidth, 12)
      assert.equal(after.ExifImageHeight, 8)
      assert.equal(after.Make, 'Hoist Optics')
      assert.equal(after.DateTimeOriginal?.getTime(), (await parse(source)).DateTimeOriginal?.getTime())
      assert.ok(Math.abs(after.latitude - WHERE.lat) < 1e-5 && Math.abs(after.longitude - WHERE.lon) < 1e-5, 'GPS kept')
      assert.equal(readOrientation(headerOf(out)), 1)
      assert.deepEqual(pixels(out), pixels(fresh))
    })
  }

  it('writes a side too big for a SHORT as a LONG', async () => {
    const exif = buildExifSegment(camera('II', { pixelSize: { width: 40, height: 30, type: 'short' } }))
    const small = await parse(put(exif, { width: 300, height: 200 }))
    assert.deepEqual([small.ExifImageWidth, small.ExifImageHeight], [300, 200])
    const large = await parse(put(exif, { width: 70000, height: 200 }))
    assert.deepEqual([large.ExifImageWidth, large.ExifImageHeight], [70000, 200])
  })

  it('replaces an Exif segment already there', async () => {
    const first = withExif(freshHeader, buildExifSegment(camera('II', { make: 'First' })), { width: 12, height: 8 })
    const second = put(buildExifSegment(camera('MM', { make: 'Second' })), { width: 12, height: 8 }, first)
    const exifSegments = markers(second).filter((found) => found.marker === 0xe1)
    assert.equal(exifSegments.length, 1)
    assert.equal((await parse(second)).Make, 'Second')
  })

  it('sets orientation 1 even where there was none, and leaves out EXIF it cannot read', async () => {
    const none = put(buildExifSegment({ order: 'MM', make: 'No Orientation' }))
    assert.equal((await parse(none)).Make, 'No Orientation')
    assert.equal(readOrientation(headerOf(none)), 1)
    const garbage = segment(0xe1, concat(ascii('Exif\0\0'), ascii('XX\0\x2a\0\0\0\x08')))
    assert.equal(withExif(freshHeader, garbage, { width: 12, height: 8 }), freshHeader)
  })

  it('refuses what is not an Exif segment or not a JPEG', () => {
    assert.throws(() => withExif(freshHeader, xmpSegment('<x/>'), { width: 1, height: 1 }), RangeError)
    assert.throws(() => withExif(freshHeader, buildExifSegment(camera('II')).subarray(0, 30), { width: 1, height: 1 }), RangeError)
    assert.throws(() => withExif(ascii('nope'), buildExifSegment(camera('II')), { width: 1, height: 1 }), RangeError)
    assert.throws(() => withExif(freshHeader, buildExifSegment(camera('II')), { width: 0, height: 1 }), RangeError)
  })
})
