import { randomUUID } from 'node:crypto'
import { badRequest } from './errors.js'

const MAX_NAME_BYTES = 120
const MAX_KEY_BYTES = 1024

/**
 * A file name safe for an object key and a disk path: no directories, no control, format or reserved
 * characters, no leading dots, no Windows device names, at most 120 bytes, extension kept. Unicode
 * letters survive.
 */
export function safeName(original: string): string {
  const base = original.split(/[\\/]/).pop() ?? ''
  let name = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/[<>:"|?*#%&{}$!'`=+@^~\[\];,]/g, '')
    .replace(/[\s\u00a0\u2000-\u200f\u2028-\u202f\u2060\ufeff]+/g, '-')
    // Invisible format characters (bidi isolates and marks, soft hyphens) make a name read as another.
    .replace(/\p{Cf}/gu, '')
    .replace(/-{2,}/g, '-')
    .replace(/^[.\-]+/, '')
    .replace(/[.\-]+$/, '')
  if (!name) name = 'file'
  // Windows refuses these device names whatever the extension (`CON`, `nul.txt`, `COM1.png`).
  if (/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i.test(name)) name = `_${name}`
  return truncateName(name)
}

function truncateName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name
  const dot = name.lastIndexOf('.')
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : ''
  let stem = name.slice(0, name.length - ext.length)
  while (Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = Array.from(stem).slice(0, -1).join('')
  return stem + ext
}

export interface KeyContext<User = unknown> {
  /** The name the client sent, untouched. */
  filename: string
  /** `filename` made safe by {@link safeName}. */
  safeName: string
  type: string
  user: User
  /** The key prefix this user may write under (ends with `/`). */
  prefix: string
}

/** The default key strategy: `{prefix}{yyyy}/{mm}/{uuid}/{safe-name}`. */
export function defaultKey(ctx: KeyContext): string {
  const now = new Date()
  const yyyy = now.getUTCFullYear()
  const mm = String(now.getUTCMonth() + 1).padStart(2, '0')
  return `${ctx.prefix}${yyyy}/${mm}/${randomUUID()}/${ctx.safeName}`
}

/**
 * Throws unless `key` is a plain relative object key: no `.`/`..` segments, no empty segments,
 * no backslashes or control characters, at most 1,024 bytes. This makes a key safe to join to a
 * directory on disk as well.
 */
export function assertValidKey(key: unknown, field = 'key'): asserts key is string {
  if (typeof key !== 'string' || key === '') throw badRequest('invalid_key', `The ${field} is missing.`)
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw badRequest('invalid_key', `The ${field} is longer than 1024 bytes.`)
  if (/[\u0000-\u001f\u007f\\]/.test(key)) throw badRequest('invalid_key', `The ${field} contains a control character or backslash.`)
  const segments = key.split('/')
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw badRequest('invalid_key', `The ${field} has an empty, "." or ".." path segment.`)
  }
  if (segments.some((s) => Buffer.byteLength(s) > 255)) {
    throw badRequest('invalid_key', `A path segment of the ${field} is longer than 255 bytes.`)
  }
}

/**
 * Where the handler keeps its own small records (link-upload status, group manifests) in storage, so
 * any instance can answer for them. No user may upload, read or delete under it.
 */
export const RECORDS_PREFIX = '.hoist/'

/** The original file name kept in metadata (URI-encoded); the key's last segment when it is missing or malformed. */
export function originalName(metadata: Record<string, string>, key: string): string {
  try {
    if (metadata['original-name'] !== undefined) return decodeURIComponent(metadata['original-name'])
  } catch {
    // written by something else; fall back to the key
  }
  return key.split('/').pop()!
}
