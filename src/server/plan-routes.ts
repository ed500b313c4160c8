// The plan routes: POST /plan says how a file's bytes travel; POST /finish ends the upload with what
// storage answered, checks it against policy and answers the file's description. The Companion
// routes (routes.ts) stay as they are for stock Uppy clients.
import { eachSettled, itemsOf } from './batch.js'
import { badRequest, HttpError, json } from './errors.js'
import { safeName } from './keys.js'
import { assertSizeAllowed, assertTypeAllowed } from './policy.js'
import type { Provider, ProviderRecord } from './providers/types.js'
import { assertOwnKey, type Call, describe, enforce, type FinishToken, newObject, partNumbersOf, readJson, readParts, signPut, startMultipart } from './routes.js'
import { signToken, verifyToken } from './tokens.js'
import type { FinishRequest, Plan, StoredInfo } from '../shared/plan.js'

/** A hosted upload's finish token: the provider's own ids, and what the file was declared to be. */
interface ProviderToken {
  provider: string
  /** The user's key prefix: a token is finished only by the user it was planned for. */
  prefix: string
  state: object
  size: number
  type: string
  name: string
}

function sizeOf(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) throw badRequest('invalid_size', 'size must be the file\'s exact length in bytes, a whole number of 0 or more.')
  return raw
}

/** The app's metadata, decoded: what a hosted API stores beside the file. */
export function userMetadata(stored: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(stored)) if (k !== 'original-name') out[k] = decodeURIComponent(v)
  return out
}

/** One call for one file, or `{ files: [...] }` for many: `{ [answers]: [...] }`, one per file in order. */
async function oneOrMany<User, R>(c: Call<User>, answers: string, task: (body: Record<string, unknown>) => Promise<R>): Promise<Response> {
  const body = await readJson(c.request)
  if (body.files === undefined) return json(await task(body))
  const items = itemsOf(body.files)
  // Each file counts against the rate limit as the call it replaces would (the call itself took one).
  if (items.length > 1) c.opts.limit?.(c.request, c.user, items.length - 1)
  return json({ [answers]: await eachSettled(items, task, c.opts.onError) })
}

// POST /plan { filename, type, size, partSize?, partNumbers?, metadata }, or { files: [...] } — policy
// first, so a refused file costs no provider call; then how the bytes travel, with a signed token for
// the finish call.
export function plan<User>(c: Call<User>): Promise<Response> {
  return oneOrMany(c, 'plans', (body) => planOne(c, body))
}

async function planOne<User>(c: Call<User>, body: Record<string, unknown>): Promise<Plan> {
  const size = sizeOf(body.size)
  const partSize = body.partSize === undefined || c.opts.provider ? undefined : body.partSize
  const metadata = body.metadata === undefined ? {} : body.metadata
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) throw badRequest('invalid_metadata', 'metadata must be an object.')
  const declared = { ...(metadata as Record<string, unknown>), declaredSize: size, ...(partSize === undefined ? {} : { partSize }) }
  const { object, declared: checked } = newObject(c, body.filename, body.type, declared, partSize !== undefined)
  const filename = body.filename as string
  const provider = c.opts.provider
  let answer: Plan
  if (provider) {
    const file = { filename, safeName: safeName(filename), type: object.type, size, metadata: userMetadata(object.metadata), expiresIn: c.opts.expiresIn }
    const { plan: planned, state } = await provider.plan(file)
    const token = signToken(c.opts.secret, 'finish', { provider: provider.name, prefix: c.prefix, state, size, type: object.type, name: filename } satisfies ProviderToken, c.opts.uploadExpiresIn)
    answer = { ...planned, expires: planned.expires ?? c.opts.expiresIn, token } as Plan
  } else if (partSize === undefined) {
    answer = { kind: 'put', expires: c.opts.expiresIn, ...(await signPut(c, object, size)) }
  } else {
    const first = body.partNumbers === undefined ? [] : partNumbersOf(body.partNumbers)
    const created = await startMultipart(c, object, { size, partSize: checked.partSize }, first)
    const urls = ('presignedUrls' in created ? created.presignedUrls : {}) as Record<string, string>
    answer = { kind: 'parts', token: created.uploadId, uploadId: created.uploadId, key: created.key, partSize: checked.partSize!, urls, headers: {}, etags: true, expires: c.opts.expiresIn }
  }
  return answer
}

// POST /finish { token, parts?, response? }, or { files: [...] } — the end of an upload planned by
// POST /plan (or a single PUT signed by GET /s3/params?method=PUT): the stored file is checked against
// policy, and one that breaks it is deleted where storage can.
export function finish<User>(c: Call<User>): Promise<Response> {
  return oneOrMany(c, 'files', (body) => finishOne(c, body as Partial<FinishRequest>))
}

async function finishOne<User>(c: Call<User>, body: Partial<FinishRequest>): Promise<StoredInfo> {
  const t = verifyToken<FinishToken | ProviderToken>(c.opts.secret, 'finish', body.token, 'finish token')
  if ('provider' in t) return finishHosted(c, t, body)
  assertOwnKey(c, t.key)
  return describe(c, t.key, await enforce(c, t.key, t.size))
}

async function finishHosted<User>(c: Call<User>, t: ProviderToken, body: Partial<FinishRequest>): Promise<StoredInfo> {
  const provider = c.opts.provider
  if (!provider || provider.name !== t.provider) throw new HttpError(403, 'invalid_token', 'That finish token is for another storage than this server uploads to.')
  if (t.prefix !== c.prefix) throw new HttpError(403, 'key_not_allowed', 'That upload belongs to another user.')
  const parts = body.parts === undefined ? undefined : readParts({ parts: body.parts })
  const record = await provider.finish(t.state, { parts, response: body.response }, { size: t.size, type: t.type, name: t.name })
  await enforceHosted(c, provider, t, record)
  return hostedInfo(provider, record)
}

/** A hosted API's record as the element's file description. */
export function hostedInfo(provider: Provider, record: ProviderRecord): StoredInfo {
  const info: StoredInfo = {
    key: record.id,
    url: record.url,
    size: record.size,
    type: record.type,
    etag: record.etag ?? '',
    name: record.name,
    provider: { name: provider.name, id: record.id, raw: record.raw },
  }
  if (record.width !== undefined && record.height !== undefined) Object.assign(info, { width: record.width, height: record.height })
  return info
}

/**
 * The provider's record against the declared size (none for a link) and the policy; a file that
 * breaks it is deleted where the API can.
 */
export async function enforceHosted<User>(c: Call<User>, provider: Provider, t: { state: object; size?: number }, record: ProviderRecord): Promise<void> {
  try {
    if (t.size !== undefined && record.size !== t.size) throw badRequest('size_mismatch', `${provider.title} stored ${record.size} bytes but ${t.size} were declared.`)
    assertSizeAllowed(record.size, c.opts.maxFileSize)
    assertTypeAllowed(c.opts.allowedTypes, record.type, record.name)
  } catch (refusal) {
    await provider.delete?.(record, t.state).catch((err) => c.opts.onError(err))
    throw refusal
  }
}
