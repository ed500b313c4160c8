// Many files in one call: POST /plan and POST /finish take `{ files: [...] }` and answer one result
// per file, in order. A file that fails gets its own `{ error }` and the others go on.
import { badRequest, HttpError } from './errors.js'

/** Files one batch may carry. */
export const MAX_FILES = 100
/** Files (or keys) of one call handled at once: each asks storage something, and those waits overlap. */
const AT_ONCE = 16

/** What a batch answers for a file that failed: the same body an error response has, and its status. */
export interface ItemError {
  error: { code: string; message: string; status: number }
}

/** The batch's items: objects, at least one and at most MAX_FILES. */
export function itemsOf(raw: unknown): Record<string, unknown>[] {
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest('invalid_files', 'files must be a non-empty array.')
  if (raw.length > MAX_FILES) throw badRequest('invalid_files', `At most ${MAX_FILES} files can go in one call.`)
  raw.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw badRequest('invalid_files', `files[${i}] must be an object.`)
  })
  return raw as Record<string, unknown>[]
}

/** Runs `task` for every item, AT_ONCE at a time (storage waits overlap), answering in order. */
export async function inTurn<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await task(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, items.length) }, worker))
  return results
}

/** Runs `task` for every item, a few at a time, and keeps each failure as that item's answer. */
export function eachSettled<T, R>(items: T[], task: (item: T) => Promise<R>, onUnexpected: (err: unknown) => void): Promise<(R | ItemError)[]> {
  return inTurn(items, async (item) => {
    try {
      return await task(item)
    } catch (err) {
      return itemError(err, onUnexpected)
    }
  })
}

function itemError(err: unknown, onUnexpected: (err: unknown) => void): ItemError {
  if (err instanceof HttpError) return { error: { code: err.code, message: err.message, status: err.status } }
  onUnexpected(err)
  return { error: { code: 'internal_error', message: 'The upload server failed to handle this file.', status: 500 } }
}
