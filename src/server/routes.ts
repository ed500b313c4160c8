import { badRequest, forbidden, HttpError, json } from './errors.js'
import { assertValidKey, originalName, RECORDS_PREFIX, safeName } from './keys.js'
import type { ResolvedOptions } from './options.js'
import {
  assertPartNumber,
  assertSizeAllowed,
  assertTypeAllowed,
  partLength,
  readDeclared,
  storedMetadata,
  validType,
  wellFormed,
} from './policy.js'
import { checkStored, type ContentInfo } from './sniff-rules.js'
import type { NewObject, StorageContext, StoredObject } from './storage/types.js'
import { signToken, verifyToken } from './tokens.js'
import { MAX_PART_SIZE } from '../shared/parts.js'
import type { StoredInfo } from '../shared/plan.js'

/** Everything a route needs about one request. */
export interface Call<User> {
  request: Request
  url: URL
  user: User
  prefix: string
  ctx: StorageContext
  opts: ResolvedOptions<User>
}

/** What the client's `uploadId` carries: the storage's id, the key it belongs to and the declared sizes. */
export interface UploadToken { uploadId: string; key: string; size?: number; partSize?: number }
/** What a single upload's finish token carries: the key and the size it was signed for. */
export interface FinishToken { key: string; size: number }

const MAX_BATCH = 1000
const MAX_JSON_BYTES = 1024 * 1024
const tooLarge = () => new HttpError(413, 'body_too_large', `The request body is larger than ${MAX_JSON_BYTES} bytes.`)

/** Reads a JSON object body, streaming, and stops reading at 1 MiB. */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  if (Number(request.headers.get('content-length')) > MAX_JSON_BYTES) throw tooLarge()
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.length
      if (size > MAX_JSON_BYTES) {
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(value)
    }
  }
  try {
    const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)) || '{}')
    if (body && typeof body === 'object' && !Array.isArray(body)) return body
  } catch {
    // fall through
  }
  throw badRequest('invalid_json', 'The request body must be a JSON object in UTF-8.')
}

function metadataFromQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of url.searchParams) {
    const m = /^metadata\[(.+)\]$/.exec(name)
    if (m) out[m[1]] = value
  }
  return out
}

/** Checks a new upload against policy and picks its key. */
export function newObject<User>(c: Call<User>, filename: unknown, type: unknown, metadata: unknown, multipart: boolean) {
  if (typeof filename !== 'string' || filename.trim() === '') throw badRequest('invalid_filename', 'The filename is missing.')
  if (filename.length > 1024) throw badRequest('invalid_filename', 'The filename is longer than 1024 characters.')
  if (!wellFormed(filename)) throw badRequest('invalid_filename', 'The filename is not valid text (it has a lone surrogate).')
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw badRequest('invalid_metadata', 'metadata must be an object.')
  }
  const meta = (metadata ?? {}) as Record<string, unknown>
  const mime = validType(type)
  assertTypeAllowed(c.opts.allowedTypes, mime, filename)
  const declared = readDeclared(meta, multipart)
  if (declared.size !== undefined) assertSizeAllowed(declared.size, c.opts.maxFileSize)
  const key = c.opts.key({ filename, safeName: safeName(filename), type: mime, user: c.user, prefix: c.prefix })
  assertOwnKey(c, key)
  const object: NewObject = { key, type: mime, metadata: storedMetadata(filename, meta) }
  if (c.opts.store === 'manual') object.temporary = true
  return { object, declared }
}

export function assertOwnKey<User>(c: Pick<Call<User>, 'prefix'>, key: unknown): asserts key is string {
  assertValidKey(key)
  if (!key.startsWith(c.prefix) || key.startsWith(RECORDS_PREFIX)) throw forbidden('key_not_allowed', 'That key is outside the area this user may write to.')
}

function keyParam<User>(c: Call<User>): string {
  const key = c.url.searchParams.get('key')
  assertOwnKey(c, key)
  return key
}

function readUpload<User>(c: Call<User>, uploadId: string, key: string): UploadToken {
  const t = verifyToken<UploadToken>(c.opts.secret, 'upload', uploadId, 'upload id')
  if (t.key !== key) throw forbidden('invalid_upload_id', 'That upload id belongs to another key.')
  return t
}

/** Signed for its exact length when the sizes were declared; otherwise for at most what the file may still be. */
async function signPart<User>(c: Call<User>, t: UploadToken, partNumber: number): Promise<string> {
  const exact = t.size !== undefined && t.partSize !== undefined
  const contentLength = exact ? partLength({ size: t.size!, partSize: t.partSize! }, partNumber) : undefined
  const maxLength = Math.min(t.size ?? c.opts.maxFileSize, c.opts.maxFileSize, MAX_PART_SIZE)
  return c.opts.storage.presignPart({ key: t.key, uploadId: t.uploadId, partNumber, contentLength, maxLength }, c.opts.expiresIn, c.ctx)
}

async function readUrl<User>(c: Call<User>, key: string): Promise<string> {
  return c.opts.publicUrl ? c.opts.publicUrl(key) : c.opts.storage.readUrl(key, c.opts.readExpiresIn, c.ctx)
}

/** A stored object with what its content check found: the type its bytes show, and an image's size. */
export type CheckedObject = StoredObject & { content?: ContentInfo }

/** The stored object, or why it breaks policy (its size, its declared type, then its content); reads only. */
async function inspect<User>(c: Call<User>, key: string, declaredSize: number | undefined): Promise<{ object: CheckedObject; refusal?: HttpError }> {
  const object: CheckedObject | null = await c.opts.storage.head(key)
  if (!object) throw new HttpError(404, 'not_found', 'No file is stored under that key.')
  const name = originalName(object.metadata, key)
  try {
    assertSizeAllowed(object.size, c.opts.maxFileSize)
    if (declaredSize !== undefined && object.size !== declaredSize) {
      throw badRequest('size_mismatch', `The stored file is ${object.size} bytes but ${declaredSize} were declared.`)
    }
    assertTypeAllowed(c.opts.allowedTypes, object.type, name)
  } catch (err) {
    return { object, refusal: err as HttpError }
  }
  // Outside the try: a storage that fails to read is a server error, not a reason to delete the file.
  const checked = await checkStored((length) => c.opts.storage.read(key, { start: 0, length }), object.size, object.type, name, c.opts.allowedTypes)
  if ('refusal' in checked) return { object, refusal: checked.refusal }
  object.content = checked
  return { object }
}

/**
 * At the end of an upload (a POST): deletes a stored object that breaks policy, then refuses it.
 * The object it answers carries its content check for {@link describe}.
 */
export async function enforce<User>(c: Call<User>, key: string, declaredSize: number | undefined): Promise<CheckedObject> {
  const { object, refusal } = await inspect(c, key, declaredSize)
  if (refusal) {
    await c.opts.storage.delete(key)
    throw refusal
  }
  if (c.opts.store === 'manual' && !object.temporary) {
    // Stores that drop a multipart upload's tags on complete (Ceph RGW) get it now.
    await c.opts.storage.setTemporary(key, true)
    object.temporary = true
  }
  return object
}

/** A PUT of exactly `size` bytes, and the finish token that ends it. */
export async function signPut<User>(c: Call<User>, object: NewObject, size: number) {
  const { url, headers } = await c.opts.storage.presignPut(object, size, c.opts.expiresIn, c.ctx)
  const token = signToken(c.opts.secret, 'finish', { key: object.key, size } satisfies FinishToken, c.opts.uploadExpiresIn)
  return { url, headers, token }
}

/** Creates a multipart upload; its signed upload id carries the storage's id, the key and the declared sizes. */
export async function startMultipart<User>(c: Call<User>, object: NewObject, declared: { size?: number; partSize?: number }, first: number[]) {
  const { uploadId } = await c.opts.storage.createMultipart(object)
  const token: UploadToken = { uploadId, key: object.key, size: declared.size, partSize: declared.partSize }
  const created = { key: object.key, uploadId: signToken(c.opts.secret, 'upload', token, c.opts.uploadExpiresIn) }
  return first.length ? { ...created, ...(await signParts(c, token, first)) } : created
}

// GET /s3/params — one request for a whole file: a form upload (what stock Uppy sends), or with
// `method=PUT` and a declared size, a PUT signed for that exact length (what R2 needs; Hoist's transport).
export async function params<User>(c: Call<User>): Promise<Response> {
  const q = c.url.searchParams
  const { object, declared } = newObject(c, q.get('filename'), q.get('type'), metadataFromQuery(c.url), false)
  if (q.get('method')?.toUpperCase() === 'PUT') {
    if (declared.size === undefined) throw badRequest('invalid_metadata', 'A PUT upload needs metadata[declaredSize], the exact size of the file.')
    // Hoist's transport sends the token to POST /finish once the PUT is done; stock clients ignore it.
    return json({ method: 'PUT', fields: {}, key: object.key, expires: c.opts.expiresIn, ...(await signPut(c, object, declared.size)) })
  }
  const limits = declared.size !== undefined ? { minSize: declared.size, maxSize: declared.size } : { minSize: 0, maxSize: c.opts.maxFileSize }
  const { url, fields } = await c.opts.storage.presignPost(object, limits, c.opts.expiresIn, c.ctx)
  return json({ method: 'POST', url, fields, headers: {}, key: object.key })
}

// POST /s3/multipart
export async function createMultipart<User>(c: Call<User>): Promise<Response> {
  const body = await readJson(c.request)
  const { object, declared } = newObject(c, body.filename, body.type, body.metadata, true)
  // Hoist's transport may ask for its first parts' URLs here, saving a round trip; stock clients don't.
  const first = body.partNumbers === undefined ? [] : partNumbersOf(body.partNumbers)
  return json(await startMultipart(c, object, declared, first))
}

export function partNumbersOf(raw: unknown): number[] {
  const list = typeof raw === 'string' ? raw.split(',').filter(Boolean) : raw
  if (!Array.isArray(list) || list.length === 0) throw badRequest('invalid_part_number', 'partNumbers must list at least one part number.')
  if (list.length > MAX_BATCH) throw badRequest('invalid_part_number', `At most ${MAX_BATCH} parts can be signed at once.`)
  return [...new Set(list.map((n) => assertPartNumber(n as number)))]
}

async function signParts<User>(c: Call<User>, t: UploadToken, numbers: number[]) {
  const urls = await Promise.all(numbers.map((n) => signPart(c, t, n)))
  return { presignedUrls: Object.fromEntries(numbers.map((n, i) => [n, urls[i]])), expires: c.opts.expiresIn }
}

// GET /s3/multipart/:uploadId
export async function listParts<User>(c: Call<User>, uploadId: string): Promise<Response> {
  const key = keyParam(c)
  const t = readUpload(c, uploadId, key)
  return json(await c.opts.storage.listParts(key, t.uploadId))
}

// GET /s3/multipart/:uploadId/:partNumber
export async function signOnePart<User>(c: Call<User>, uploadId: string, partNumber: string): Promise<Response> {
  const t = readUpload(c, uploadId, keyParam(c))
  const url = await signPart(c, t, assertPartNumber(partNumber))
  return json({ url, expires: c.opts.expiresIn })
}

// GET /s3/multipart/:uploadId/batch?partNumbers=1,2,3
export async function signBatch<User>(c: Call<User>, uploadId: string): Promise<Response> {
  const t = readUpload(c, uploadId, keyParam(c))
  return json(await signParts(c, t, partNumbersOf(c.url.searchParams.get('partNumbers') ?? '')))
}

export function readParts(body: Record<string, unknown>) {
  if (!Array.isArray(body.parts) || body.parts.length === 0) throw badRequest('invalid_parts', 'parts must be a non-empty array.')
  const byNumber = new Map<number, string>()
  for (const p of body.parts as { PartNumber?: unknown; ETag?: unknown }[]) {
    const n = assertPartNumber(p?.PartNumber as number)
    if (typeof p.ETag !== 'string' || p.ETag === '') throw badRequest('invalid_parts', `Part ${n} has no ETag.`)
    byNumber.set(n, p.ETag)
  }
  const parts = [...byNumber].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag }))
  parts.forEach((p, i) => {
    if (p.PartNumber !== i + 1) throw badRequest('invalid_parts', `Parts must run 1..${parts.length} without gaps; part ${i + 1} is missing.`)
  })
  return parts
}

// POST /s3/multipart/:uploadId/complete
export async function complete<User>(c: Call<User>, uploadId: string): Promise<Response> {
  const key = keyParam(c)
  const t = readUpload(c, uploadId, key)
  const parts = readParts(await readJson(c.request))
  if (t.partSize === undefined) {
    // The parts' lengths were not signed (stock clients, or no part size declared): measure before
    // assembling, and refuse an upload already over the limit or the declared size.
    const total = (await c.opts.storage.listParts(key, t.uploadId)).reduce((sum, p) => sum + p.Size, 0)
    if (total > c.opts.maxFileSize || (t.size !== undefined && total > t.size)) {
      await c.opts.storage.abortMultipart(key, t.uploadId)
      assertSizeAllowed(total, c.opts.maxFileSize)
      throw badRequest('size_mismatch', `The parts hold ${total} bytes but ${t.size} were declared.`)
    }
  }
  await c.opts.storage.completeMultipart(key, t.uploadId, parts)
  // What GET /object would answer, so a client needs no second round trip; `location` is Companion's field.
  const info = await describe(c, key, await enforce(c, key, t.size))
  return json({ location: info.url, ...info })
}

// DELETE /s3/multipart/:uploadId
export async function abort<User>(c: Call<User>, uploadId: string): Promise<Response> {
  const key = keyParam(c)
  const t = readUpload(c, uploadId, key)
  await c.opts.storage.abortMultipart(key, t.uploadId)
  return json({})
}

// GET /object?key=&declaredSize= — what the element reports as file info. A read: it refuses a file
// that breaks policy or the declared size, but never deletes anything.
export async function objectInfo<User>(c: Call<User>): Promise<Response> {
  const key = keyParam(c)
  const declared = c.url.searchParams.get('declaredSize')
  return json(await describeStored(c, key, declared === null ? undefined : readDeclared({ declaredSize: declared }, false).size))
}

/** What a stored file is, after the policy and content checks; a read: a file that breaks them is refused, never deleted. */
export async function describeStored<User>(c: Call<User>, key: string, declaredSize?: number) {
  const { object, refusal } = await inspect(c, key, declaredSize)
  if (refusal) throw refusal
  return describe(c, key, object)
}

/**
 * The file's description. Its `type` is the one its bytes show and images get their `width` and
 * `height`, when `content` (by default what {@link enforce} found) says so; otherwise the stored type.
 */
export async function describe<User>(c: Call<User>, key: string, object: CheckedObject, content = object.content) {
  const info: StoredInfo & { lastModified: string } = {
    key,
    url: await readUrl(c, key),
    size: object.size,
    type: content?.type ?? object.type,
    etag: object.etag,
    name: originalName(object.metadata, key),
    lastModified: object.lastModified.toISOString(),
    stored: !object.temporary,
  }
  if (content?.width !== undefined && content.height !== undefined) {
    info.width = content.width
    info.height = content.height
  }
  return info
}
