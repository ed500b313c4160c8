// Files whose first bytes say what they are (or pretend to), built in the test: the content check's fixtures.
import { crc32 } from 'node:zlib'
import { png } from './png.js'

export { png }

const latin = (text: string) => Buffer.from(text, 'latin1')
const utf8 = (text: string) => Buffer.from(text, 'utf8')

/** One JPEG marker segment (at most 65,533 bytes of data). */
function segment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0])
  head.writeUInt16BE(data.length + 2, 2)
  return Buffer.concat([head, data])
}

/**
 * A baseline JPEG header of `width`×`height` (SOI, APP0 JFIF, SOF0, EOI), with `exifBytes` of
 * APP1 segments before the SOF: a phone photo's EXIF block, which pushes the size past the first
 * KiB. `orientation` (1-8) goes in the EXIF block's first IFD, as a camera writes it.
 */
export function jpeg(width: number, height: number, exifBytes = 0, orientation?: number): Buffer {
  const app0 = segment(0xe0, Buffer.concat([latin('JFIF\0'), Buffer.from([1, 1, 0, 0, 1, 0, 1, 0, 0])]))
  const app1: Buffer[] = []
  if (orientation !== undefined) {
    // A big-endian TIFF header and one IFD entry: tag 0x0112 (Orientation), SHORT, count 1.
    const tiff = Buffer.from([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0])
    app1.push(segment(0xe1, Buffer.concat([latin('Exif\0\0'), tiff])))
  }
  for (let left = exifBytes; left > 0; left -= 60000) {
    const data = Buffer.alloc(Math.min(left, 60000), 0x41)
    latin('XMP\0').copy(data)
    app1.push(segment(0xe1, data))
  }
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...app1, segment(0xc0, sof), Buffer.from([0xff, 0xd9])])
}

export function gif(width: number, height: number): Buffer {
  const screen = Buffer.alloc(7)
  screen.writeUInt16LE(width, 0)
  screen.writeUInt16LE(height, 2)
  return Buffer.concat([latin('GIF89a'), screen, latin(';')])
}

export const pdf = () => latin('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')
export const elf = () => Buffer.concat([latin('\x7fELF\x02\x01\x01\0'), Buffer.alloc(120)])

/** A Windows executable's start: the MZ stub, whose header points at the PE signature. */
export function exe(): Buffer {
  const b = Buffer.alloc(256)
  latin('MZ').copy(b)
  b.writeUInt32LE(0x80, 0x3c)
  latin('PE\0\0').copy(b, 0x80)
  return b
}

export const machO = () => Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]), Buffer.alloc(100)])
export const javaClass = () => Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x41]), Buffer.alloc(100)])
export const wasm = () => Buffer.concat([latin('\0asm'), Buffer.from([1, 0, 0, 0])])
export const shebang = () => utf8('#!/bin/sh\nrm -rf "$HOME"\n')
export const html = () => utf8('<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n')

export const svg = (inner = '', attributes = '') =>
  utf8(`<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"${attributes}>${inner}<rect width="10" height="10"/></svg>\n`)

/** A ZIP with stored (uncompressed) entries: local headers only, as a sniffer reads them. */
export function zip(entries: [name: string, text: string][]): Buffer {
  const out: Buffer[] = []
  for (const [name, text] of entries) {
    const data = utf8(text)
    const file = utf8(name)
    const head = Buffer.alloc(30)
    head.writeUInt32LE(0x04034b50, 0)
    head.writeUInt16LE(20, 4)
    head.writeUInt32LE(crc32(data) >>> 0, 14)
    head.writeUInt32LE(data.length, 18)
    head.writeUInt32LE(data.length, 22)
    head.writeUInt16LE(file.length, 26)
    out.push(head, file, data)
  }
  return Buffer.concat(out)
}

/** An OLE compound file's header: what .doc, .xls and .msg files are. */
export const cfb = () => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)])
/** An ISO media file's `ftyp` box (mp4, mov and m4a all begin so). */
export const mp4 = () => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), latin('ftypisom'), Buffer.from([0, 0, 2, 0]), latin('isomiso2'), Buffer.alloc(64)])

export const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
