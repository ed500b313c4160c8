// The handler's own small JSON records (link-upload statuses, group manifests), kept in storage
// under RECORDS_PREFIX so every instance sharing the storage reads the same.
import { RECORDS_PREFIX } from './keys.js'
import type { Storage } from './storage/types.js'
import { bytesBody } from './storage/write.js'

/** A record is a few hundred bytes; a manifest of 1,000 keys stays well under this. */
const MAX_RECORD_BYTES = 1024 * 1024

export const recordKey = (kind: 'url' | 'groups', id: string) => `${RECORDS_PREFIX}${kind}/${id}.json`

export async function writeRecord(storage: Storage, key: string, value: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(value))
  await storage.write({ key, type: 'application/json', metadata: {} }, bytesBody(bytes), { maxSize: MAX_RECORD_BYTES })
}

/** The record under `key`, parsed, or undefined when there is none (JSON never parses to undefined). */
export async function readRecord(storage: Storage, key: string): Promise<unknown> {
  const bytes = await storage.read(key)
  return bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined
}
