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

const missing = (err: unknown, ...names: string[]) => err instanceof S3ServiceException && (names.includes(err.name) || err.$metadata?.httpStatusCode === 404)

/** Checks that a bucket lets browsers at `origin` upload (CORS with ETag exposed) and cleans up abandoned uploads. */
export async function doctor(client: S3Client, bucket: string, origin: string): Promise<Check[]> {
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
  let lifecycle: { Status?: string; AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number } }[] = []
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
  return checks
}
