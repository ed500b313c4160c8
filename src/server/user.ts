import { createHash } from 'node:crypto'

/** The id of what `authorize` returned: a string or number itself, or an object's `id` field. */
export function userId(user: unknown): string | undefined {
  if (typeof user === 'string' || typeof user === 'number') return String(user)
  const id = (user as { id?: unknown } | null | undefined)?.id
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined
}

/**
 * A key segment for a user id: the id when it is a plain name, else `h-` and a hash of it (no `/`, `..`
 * or odd characters). A plain name that starts with `h-` is hashed too, or the user who picked the name
 * `h-<hash of "a/b">` would share the area of user `a/b`.
 */
export function userSegment(id: string): string {
  if (/^[A-Za-z0-9_@-][A-Za-z0-9._@-]{0,127}$/.test(id) && !id.startsWith('h-')) return id
  return `h-${createHash('sha256').update(id).digest('hex').slice(0, 32)}`
}

/** The default area a user writes and reads: `uploads/{id}/`, or `uploads/` for a user without an id. */
export function defaultPrefix(user: unknown): string {
  const id = userId(user)
  return id === undefined ? 'uploads/' : `uploads/${userSegment(id)}/`
}
