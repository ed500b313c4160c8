// The name and type a link upload is stored under: the user's filename, else the server's
// Content-Disposition, else the URL's last path segment, else `file`; the server's Content-Type when it
// is a valid MIME type, else the name's extension, else application/octet-stream.
import mimeTypes from 'mime-types'
import { validType } from '../policy.js'

const MAX_NAME = 255

function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** `filename*=UTF-8''…` (RFC 6266, preferred) or `filename="…"` from a Content-Disposition header. */
export function dispositionName(header: string | undefined): string | undefined {
  if (!header) return undefined
  const extended = /filename\*\s*=\s*(?:utf-8|UTF-8)''([^;]+)/.exec(header)
  if (extended) return decoded(extended[1].trim())
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)
  const plain = quoted ? quoted[1].replace(/\\(.)/g, '$1') : /filename\s*=\s*([^;\s]+)/i.exec(header)?.[1]
  return plain === undefined ? undefined : utf8(plain)
}

/** Node reads header bytes as Latin-1; many servers send a UTF-8 name there anyway. */
function utf8(latin1: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(latin1, 'latin1'))
  } catch {
    return latin1
  }
}

/** A name as a user would see it: the last path segment, no control characters, at most 255 characters. */
function tidy(name: string | undefined): string | undefined {
  const last = name?.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  if (!last || last === '.' || last === '..') return undefined
  return Array.from(last).slice(0, MAX_NAME).join('')
}

export function linkFilename(given: string | undefined, disposition: string | undefined, url: URL): string {
  return given ?? tidy(dispositionName(disposition)) ?? tidy(decoded(url.pathname.split('/').pop() ?? '')) ?? 'file'
}

export function linkType(contentType: string | undefined, filename: string): string {
  const declared = contentType?.split(';')[0].trim()
  if (declared && declared.toLowerCase() !== 'application/octet-stream') {
    try {
      return validType(declared)
    } catch {
      // a malformed Content-Type says nothing; fall back to the name
    }
  }
  return mimeTypes.lookup(filename) || 'application/octet-stream'
}
