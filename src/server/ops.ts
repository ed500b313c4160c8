import {
  AbortMultipartUploadCommand,
  GetBucketCorsCommand,
  GetBucketLifecycleConfigurationCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { RECORDS_PREFIX } from './keys.js'
import { type Storage, TEMPORARY_TAG } from './storage/types.js'

export interface SweptObject {
  key: string
  lastModified: Date
  /** `temporary`: an upload nobody kept; `record`: a link upload's status, whose token has expired. */
  kind: 'temporary' | 'record'
}

/** Link-upload status records outlive their token (a day by default) by this much before they go. */
const RECORD_AGE_MS = 2 * 86_400_000

/**
 * Removes the temporary uploads (`store: 'manual'`) not kept within `ttlMs`, and link-upload status
 * records older than two days: what an S3 lifecycle rule on the tag does, for disk storage and
 * stores without one. Kept files and everything else are left alone.
 */
export async function sweepTemporary(storage: Storage, ttlMs: number, { dryRun = false, now = Date.now() } = {}): Promise<SweptObject[]> {
  const swept: SweptObject[] = []
  for await (const o of storage.list('')) {
    const age = now - o.lastModified.getTime()
    let kind: SweptObject['kind'] | undefined
    if (o.key.startsWith(RECORDS_PREFIX)) kind = o.key.startsWith(`${RECORDS_PREFIX}url/`) && age > RECORD_AGE_MS ? 'record' : undefined
    else if (age >= ttlMs && (await storage.head(o.key))?.temporary) kind = 'temporary'
    if (!kind) continue
    if (!dryRun) await storage.delete(o.key)
    swept.push({ key: o.key, lastModified: o.lastModified, kind })
  }
  return swept
}

export interface SweptUpload {
  key: string
  uploadId: string
  initiated: Date
}

/** Aborts the incomplete multipart uploads in a bucket started more than `olderThanMs` ago (all pages). */
export async function sweepS3(client: S3Client, bucket: string, olderThanMs: number, dryRun = false): Promise<SweptUpload[]> {
  const cutoff = Date.now() - olderThanMs
  const swept: SweptUpload[] = []
  let KeyMarker: string | undefined
  let UploadIdMarker: string | undefined
  for (let page = 0; page < 10_000; page++) {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }))
    for (const u of out.Uploads ?? []) {
      if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated.getTime() > cutoff) continue
      if (!dryRun) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
      swept.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated })
    }
    if (!out.IsTruncated) break
    KeyMarker = out.NextKeyMarker
    UploadIdMarker = out.NextUploadIdMarker
  }
  return swept
}

/** The same for disk storage: removes upload folders older than `olderThanMs`. */
export async function sweepDisk(dir: string, olderThanMs: number, dryRun = false): Promise<SweptUpload[]> {
  const uploads = join(dir, 'multipart')
  const cutoff = Date.now() - olderThanMs
  const swept: SweptUpload[] = []
  for (const id of await readdir(uploads).catch(() => [] as string[])) {
    const file = join(uploads, id, 'upload.json')
    const info = await stat(file).catch(() => null)
    if (!info || info.mtimeMs > cutoff) continue
    const { key } = JSON.parse(await readFile(file, 'utf8')) as { key: string }
    if (!dryRun) await rm(join(uploads, id), { recursive: true, force: true })
    swept.push({ key, uploadId: id, initiated: info.mtime })
  }
  return swept
}

export interface Check {
  name: string
  ok: boolean
  message: string
  /** What to change, when `ok` is false. */
  fix?: string
}

const CORS_FIX = (origin: string) =>
  `aws s3api put-bucket-cors --bucket BUCKET --cors-configuration '${JSON.stringify({
    CORSRules: [{ AllowedOrigins: [origin], AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3600 }],
  })}'`
const LIFECYCLE_FIX = `aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration '${JSON.stringify({
  Rules: [{ ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
})}'`

/** Both rules: abort abandoned multipart uploads, and expire temporary uploads a day after they were made. */
const LIFECYCLE_FIX_TEMPORARY = `aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration '${JSON.stringify({
  Rules: [
    { ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    { ID: 'expire-temporary-uploads', Status: 'Enabled', Filter: { Tag: { ...TEMPORARY_TAG } }, Expiration: { Days: 1 } },
  ],
})}'`

const missing = (err: unknown, ...names: string[]) => err instanceof S3ServiceException && (names.includes(err.name) || err.$metadata?.httpStatusCode === 404)

/** Checks that a bucket lets browsers at `origin` upload (CORS with ETag exposed) and cleans up abandoned uploads. */
export async function doctor(client: S3Client, bucket: string, origin: string, { store = 'auto' }: { store?: 'auto' | 'manual' } = {}): Promise<Check[]> {
  const checks: Check[] = []
  let rules: { AllowedOrigins?: string[]; AllowedMethods?: string[]; AllowedHeaders?: string[]; ExposeHeaders?: string[] }[] = []
  try {
    rules = (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? []
  } catch (err) {
    if (!missing(err, 'NoSuchCORSConfiguration')) throw err
  }
  const matching = rules.filter((r) => (r.AllowedOrigins ?? []).some((o) => o === '*' || o === origin || new RegExp(`^${o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(origin)))
  const methods = new Set(matching.flatMap((r) => (r.AllowedMethods ?? []).map((m) => m.toUpperCase())))
  const exposed = matching.some((r) => (r.ExposeHeaders ?? []).some((h) => h.toLowerCase() === 'etag'))
  const headers = matching.some((r) => (r.AllowedHeaders ?? []).some((h) => h === '*' || h.toLowerCase() === 'content-type'))
  if (rules.length === 0) {
    checks.push({ name: 'cors', ok: false, message: `Bucket "${bucket}" has no CORS configuration, so browsers cannot upload to it.`, fix: CORS_FIX(origin) })
  } else if (matching.length === 0) {
    checks.push({ name: 'cors', ok: false, message: `No CORS rule allows the origin ${origin}.`, fix: CORS_FIX(origin) })
  } else {
    const lacking = ['PUT', 'POST', 'GET'].filter((m) => !methods.has(m))
    checks.push(
      lacking.length
        ? { name: 'cors', ok: false, message: `CORS for ${origin} does not allow ${lacking.join(', ')}.`, fix: CORS_FIX(origin) }
        : { name: 'cors', ok: true, message: `CORS allows ${origin} to GET, PUT and POST.` },
    )
    checks.push(
      exposed
        ? { name: 'cors-etag', ok: true, message: 'CORS exposes the ETag header.' }
        : { name: 'cors-etag', ok: false, message: 'CORS does not expose ETag: multipart uploads cannot read part ETags and will fail.', fix: 'Add "ExposeHeaders": ["ETag"] to the CORS rule.' },
    )
    checks.push(
      headers
        ? { name: 'cors-headers', ok: true, message: 'CORS allows the request headers uploads send.' }
        : { name: 'cors-headers', ok: false, message: 'CORS allows neither "*" nor Content-Type as a request header.', fix: 'Add "AllowedHeaders": ["*"] to the CORS rule.' },
    )
  }
  let lifecycle: LifecycleRule[] = []
  try {
    lifecycle = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? []
  } catch (err) {
    if (!missing(err, 'NoSuchLifecycleConfiguration')) throw err
  }
  const abortRule = lifecycle.find((r) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined)
  checks.push(
    abortRule
      ? { name: 'lifecycle', ok: true, message: `Incomplete multipart uploads are aborted after ${abortRule.AbortIncompleteMultipartUpload!.DaysAfterInitiation} day(s).` }
      : { name: 'lifecycle', ok: false, message: 'No lifecycle rule aborts incomplete multipart uploads; abandoned uploads keep costing storage.', fix: LIFECYCLE_FIX },
  )
  if (store === 'manual') {
    const tagRule = lifecycle.find((r) => r.Status === 'Enabled' && r.Expiration?.Days !== undefined && expiresTemporary(r))
    checks.push(
      tagRule
        ? { name: 'lifecycle-temporary', ok: true, message: `Temporary uploads (tag ${TEMPORARY_TAG.Key}=${TEMPORARY_TAG.Value}) expire after ${tagRule.Expiration!.Days} day(s).` }
        : { name: 'lifecycle-temporary', ok: false, message: `No lifecycle rule expires objects tagged ${TEMPORARY_TAG.Key}=${TEMPORARY_TAG.Value}: with store: 'manual', uploads nobody keeps stay forever (or until \`hoist-uploader sweep --temporary\` runs).`, fix: LIFECYCLE_FIX_TEMPORARY },
    )
  }
  return checks
}

interface LifecycleRule {
  Status?: string
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number }
  Expiration?: { Days?: number }
  Filter?: { Tag?: { Key?: string; Value?: string }; And?: { Tags?: { Key?: string; Value?: string }[]; Prefix?: string } }
}

/** A rule whose filter is the temporary tag (alone, or with nothing else that narrows it). */
function expiresTemporary(r: LifecycleRule): boolean {
  const isTag = (t?: { Key?: string; Value?: string }) => t?.Key === TEMPORARY_TAG.Key && t?.Value === TEMPORARY_TAG.Value
  if (isTag(r.Filter?.Tag)) return true
  const and = r.Filter?.And
  return !!and && (and.Tags ?? []).length === 1 && isTag(and.Tags![0]) && !and.Prefix
}
