// What the adapters share for link uploads, deletes and groups.
import { badRequest, HttpError } from '../errors.js'
import type { LinkStatus, ProviderRecord } from './types.js'

/** The few fields of a record the handler needs: a state signed into a token stays small and secret-free. */
interface Settled {
  record: { id: string; url: string; size: number; type: string; name: string; width?: number; height?: number }
}

/**
 * The state of a fetch the provider finished within its answer (Cloudinary, VIESUS): `urlStatus`
 * answers `success` from it at once, with no second call.
 */
export function settled(record: ProviderRecord): { state: Settled } {
  const { id, url, size, type, name, width, height } = record
  return { state: { record: { id, url, size, type, name, ...(width !== undefined && height !== undefined ? { width, height } : {}) } } }
}

/** `urlStatus` for a settled state; a state of another shape was not made by this adapter. */
export function settledStatus(state: object, title: string): LinkStatus {
  const r = (state as Partial<Settled>).record
  if (!r || typeof r.id !== 'string' || typeof r.url !== 'string' || typeof r.size !== 'number' || typeof r.type !== 'string' || typeof r.name !== 'string') {
    throw new HttpError(400, 'invalid_token', `That link upload token was not made for ${title}.`)
  }
  return { status: 'success', record: { ...r, raw: { ...r } } }
}

/** A name for a fetched file when neither the app nor the provider gives one: the link's last path segment. */
export function nameFromUrl(url: string): string {
  let last = ''
  try {
    last = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '')
  } catch {
    // a malformed escape or URL: no name from it
  }
  return last.replace(/[\u0000-\u001f\\/]/g, '').slice(0, 255) || 'file'
}

/** Ids for a delete or a group: non-empty strings, at most `max`, checked before the provider is asked. */
export function checkIds(ids: unknown, max: number): string[] {
  if (!Array.isArray(ids) || ids.length === 0) throw badRequest('invalid_files', 'Give at least one file id.')
  if (ids.length > max) throw badRequest('invalid_files', `Give at most ${max} file ids at once.`)
  for (const id of ids) if (typeof id !== 'string' || id === '' || id.length > 1024) throw badRequest('invalid_files', 'Each file id must be a non-empty string.')
  return ids as string[]
}
