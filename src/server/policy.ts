import { badRequest, HttpError } from './errors.js'
import { extensionOf } from '../shared/names.js'
import { formatSize } from '../shared/sizes.js'
import { MAX_PARTS, MIN_PART_SIZE, partCount, partRange } from '../shared/parts.js'

export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024
/** Metadata fields the element sends to declare sizes; never stored as object metadata. */
export const DECLARED_SIZE = 'declaredSize'
export const PART_SIZE = 'partSize'
const MAX_METADATA_BYTES = 2048

/** True when `type` or the file's extension matches one of `allowed` (`image/*`, `application/pdf`, `.pdf`). */
export function typeAllowed(allowed: readonly string[] | undefined, type: string, filename: string): boolean {
  if (!allowed || allowed.length === 0) return true
  const mime = type.toLowerCase()
  const ext = extensionOf(filename)
  return allowed.some((rule) => {
    const r = rule.trim().toLowerCase()
    if (r.startsWith('.')) return ext !== '' && r === `.${ext}`
    if (r.endsWith('/*')) return mime.startsWith(r.slice(0, -1))
    return r === mime
  })
}

export function assertTypeAllowed(allowed: readonly string[] | undefined, type: string, filename: string): void {
  if (!typeAllowed(allowed, type, filename)) {
    throw new HttpError(415, 'type_not_allowed', `Files of type "${type || 'unknown'}" are not allowed here; allowed: ${allowed!.join(', ')}.`)
  }
}

export function assertSizeAllowed(size: number, maxFileSize: number): void {
  if (size > maxFileSize) {
    throw new HttpError(413, 'file_too_large', `The file is ${formatSize(size)}; the limit is ${formatSize(maxFileSize)}.`)
  }
}

export function validType(type: unknown): string {
  if (type === undefined || type === null || type === '') return 'application/octet-stream'
  if (typeof type !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(type) || type.length > 255) {
    throw badRequest('invalid_type', 'The type must be a MIME type such as "image/png".')
  }
  return type.toLowerCase()
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

/**
 * The metadata to store with the object: the original name (URI-encoded, as S3 metadata is ASCII)
 * and the client's string fields, minus the declared sizes. Rejects names that are not header-safe
 * and more than S3's 2 KB.
 */
export function storedMetadata(filename: string, metadata: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = { 'original-name': encodeURIComponent(filename) }
  for (const [name, value] of Object.entries(metadata)) {
    if (name === DECLARED_SIZE || name === PART_SIZE || name === 'name' || name === 'type') continue
    if (value === null || value === undefined) continue
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw badRequest('invalid_metadata', `metadata field "${name.slice(0, 64)}" must be 1-64 letters, digits, "-" or "_".`)
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    out[name.toLowerCase()] = encodeURIComponent(text)
  }
  const bytes = Object.entries(out).reduce((n, [k, v]) => n + k.length + v.length, 0)
  if (bytes > MAX_METADATA_BYTES) {
    throw badRequest('metadata_too_large', `Metadata is ${bytes} bytes once encoded; the limit is ${MAX_METADATA_BYTES}.`)
  }
  return out
}
