import mimeTypes from 'mime-types'
import { badRequest, HttpError } from './errors.js'
import { extensionOf } from '../shared/names.js'
import { formatSize } from '../shared/sizes.js'
import { MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, partCount, partRange } from '../shared/parts.js'

/** Metadata fields the element sends to declare sizes; never stored as object metadata. */
export const DECLARED_SIZE = 'declaredSize'
export const PART_SIZE = 'partSize'
const MAX_METADATA_BYTES = 2048

const GENERIC_TYPE = 'application/octet-stream'

function ruleMatchesType(rule: string, mime: string): boolean {
  if (rule.startsWith('.')) return (mimeTypes.extensions[mime] ?? []).includes(rule.slice(1))
  if (rule.endsWith('/*')) return mime.startsWith(rule.slice(0, -1))
  return rule === mime
}

function ruleMatchesExtension(rule: string, ext: string): boolean {
  if (rule.startsWith('.')) return rule === `.${ext}`
  const type = mimeTypes.lookup(ext)
  return type !== false && ruleMatchesType(rule, type)
}

/**
 * Why `type` and `filename` are refused by `allowed` (`image/*`, `application/pdf`, `.pdf`), or
 * undefined when they pass. Both must agree with an allowed rule: a known extension (`.html`) and a
 * specific type (`image/png`) are each checked, so `x.html` sent as `image/png` is refused rather
 * than stored with `.html` in its key. A generic type or an unknown extension says nothing, but at
 * least one of the two must match.
 */
export function typeRefusal(allowed: readonly string[] | undefined, type: string, filename: string): string | undefined {
  if (!allowed || allowed.length === 0) return undefined
  const rules = allowed.map((r) => r.trim().toLowerCase())
  const mime = type.toLowerCase()
  const ext = extensionOf(filename)
  const typeKnown = mime !== '' && mime !== GENERIC_TYPE
  const extKnown = ext !== '' && mimeTypes.lookup(ext) !== false
  const typeOk = rules.some((r) => ruleMatchesType(r, mime))
  const extOk = ext !== '' && rules.some((r) => ruleMatchesExtension(r, ext))
  if (typeKnown && !typeOk) return `Files of type "${mime}" are not allowed here`
  if (extKnown && !extOk) return `Files ending in ".${ext}" are not allowed here`
  if (!typeOk && !extOk) return `Files of type "${mime || 'unknown'}" are not allowed here`
  return undefined
}

export function assertTypeAllowed(allowed: readonly string[] | undefined, type: string, filename: string): void {
  const refusal = typeRefusal(allowed, type, filename)
  if (refusal) throw new HttpError(415, 'type_not_allowed', `${refusal}; allowed: ${allowed!.join(', ')}.`)
}

export function assertSizeAllowed(size: number, maxFileSize: number): void {
  if (size > maxFileSize) {
    throw new HttpError(413, 'file_too_large', `The file is ${formatSize(size)}; the limit is ${formatSize(maxFileSize)}.`)
  }
}

/** A media type, with parameters as browsers' recorders give them (`video/webm;codecs=vp8,opus`). */
const MEDIA_TYPE = /^([\w.+-]+\/[\w.+-]+)(?:\s*;\s*[\w.+-]+=(?:"[^"\\\r\n]*"|[^;"\s]+))*\s*$/

/** The declared type without its parameters, lower-cased: policy and storage compare the type alone. */
export function validType(type: unknown): string {
  if (type === undefined || type === null || type === '') return 'application/octet-stream'
  const match = typeof type === 'string' && type.length <= 255 ? MEDIA_TYPE.exec(type) : null
  if (!match) throw badRequest('invalid_type', 'The type must be a MIME type such as "image/png".')
  return match[1].toLowerCase()
}

export interface Declared {
  /** Exact size of the file, when the client declared it. */
  size?: number
  /** Size of every part but the last, when the client declared it. */
  partSize?: number
}

function intField(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'number' ? value : Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest('invalid_metadata', `metadata.${name} must be a whole number of bytes.`)
  return n
}

/** Reads and checks the sizes a client declared in its metadata. */
export function readDeclared(metadata: Record<string, unknown>, multipart: boolean): Declared {
  const size = intField(metadata[DECLARED_SIZE], DECLARED_SIZE)
  const partSize = multipart ? intField(metadata[PART_SIZE], PART_SIZE) : undefined
  if (partSize !== undefined) {
    if (size === undefined) throw badRequest('invalid_metadata', `metadata.${PART_SIZE} needs metadata.${DECLARED_SIZE}.`)
    if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
      throw badRequest('invalid_part_size', `metadata.${PART_SIZE} must be between 5 MiB and 5 GiB.`)
    }
    if (Math.ceil(size / partSize) > MAX_PARTS) {
      throw badRequest('invalid_part_size', `A ${formatSize(size)} file in ${formatSize(partSize)} parts needs more than ${MAX_PARTS} parts.`)
    }
  }
  return { size, partSize }
}

/** The exact byte length of part `partNumber` (1-based) given declared sizes. */
export function partLength(declared: Required<Declared>, partNumber: number): number {
  const count = partCount(declared.size, declared.partSize)
  if (partNumber > count) {
    throw badRequest('invalid_part_number', `This upload has ${count} parts; part ${partNumber} does not exist.`)
  }
  const [start, end] = partRange(declared.size, declared.partSize, partNumber)
  return end - start
}

export function assertPartNumber(value: string | number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS) {
    throw badRequest('invalid_part_number', `Part numbers run from 1 to ${MAX_PARTS}; got "${value}".`)
  }
  return n
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** False for text with a lone surrogate, which no header, key or URI can carry. */
export const wellFormed = (text: string) => !LONE_SURROGATE.test(text)

/** Hoist's own metadata fields: a client's metadata may not set them. */
const RESERVED = new Set(['original-name'])
const MAX_METADATA_DEPTH = 8

/** A metadata value as text: strings, numbers and booleans as they are, small objects and lists as JSON. */
function metadataText(name: string, value: unknown): string {
  const nested = (v: unknown, depth: number): boolean =>
    v !== null && typeof v === 'object' && (depth >= MAX_METADATA_DEPTH || Object.values(v).some((x) => nested(x, depth + 1)))
  if (nested(value, 1)) throw badRequest('invalid_metadata', `metadata field "${name}" is nested more than ${MAX_METADATA_DEPTH} levels deep.`)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (typeof text !== 'string' || !wellFormed(text)) throw badRequest('invalid_metadata', `metadata field "${name}" is not valid text.`)
  return text
}

/**
 * The metadata to store with the object: the original name (URI-encoded, as S3 metadata is ASCII)
 * and the client's fields, minus the declared sizes. Rejects reserved and malformed fields and more
 * than S3's 2 KB.
 */
export function storedMetadata(filename: string, metadata: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = { 'original-name': encodeURIComponent(filename) }
  for (const [name, value] of Object.entries(metadata)) {
    if (name === DECLARED_SIZE || name === PART_SIZE || name === 'name' || name === 'type') continue
    if (value === null || value === undefined) continue
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw badRequest('invalid_metadata', `metadata field "${name.slice(0, 64)}" must be 1-64 letters, digits, "-" or "_".`)
    }
    if (RESERVED.has(name.toLowerCase())) throw badRequest('invalid_metadata', `metadata field "${name}" is reserved for the upload server.`)
    out[name.toLowerCase()] = encodeURIComponent(metadataText(name, value))
  }
  const bytes = Object.entries(out).reduce((n, [k, v]) => n + k.length + v.length, 0)
  if (bytes > MAX_METADATA_BYTES) {
    throw badRequest('metadata_too_large', `Metadata is ${bytes} bytes once encoded; the limit is ${MAX_METADATA_BYTES}.`)
  }
  return out
}
