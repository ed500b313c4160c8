import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile, open } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { badRequest, HttpError, notFound } from '../errors.js'
import { assertPartNumber } from '../policy.js'
import { streamForm } from './form.js'
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../../shared/parts.js'
import { assertValidKey, originalName } from '../keys.js'
import { fsError } from './fs-errors.js'
import { resolveSecret, signToken, verifyToken } from '../tokens.js'
import type { NewObject, Storage, StorageContext, StoredObject, UploadedPart } from './types.js'


export interface DiskStorageOptions {
  /** Folder that holds the objects and the uploads in progress. */
  dir: string
  /** HMAC secret for the part, form and read URLs (default: `HOIST_SECRET`, else random per process). */
  secret?: string
}

interface Meta {
  type: string
  etag: string
  metadata: Record<string, string>
  temporary?: boolean
}

/** What each kind of URL carries; each is signed for its own purpose (see tokens.ts) and expires. */
interface PartToken { uploadId: string; partNumber: number; length?: number; maxLength: number }
interface FormToken { key: string; type: string; metadata: Record<string, string>; temporary?: boolean; minSize: number; maxSize: number }
interface ReadToken { key: string }
interface PutToken { key: string; type: string; metadata: Record<string, string>; temporary?: boolean; length: number }

const tokenOf = (url: URL) => url.searchParams.get('t')

/**
 * One `bytes=` range (what players and resumable downloads send): `{ start, end }` inclusive, undefined
 * for no or an unusable header (the whole object is sent), 'unsatisfiable' for a range past the end.
 */
export function byteRange(header: string | null, size: number): { start: number; end: number } | undefined | 'unsatisfiable' {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (size === 0) return 'unsatisfiable'
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}

/** What a form may add to the file it carries (its other fields and boundaries). */
const FORM_OVERHEAD = 64 * 1024

/** A key as stock clients escape it in a location (each segment URI-encoded). */
function decodeKey(path: string): string {
  try {
    return path.split('/').map(decodeURIComponent).join('/')
  } catch {
    throw badRequest('invalid_key', 'The key in the path has a malformed %-escape.')
  }
}

/**
 * Stores objects in a folder. Its upload URLs point back at the handler (`{base}/disk/…`) and are
 * HMAC-signed with an expiry, like presigned S3 URLs; parts are assembled on complete.
 */
export function diskStorage(options: DiskStorageOptions): Storage {
  if (!options?.dir) throw new TypeError('diskStorage: dir is required')
  const root = resolve(options.dir)
  const objects = join(root, 'objects')
  const metas = join(root, 'meta')
  const uploads = join(root, 'multipart')
  const secret = resolveSecret(options.secret, 'diskStorage')

  const inside = (base: string, key: string, suffix = '') => {
    assertValidKey(key)
    const path = join(base, ...key.split('/')) + suffix
    if (!path.startsWith(base + sep)) throw badRequest('invalid_key', 'The key escapes the storage folder.')
    return path
  }
  const uploadDir = (uploadId: string) => {
    if (!/^[a-f0-9]{32}$/.test(uploadId)) throw notFound('upload_not_found', 'No multipart upload with that id exists.')
    return join(uploads, uploadId)
  }

  async function readUpload(uploadId: string, key: string): Promise<NewObject> {
    const dir = uploadDir(uploadId)
    const upload = await readFile(join(dir, 'upload.json'), 'utf8').then(JSON.parse, () => null)
    if (!upload || upload.key !== key) {
      throw notFound('upload_not_found', 'No multipart upload with that id exists for that key (it was completed or aborted).')
    }
    return upload as NewObject
  }

  async function partFiles(uploadId: string): Promise<Map<number, { file: string; etag: string }>> {
    const names = await readdir(uploadDir(uploadId)).catch(() => [] as string[])
    const parts = new Map<number, { file: string; etag: string }>()
    for (const name of names) {
      const m = /^(\d+)\.([a-f0-9]{32})\.part$/.exec(name)
      if (m) parts.set(Number(m[1]), { file: join(uploadDir(uploadId), name), etag: m[2] })
    }
    return parts
  }

  const readMeta = (key: string): Promise<Meta> =>
    readFile(inside(metas, key, '.json'), 'utf8').then(JSON.parse, () => ({ type: 'application/octet-stream', etag: '', metadata: {} }))

  /** Writes an object through a temp file (`write` returns its ETag), then its metadata, then renames it into place; returns the ETag. */
  async function commit(key: string, object: Omit<Meta, 'etag'>, write: (tmp: string) => Promise<string>): Promise<string> {
    const path = inside(objects, key)
    const metaPath = inside(metas, key, '.json')
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    await mkdir(dirname(path), { recursive: true })
    await mkdir(dirname(metaPath), { recursive: true })
    try {
      const etag = await write(tmp)
      await writeFile(metaPath, JSON.stringify({ ...object, etag } satisfies Meta))
      await rename(tmp, path)
      return etag
    } catch (err) {
      await rm(tmp, { force: true })
      throw fsError(err)
    }
  }

  /** Streams `body` to `path`, refusing it if it is not exactly `length` bytes (or over `max`); returns its MD5 and size. */
  async function writeBody(body: AsyncIterable<Uint8Array> | null, path: string, length: number | undefined, max: number): Promise<{ md5: string; size: number }> {
    const hash = createHash('md5')
    const out = createWriteStream(path)
    // A failed write (a full disk) is answered, not left to crash the process as an unhandled 'error'.
    let writeError: unknown
    out.on('error', (err) => (writeError ??= err))
    let size = 0
    try {
      if (body) {
        for await (const chunk of body) {
          size += chunk.length
          if (size > (length ?? max)) throw new HttpError(length === undefined ? 413 : 400, length === undefined ? 'file_too_large' : 'length_mismatch', `The body is larger than the ${length ?? max} bytes this URL allows.`)
          // After a failed write the rest is read and dropped: a client cut off mid-body sees a reset
          // connection, not the answer.
          if (writeError) continue
          hash.update(chunk)
          if (!out.write(chunk)) await once(out, 'drain').catch(() => {})
        }
      }
      if (writeError) throw writeError
      if (length !== undefined && size !== length) {
        throw new HttpError(400, 'length_mismatch', `The body is ${size} bytes; this URL was signed for exactly ${length}.`)
      }
      out.end()
      await finished(out)
      return { md5: hash.digest('hex'), size }
    } catch (err) {
      out.destroy()
      await rm(path, { force: true })
      throw fsError(err)
    }
  }

  const webBody = (request: Request) => (request.body ? Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>) : null)

  async function putPart(request: Request, url: URL): Promise<Response> {
    const t = verifyToken<PartToken>(secret, 'part', tokenOf(url), 'part URL')
    const dir = uploadDir(t.uploadId)
    await stat(join(dir, 'upload.json')).catch(() => {
      throw notFound('upload_not_found', 'The multipart upload was completed or aborted.')
    })
    const tmp = join(dir, `${t.partNumber}.${randomBytes(6).toString('hex')}.tmp`)
    const { md5 } = await writeBody(webBody(request), tmp, t.length, t.maxLength)
    for (const [n, p] of await partFiles(t.uploadId)) if (n === t.partNumber) await rm(p.file, { force: true })
    await rename(tmp, join(dir, `${t.partNumber}.${md5}.part`))
    return new Response(null, { status: 200, headers: { etag: `"${md5}"` } })
  }

  async function putObject(request: Request, url: URL): Promise<Response> {
    const t = verifyToken<PutToken>(secret, 'put', tokenOf(url), 'upload URL')
    if ((request.headers.get('content-type') ?? '') !== t.type) throw new HttpError(403, 'type_mismatch', `This URL was signed for Content-Type ${t.type}.`)
    const etag = await commit(t.key, { type: t.type, metadata: t.metadata, temporary: t.temporary }, async (tmp) => (await writeBody(webBody(request), tmp, t.length, t.length)).md5)
    return new Response(null, { status: 200, headers: { etag: `"${etag}"` } })
  }

  /** A form upload, streamed to disk, answered as S3 answers one (`success_action_status` 200, 201 or the default 204). */
  async function postObject(request: Request, url: URL, ctx: StorageContext): Promise<Response> {
    // The token rides in the URL so the size limit is known before the body is read.
    const t = verifyToken<FormToken>(secret, 'form', tokenOf(url), 'upload form')
    const length = Number(request.headers.get('content-length'))
    if (!Number.isFinite(length) || length <= 0) throw new HttpError(411, 'length_required', 'A form upload needs a Content-Length.')
    if (length > t.maxSize + FORM_OVERHEAD) throw new HttpError(413, 'file_too_large', `The form is larger than the ${t.maxSize} bytes this upload allows.`)
    let status = 204
    const etag = await streamForm(request, async (fields, file) => {
      if (fields.key !== t.key) throw new HttpError(403, 'invalid_token', 'The key field does not match the signed key.')
      if (fields.success_action_status === '200' || fields.success_action_status === '201') status = Number(fields.success_action_status)
      return commit(t.key, { type: t.type, metadata: t.metadata, temporary: t.temporary }, async (tmp) => {
        const exact = t.minSize === t.maxSize ? t.maxSize : undefined
        const { md5, size } = await writeBody(file, tmp, exact, t.maxSize)
        if (size < t.minSize || size > t.maxSize) {
          const allowed = t.minSize === t.maxSize ? `exactly ${t.minSize}` : `${t.minSize} to ${t.maxSize}`
          throw new HttpError(400, 'length_mismatch', `The file is ${size} bytes; this form allows ${allowed}.`)
        }
        return md5
      })
    })
    const location = await storage.readUrl(t.key, ctx.readExpiresIn, ctx)
    const headers = { etag: `"${etag}"`, location }
    if (status !== 201) return new Response(null, { status, headers })
    const xml = (text: string) => text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${xml(location)}</Location><Bucket>disk</Bucket><Key>${xml(t.key)}</Key><ETag>"${etag}"</ETag></PostResponse>`
    return new Response(body, { status, headers: { ...headers, 'content-type': 'application/xml' } })
  }

  /** Serves an object for a read token; `pathKey`, when the URL names the key too, must be the token's. */
  async function getObject(request: Request, token: string | null, pathKey?: string): Promise<Response> {
    const t = verifyToken<ReadToken>(secret, 'read', token, 'read URL')
    if (pathKey !== undefined && pathKey !== t.key) throw new HttpError(403, 'invalid_token', 'This read URL is for another key.')
    const object = await storage.head(t.key)
    if (!object) throw notFound('not_found', 'No object with that key exists.')
    const name = originalName(object.metadata, t.key)
    const inline = /^(image\/(png|jpeg|gif|webp|avif)|video\/|audio\/|application\/pdf|text\/plain)/.test(object.type)
    const headers = {
      'content-type': object.type,
      'content-length': String(object.size),
      etag: `"${object.etag}"`,
      'last-modified': object.lastModified.toUTCString(),
      // Uploaded bytes are served from the app's own origin: never let them run as a page.
      'content-security-policy': "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
      'cache-control': 'private, max-age=3600',
    }
    const range = byteRange(request.headers.get('range'), object.size)
    if (range === 'unsatisfiable') {
      const headers = { 'content-range': `bytes */${object.size}`, 'accept-ranges': 'bytes' }
      throw new HttpError(416, 'range_not_satisfiable', `The requested range is outside the file, which is ${object.size} bytes.`, headers)
    }
    const status = range ? 206 : 200
    const partial: Record<string, string> = range ? { 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${object.size}` } : {}
    const all = { ...headers, 'accept-ranges': 'bytes', ...partial }
    if (request.method === 'HEAD') return new Response(null, { status, headers: all })
    const stream = Readable.toWeb(createReadStream(inside(objects, t.key), range ?? {})) as ReadableStream<Uint8Array>
    return new Response(stream, { status, headers: all })
  }

  const storage: Storage = {
    name: 'disk',

    async presignPost(object, { minSize, maxSize }, expiresIn, ctx) {
      inside(objects, object.key)
      const token = signToken(secret, 'form', { key: object.key, type: object.type, metadata: object.metadata, temporary: object.temporary, minSize, maxSize } satisfies FormToken, expiresIn)
      // Stock clients take `{action without query}/{key}` as the file's location (as on S3): the action's
      // path carries a read token, so that location serves the file (see handle()).
      const read = signToken(secret, 'read', { key: object.key } satisfies ReadToken, ctx.readExpiresIn)
      return { url: `${ctx.baseUrl}/disk/post/${read}?t=${token}`, fields: { key: object.key } }
    },

    async presignPut(object, contentLength, expiresIn, ctx) {
      inside(objects, object.key)
      const token = signToken(secret, 'put', { key: object.key, type: object.type, metadata: object.metadata, temporary: object.temporary, length: contentLength } satisfies PutToken, expiresIn)
      return { url: `${ctx.baseUrl}/disk/put?t=${token}`, headers: { 'content-type': object.type } }
    },

    async createMultipart(object) {
      inside(objects, object.key)
      const uploadId = randomBytes(16).toString('hex')
      await mkdir(uploadDir(uploadId), { recursive: true }).catch((err) => Promise.reject(fsError(err)))
      await writeFile(join(uploadDir(uploadId), 'upload.json'), JSON.stringify(object)).catch((err) => Promise.reject(fsError(err)))
      return { uploadId }
    },

    async presignPart({ key, uploadId, partNumber, contentLength, maxLength }, expiresIn, ctx) {
      await readUpload(uploadId, key)
      const part: PartToken = { uploadId, partNumber: assertPartNumber(partNumber), length: contentLength, maxLength: Math.min(maxLength ?? MAX_PART_SIZE, MAX_PART_SIZE) }
      return `${ctx.baseUrl}/disk/part?t=${signToken(secret, 'part', part, expiresIn)}`
    },

    async listParts(key, uploadId) {
      await readUpload(uploadId, key)
      const parts: UploadedPart[] = []
      for (const [n, p] of await partFiles(uploadId)) {
        const s = await stat(p.file).catch(() => null)
        if (s) parts.push({ PartNumber: n, Size: s.size, ETag: p.etag })
      }
      return parts.sort((a, b) => a.PartNumber - b.PartNumber)
    },

    async completeMultipart(key, uploadId, parts) {
      const upload = await readUpload(uploadId, key)
      const stored = await partFiles(uploadId)
      const files: string[] = []
      for (const [i, part] of parts.entries()) {
        const have = stored.get(part.PartNumber)
        if (!have || have.etag !== part.ETag.replace(/"/g, '')) {
          throw new HttpError(400, 'invalid_parts', `Part ${part.PartNumber} is missing or its ETag does not match what was stored.`)
        }
        if (i < parts.length - 1 && (await stat(have.file)).size < MIN_PART_SIZE) {
          throw new HttpError(400, 'part_too_small', 'Every part but the last must be at least 5 MiB.')
        }
        files.push(have.file)
      }
      const digests = Buffer.concat(parts.map((p) => Buffer.from(p.ETag.replace(/"/g, ''), 'hex')))
      const etag = `${createHash('md5').update(digests).digest('hex')}-${parts.length}`
      await commit(key, { type: upload.type, metadata: upload.metadata, temporary: upload.temporary }, async (tmp) => {
        const out = await open(tmp, 'w')
        try {
          for (const file of files) {
            for await (const chunk of createReadStream(file)) await out.write(chunk as Buffer)
          }
        } finally {
          await out.close()
        }
        return etag
      })
      await rm(uploadDir(uploadId), { recursive: true, force: true })
    },

    async abortMultipart(key, uploadId) {
      await readUpload(uploadId, key)
      await rm(uploadDir(uploadId), { recursive: true, force: true })
    },

    async head(key): Promise<StoredObject | null> {
      const s = await stat(inside(objects, key)).catch(() => null)
      if (!s?.isFile()) return null
      const meta = await readMeta(key)
      return { key, size: s.size, type: meta.type, etag: meta.etag, lastModified: s.mtime, metadata: meta.metadata, temporary: meta.temporary === true }
    },

    async read(key, range) {
      const file = await open(inside(objects, key), 'r').catch(() => null)
      if (!file) return null
      try {
        if (!range) return new Uint8Array(await file.readFile())
        const buffer = Buffer.alloc(range.length)
        const { bytesRead } = await file.read(buffer, 0, range.length, range.start)
        return new Uint8Array(buffer.subarray(0, bytesRead))
      } finally {
        await file.close()
      }
    },

    async write(object, body, { maxSize, onProgress }) {
      inside(objects, object.key)
      async function* counted() {
        let total = 0
        for await (const chunk of body) {
          total += chunk.length
          if (total <= maxSize) onProgress?.(total)
          yield chunk
        }
      }
      await commit(object.key, { type: object.type, metadata: object.metadata, temporary: object.temporary }, async (tmp) => (await writeBody(counted(), tmp, undefined, maxSize)).md5)
      const stored = await storage.head(object.key)
      if (!stored) throw new Error(`disk storage lost ${object.key} right after storing it`)
      return stored
    },

    async *list(prefix) {
      // Walks only the folders the prefix can be in.
      const slash = prefix.lastIndexOf('/')
      const start = slash < 0 ? objects : inside(objects, prefix.slice(0, slash))
      const pending = [start]
      while (pending.length) {
        const dir = pending.pop()!
        for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const path = join(dir, entry.name)
          if (entry.isDirectory()) pending.push(path)
          else if (entry.isFile() && !entry.name.endsWith('.tmp')) {
            const key = path.slice(objects.length + 1).split(sep).join('/')
            if (!key.startsWith(prefix)) continue
            const s = await stat(path).catch(() => null)
            if (s) yield { key, size: s.size, lastModified: s.mtime }
          }
        }
      }
    },

    async setTemporary(key, temporary) {
      const metaPath = inside(metas, key, '.json')
      if (!(await stat(inside(objects, key)).catch(() => null))?.isFile()) throw notFound('not_found', 'No file is stored under that key.')
      const meta = await readMeta(key)
      const { temporary: _, ...rest } = meta
      const tmp = `${metaPath}.${randomBytes(6).toString('hex')}.tmp`
      await writeFile(tmp, JSON.stringify(temporary ? { ...rest, temporary: true } : rest)).catch((err) => Promise.reject(fsError(err)))
      await rename(tmp, metaPath).catch((err) => Promise.reject(fsError(err)))
    },

    async delete(key) {
      await rm(inside(objects, key), { force: true })
      await rm(inside(metas, key, '.json'), { force: true })
    },

    async readUrl(key, expiresIn, ctx) {
      return `${ctx.baseUrl}/disk/object?t=${signToken(secret, 'read', { key } satisfies ReadToken, expiresIn)}`
    },

    async handle(request, path, ctx) {
      const url = new URL(request.url)
      const read = request.method === 'GET' || request.method === 'HEAD'
      if (path === '/part' && request.method === 'PUT') return putPart(request, url)
      if (path === '/put' && request.method === 'PUT') return putObject(request, url)
      if (path === '/object' && read) return getObject(request, tokenOf(url))
      const post = /^\/post\/([^/]+)(?:\/(.+))?$/.exec(path)
      if (post && !post[2] && request.method === 'POST') return postObject(request, url, ctx)
      if (post?.[2] && read) return getObject(request, post[1], decodeKey(post[2]))
      throw notFound('not_found', `No route ${request.method} ${path.slice(0, 200)} in disk storage.`)
    },
  }
  return storage
}
