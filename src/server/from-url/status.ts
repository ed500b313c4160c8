// A link upload's status lives in storage, a small JSON record under RECORDS_PREFIX, so any instance
// sharing the storage and the secret answers for it. The instance doing the fetch rewrites it as a
// heartbeat; a reader that finds it silent for too long knows that instance died.
import { forbidden } from '../errors.js'
import { readRecord, recordKey, writeRecord } from '../records.js'
import type { Call, describe } from '../routes.js'
import type { Storage } from '../storage/types.js'
import { signToken, verifyToken } from '../tokens.js'

/** How often a fetch rewrites its record while it runs. */
export const HEARTBEAT_MS = 2000
/** A record not rewritten for this long belongs to a fetch whose instance is gone. */
export const STALE_MS = 30_000

export type FileInfo = Awaited<ReturnType<typeof describe>>

export interface LinkRecord {
  status: 'waiting' | 'progress' | 'success' | 'error'
  /** Bytes read so far. */
  done: number
  /** Bytes the link said it has (Content-Length), null while unknown. */
  total: number | null
  file?: FileInfo
  error?: { code: string; message: string }
  /** Milliseconds since the epoch of the last rewrite. */
  updatedAt: number
}

/** What the client's token carries: the record's id and the key prefix of the user who asked. */
interface LinkToken {
  id: string
  prefix: string
}

export const saveRecord = (storage: Storage, id: string, record: LinkRecord): Promise<void> => writeRecord(storage, recordKey('url', id), record)

export async function loadRecord(storage: Storage, id: string): Promise<LinkRecord | null> {
  const record = (await readRecord(storage, recordKey('url', id))) as LinkRecord | null | undefined
  if (record === undefined) return null
  if (!record || typeof record !== 'object' || typeof record.status !== 'string') throw new Error(`The link-upload record ${recordKey('url', id)} is malformed.`)
  return record
}

export function signLinkToken<User>(c: Call<User>, id: string): string {
  return signToken(c.opts.secret, 'url', { id, prefix: c.prefix } satisfies LinkToken, c.opts.uploadExpiresIn)
}

export function readLinkToken<User>(c: Call<User>, token: string): LinkToken {
  const t = verifyToken<LinkToken>(c.opts.secret, 'url', token, 'link-upload token')
  if (typeof t.id !== 'string' || !/^[0-9a-f-]{36}$/.test(t.id)) throw forbidden('invalid_token', 'The link-upload token is malformed.')
  if (t.prefix !== c.prefix) throw forbidden('not_owner', 'That link upload belongs to another user.')
  return t
}

/** The record as the client sees it: a silent fetch is an error, a stored file gets a fresh read URL. */
export async function answerOf<User>(c: Call<User>, record: LinkRecord, now = Date.now()) {
  const { status, done, total, file, error } = record
  if ((status === 'waiting' || status === 'progress') && now - record.updatedAt > STALE_MS) {
    const message = 'The server fetching this link stopped before it finished; add the link again.'
    return { status: 'error' as const, done, total, error: { code: 'url_interrupted', message } }
  }
  if (status === 'success' && file) {
    // The URL signed when the fetch ended may have expired by now, and this request may come through another base URL.
    const url = c.opts.publicUrl ? c.opts.publicUrl(file.key) : await c.opts.storage.readUrl(file.key, c.opts.readExpiresIn, c.ctx)
    return { status, done, total, file: { ...file, url } }
  }
  return { status, done, total, ...(error ? { error } : {}) }
}
