// Groups: POST /groups { keys } keeps a manifest of the user's files under one id shaped like
// Uploadcare's (`uuid~N`), in storage under RECORDS_PREFIX so any instance answers GET /groups/:id.
import { randomUUID } from 'node:crypto'
import { HttpError, json, notFound } from './errors.js'
import { inTurn } from './batch.js'
import { assertOwnArea, chargeKeys, idsOf, keysOf } from './file-routes.js'
import { hostedInfo } from './plan-routes.js'
import type { Provider, ProviderGroup } from './providers/types.js'
import { readRecord, recordKey, writeRecord } from './records.js'
import { type Call, describeStored, readJson } from './routes.js'

interface Manifest {
  id: string
  /** The key prefix of the user who made it. */
  owner: string
  keys: string[]
  created: string
}

const ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})~([1-9]\d{0,3})$/
const unknownGroup = () => notFound('group_not_found', 'No group with that id exists, or it is not yours to read.')

/** The hosted API's own groups (Uploadcare /group/), or not_supported. */
function groupingProvider<User>(c: Call<User>): Required<Pick<Provider, 'group' | 'groupInfo'>> & Provider {
  const p = c.opts.provider!
  if (!p.group || !p.groupInfo) throw new HttpError(400, 'not_supported', `This server uploads to ${p.title}, whose upload API has no groups.`)
  return p as Required<Pick<Provider, 'group' | 'groupInfo'>> & Provider
}

/**
 * With a hosted API its own ids are grouped (they carry no user, as in the provider's own API: an id
 * is what a page can only know of a file it uploaded or was given), and the group id is the provider's.
 */
function hostedGroup<User>(c: Call<User>, group: ProviderGroup) {
  const provider = c.opts.provider!
  return { id: group.id, count: group.count, files: group.records.map((r) => ({ ...hostedInfo(provider, r), stored: true })), missing: [] }
}

async function answer<User>(c: Call<User>, m: Manifest) {
  // A file deleted since the group was made is listed under `missing`; the group keeps its id and count.
  const files = await inTurn(m.keys, (key) => describeStored(c, key).catch((err) => (err instanceof HttpError && err.status === 404 ? null : Promise.reject(err))))
  return { id: m.id, count: m.keys.length, created: m.created, files: files.filter((f) => f !== null), missing: m.keys.filter((_, i) => files[i] === null) }
}

// POST /groups { keys }
export async function createGroup<User>(c: Call<User>): Promise<Response> {
  // Refused before the body is read or counted, as deleting and keeping are.
  if (!c.opts.provider) assertOwnArea(c, 'Grouping files')
  const raw = (await readJson(c.request)).keys
  chargeKeys(c, raw)
  if (c.opts.provider) return json(hostedGroup(c, await groupingProvider(c).group(idsOf(raw))))
  const keys = keysOf(raw, c.prefix)
  // Every file is checked before the manifest is written: a group never names what is not there.
  const described = await inTurn(keys, (key) => describeStored(c, key))
  const uuid = randomUUID()
  const manifest: Manifest = { id: `${uuid}~${keys.length}`, owner: c.prefix, keys, created: new Date().toISOString() }
  await writeRecord(c.opts.storage, recordKey('groups', uuid), manifest)
  return json({ id: manifest.id, count: keys.length, created: manifest.created, files: described, missing: [] })
}

// GET /groups/:id — the owner's, or a user `canReadGroup` lets in; anyone else learns nothing, not even that it exists.
export async function readGroup<User>(c: Call<User>, id: string): Promise<Response> {
  const m = ID.exec(id)
  if (c.opts.provider) {
    const group = m ? await groupingProvider(c).groupInfo(id) : null
    if (!group) throw unknownGroup()
    return json(hostedGroup(c, group))
  }
  if (!m) throw notFound('group_not_found', 'A group id looks like 5f9b1c7e-…~3 (a uuid, "~" and the count).')
  const manifest = (await readRecord(c.opts.storage, recordKey('groups', m[1]))) as Manifest | null | undefined
  if (!manifest || manifest.id !== id || !Array.isArray(manifest.keys)) throw unknownGroup()
  const mayRead = manifest.owner === c.prefix || (await c.opts.canReadGroup(c.user, { id, owner: manifest.owner }))
  if (!mayRead) throw unknownGroup()
  // Files are described as their owner would see them; a reader let in by canReadGroup reads them too.
  return json(await answer({ ...c, prefix: manifest.owner }, manifest))
}
