import { badRequest, forbidden, HttpError, json } from './errors.js'
import { assertValidKey, originalName, safeName } from './keys.js'
import type { ResolvedOptions } from './options.js'
import {
  assertPartNumber,
  assertSizeAllowed,
  assertTypeAllowed,
  type Declared,
  partLength,
  readDeclared,
  storedMetadata,
  validType,
} from './policy.js'
import type { StorageContext } from './storage/types.js'
import { signToken, verifyToken } from './tokens.js'

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
interface UploadToken { i: string; k: string; s?: number; p?: number }

const MAX_BATCH = 1000

async function readJson(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text()
  if (text.length > 1024 * 1024) throw new HttpError(413, 'body_too_large', 'The request body is larger than 1 MiB.')
  try {
    const body = JSON.parse(text || '{}')
    if (body && typeof body === 'object' && !Array.isArray(body)) return body
  } catch {
    // fall through
  }
  throw badRequest('invalid_json', 'The request body must be a JSON object.')
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
function newObject<User>(c: Call<User>, filename: unknown, type: unknown, metadata: unknown, multipart: boolean) {
  if (typeof filename !== 'string' || filename.trim() === '') throw badRequest('invalid_filename', 'The filename is missing.')
  if (filename.length > 1024) throw badRequest('invalid_filename', 'The filename is longer than 1024 characters.')
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
  return { object: { key, type: mime, metadata: storedMetadata(filename, meta) }, declared }
}

function assertOwnKey<User>(c: Call<User>, key: unknown): asserts key is string {
  assertValidKey(key)
  if (!key.startsWith(c.prefix)) throw forbidden('key_not_allowed', 'That key is outside the area this user may write to.')
}

function keyParam<User>(c: Call<User>): string {
  const key = c.url.searchParams.get('key')
  assertOwnKey(c, key)
  return key
}

function readUpload<User>(c: Call<User>, uploadId: string, key: string): UploadToken {
  const t = verifyToken<UploadToken>(c.opts.secret, uploadId, 'upload id')
  if (t.k !== key) throw forbidden('invalid_upload_id', 'That upload id belongs to another key.')
  return t
}

const declaredOf = (t: UploadToken): Declared => ({ size: t.s, partSize: t.p })

async function signPart<User>(c: Call<User>, t: UploadToken, partNumber: number): Promise<string> {
  const d = declaredOf(t)
  const contentLength = d.size !== undefined && d.partSize !== undefined ? partLength({ size: d.size, partSize: d.partSize }, partNumber) : undefined
  return c.opts.storage.presignPart({ key: t.k, uploadId: t.i, partNumber, contentLength }, c.opts.expiresIn, c.ctx)
}

async function readUrl<User>(c: Call<User>, key: string): Promise<string> {
  return c.opts.publicUrl ? c.opts.publicUrl(key) : c.opts.storage.readUrl(key, c.opts.readExpiresIn, c.ctx)
}

/** Deletes a stored object that breaks policy, then refuses it. */
async function checkStored<User>(c: Call<User>, key: string, declaredSize: number | undefined) {
  const object = await c.opts.storage.head(key)
  if (!object) throw new HttpError(404, 'not_found', 'The upload finished but no object was stored.')
  const name = originalName(object.metadata, key)
  try {
    assertSizeAllowed(object.size, c.opts.maxFileSize)
    if (declaredSize !== undefined && object.size !== declaredSize) {
      throw badRequest('size_mismatch', `The stored file is ${object.size} bytes but ${declaredSize} were declared.`)
    }
    assertTypeAllowed(c.opts.allowedTypes, object.type, name)
  } catch (err) {
    await c.opts.storage.delete(key)
    throw err
  }
  return object
}

// GET /s3/params — one request for a whole file: a form upload (what stock Uppy sends), or with
// `method=PUT` and a declared size, a PUT signed for that exact length (what R2 needs; Hoist's transport).
export async function params<User>(c: Call<User>): Promise<Response> {
  const q = c.url.searchParams
  const { object, declared } = newObject(c, q.get('filename'), q.get('type'), metadataFromQuery(c.url), false)
  if (q.get('method')?.toUpperCase() === 'PUT') {
    if (declared.size === undefined) throw badRequest('invalid_metadata', 'A PUT upload needs metadata[declaredSize], the exact size of the file.')
    const { url, headers } = await c.opts.storage.presignPut(object, declared.size, c.opts.expiresIn, c.ctx)
    return json({ method: 'PUT', url, fields: {}, headers, key: object.key, expires: c.opts.expiresIn })
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
  const { uploadId } = await c.opts.storage.createMultipart(object)
  const token: UploadToken = { i: uploadId, k: object.key, s: declared.size, p: declared.partSize }
  const created = { key: object.key, uploadId: signToken(c.opts.secret, token) }
  return json(first.length ? { ...created, ...(await signParts(c, token, first)) } : created)
}

function partNumbersOf(raw: unknown): number[] {
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
  return json(await c.opts.storage.listParts(key, t.i))
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

function readParts(body: Record<string, unknown>) {
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
  if (t.s === undefined) {
    // Nothing was declared (stock clients), so measure before assembling: refuse an upload already over the limit.
    const total = (await c.opts.storage.listParts(key, t.i)).reduce((sum, p) => sum + p.Size, 0)
    if (total > c.opts.maxFileSize) {
      await c.opts.storage.abortMultipart(key, t.i)
      assertSizeAllowed(total, c.opts.maxFileSize)
    }
  }
  await c.opts.storage.completeMultipart(key, t.i, parts)
  // What GET /object would answer, so a client needs no second round trip; `location` is Companion's field.
  const info = await describe(c, key, await checkStored(c, key, t.s))
  return json({ location: info.url, ...info })
}

// DELETE /s3/multipart/:uploadId
export async function abort<User>(c: Call<User>, uploadId: string): Promise<Response> {
  const key = keyParam(c)
  const t = readUpload(c, uploadId, key)
  await c.opts.storage.abortMultipart(key, t.i)
  return json({})
}

// GET /object?key=&declaredSize= — what the element reports as file info; checks single-request uploads too.
export async function objectInfo<User>(c: Call<User>): Promise<Response> {
  const key = keyParam(c)
  const declared = c.url.searchParams.get('declaredSize')
  const object = await checkStored(c, key, declared === null ? undefined : readDeclared({ declaredSize: declared }, false).size)
  return json(await describe(c, key, object))
}

async function describe<User>(c: Call<User>, key: string, object: Awaited<ReturnType<typeof checkStored>>) {
  return {
    key,
    url: await readUrl(c, key),
    size: object.size,
    type: object.type,
    etag: object.etag,
    name: originalName(object.metadata, key),
    lastModified: object.lastModified.toISOString(),
  }
}
