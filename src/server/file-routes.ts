// Keeping and deleting stored files: DELETE /object, POST /store (when `storeRoute` is on), and the
// handler's own `store(keys, user)` and `delete(keys, user)` for the app's server. Every key is
// checked (valid, the user's own, stored) before anything changes, so a bad list changes nothing.
import { badRequest, HttpError, json, notFound } from './errors.js'
import { inTurn } from './batch.js'
import type { ResolvedOptions } from './options.js'
import { assertOwnKey, type Call, readJson } from './routes.js'

/** Keys one call may name. */
export const MAX_KEYS = 1000

/** A list of distinct keys, each valid and inside `prefix`. */
export function keysOf(raw: unknown, prefix: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw badRequest('invalid_keys', 'keys must be a non-empty array of object keys.')
  if (raw.length > MAX_KEYS) throw badRequest('invalid_keys', `At most ${MAX_KEYS} keys can go in one call.`)
  for (const key of raw) assertOwnKey({ prefix }, key)
  if (new Set(raw).size !== raw.length) throw badRequest('invalid_keys', 'keys lists a key twice.')
  return raw as string[]
}

/** Refuses the call unless every key holds a stored file; answers what each one is. */
async function assertStored<User>(opts: ResolvedOptions<User>, keys: string[]) {
  const objects = await inTurn(keys, (key) => opts.storage.head(key))
  const missing = keys.filter((_, i) => !objects[i])
  if (missing.length) throw notFound('not_found', `No file is stored under ${missing.length === 1 ? `"${missing[0]}"` : `${missing.length} of those keys, e.g. "${missing[0]}"`}.`)
  return objects.map((o) => o!)
}

function refuseHosted<User>(opts: ResolvedOptions<User>, what: string): void {
  if (opts.provider) throw new HttpError(400, 'not_supported', `This server uploads to ${opts.provider.title}; ${what} works with s3 and disk storage only.`)
}

/** Keeps temporary uploads (`store: 'manual'`): they are no longer removed after `temporaryTtl`. */
export async function storeKeys<User>(opts: ResolvedOptions<User>, prefix: string, raw: unknown): Promise<{ stored: string[] }> {
  refuseHosted(opts, 'keeping temporary files')
  const keys = keysOf(raw, prefix)
  const objects = await assertStored(opts, keys)
  await inTurn(keys.filter((_, i) => objects[i].temporary), (key) => opts.storage.setTemporary(key, false))
  return { stored: keys }
}

/** Deletes stored files of the user's. */
export async function deleteKeys<User>(opts: ResolvedOptions<User>, prefix: string, raw: unknown): Promise<{ deleted: string[] }> {
  refuseHosted(opts, 'deleting files from the page')
  const keys = keysOf(raw, prefix)
  await assertStored(opts, keys)
  await inTurn(keys, (key) => opts.storage.delete(key))
  return { deleted: keys }
}

/**
 * The app's server deleting a hosted API's files by their ids (VIESUS `deleteUploads`). Those ids
 * carry no user's prefix, so the route cannot offer this to a page: the app decides whose files they are.
 */
export async function deleteHosted<User>(opts: ResolvedOptions<User>, raw: unknown): Promise<{ deleted: string[] }> {
  const provider = opts.provider!
  if (!provider.deleteIds) throw new HttpError(400, 'not_supported', `${provider.title}'s upload API has no call to delete files.`)
  const ids = idsOf(raw)
  await provider.deleteIds(ids)
  return { deleted: ids }
}

/** A hosted API's file ids: 1 to MAX_KEYS distinct non-empty strings. */
export function idsOf(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_KEYS || raw.some((id) => typeof id !== 'string' || id === '' || id.length > 1024)) {
    throw badRequest('invalid_keys', `keys must list 1 to ${MAX_KEYS} file ids.`)
  }
  if (new Set(raw).size !== raw.length) throw badRequest('invalid_keys', 'keys lists an id twice.')
  return raw as string[]
}

/**
 * Deleting, keeping and grouping from the page change what other users see: refused to a user
 * without an id under the default `keyPrefix`, since all such users share one area (reading it is
 * shared already; destroying it must not be). An app that shares on purpose sets `keyPrefix`.
 */
export function assertOwnArea<User>(c: Call<User>, what: string): void {
  if (c.opts.sharesAnonymousArea(c.user)) {
    throw new HttpError(403, 'user_not_identified', `${what} needs a user with an id: authorize returned one without, and such users share one area. Return { id }, or set keyPrefix to share it on purpose.`)
  }
}

// DELETE /object?key=
export async function deleteObject<User>(c: Call<User>): Promise<Response> {
  assertOwnArea(c, 'Deleting a file')
  const { deleted } = await deleteKeys(c.opts, c.prefix, [c.url.searchParams.get('key')])
  return json({ deleted: deleted[0] })
}

// POST /store { keys } — only with `storeRoute: true`.
export async function store<User>(c: Call<User>): Promise<Response> {
  if (!c.opts.storeRoute) throw notFound('not_found', 'No route POST /store: keeping files is for the app\'s server (handler.store), unless storeRoute is set.')
  assertOwnArea(c, 'Keeping files')
  const keys = (await readJson(c.request)).keys
  chargeKeys(c, keys)
  return json(await storeKeys(c.opts, c.prefix, keys))
}

/** Each key beyond the first counts against the rate limit as the call it replaces would (the call took one). */
export function chargeKeys<User>(c: Call<User>, keys: unknown): void {
  if (Array.isArray(keys) && keys.length > 1) c.opts.limit?.(c.request, c.user, Math.min(keys.length, MAX_KEYS) - 1)
}
