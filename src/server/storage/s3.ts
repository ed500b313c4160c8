import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { createPresignedPost } from '@aws-sdk/s3-presigned-post'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { HttpError } from '../errors.js'
import { fastPresigner } from './s3-presign.js'
import { chunked } from './write.js'
import { type NewObject, type Storage, type StoredObject, TEMPORARY_TAG, type UploadedPart } from './types.js'

export interface S3StorageOptions {
  bucket: string
  /** Custom endpoint for R2, MinIO, Ceph RGW…; omit for AWS S3. */
  endpoint?: string
  region?: string
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Address buckets as `endpoint/bucket` rather than `bucket.endpoint` (MinIO, RGW). */
  forcePathStyle?: boolean
  /** Use an S3 client you built yourself instead (its settings win). */
  client?: S3Client
}

/** An S3 client that works with AWS S3 and the S3-compatible stores (RGW, R2, MinIO). */
export function createS3Client(options: Omit<S3StorageOptions, 'bucket' | 'client'>): S3Client {
  return new S3Client({
    region: options.region ?? 'us-east-1',
    endpoint: options.endpoint,
    credentials: options.credentials,
    forcePathStyle: options.forcePathStyle,
    // S3-compatible stores do not all accept the SDK's default CRC checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** Parts of a body the server writes itself: big enough for few requests, small enough to hold one in memory. */
const WRITE_PART = 8 * 1024 * 1024
const TAGGING = `${TEMPORARY_TAG.Key}=${TEMPORARY_TAG.Value}`
const taggingXml = `<Tagging><TagSet><Tag><Key>${TEMPORARY_TAG.Key}</Key><Value>${TEMPORARY_TAG.Value}</Value></Tag></TagSet></Tagging>`
const notFound = (err: unknown) => err instanceof S3ServiceException && (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404)

const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"+|"+$/g, '')

/** Maps the S3 errors a client can cause to HTTP errors; anything else stays a 500. */
function translate(err: unknown): never {
  if (err instanceof S3ServiceException) {
    // Stores differ in the name they give a missing upload (RGW: NoSuchKey); on these routes any 404 is one.
    if (err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchUpload') err.name = 'NoSuchUpload'
    switch (err.name) {
      case 'NoSuchUpload':
        throw new HttpError(404, 'upload_not_found', 'No multipart upload with that id exists for that key (it was completed or aborted).')
      case 'InvalidPart':
      case 'InvalidPartOrder':
        throw new HttpError(400, 'invalid_parts', 'One or more parts are missing or their ETags do not match what was stored.')
      case 'EntityTooSmall':
        throw new HttpError(400, 'part_too_small', 'Every part but the last must be at least 5 MiB.')
    }
  }
  throw err
}

export function s3Storage(options: S3StorageOptions): Storage {
  if (!options?.bucket) throw new TypeError('s3Storage: bucket is required')
  const Bucket = options.bucket
  const client = options.client ?? createS3Client(options)

  const metaFields = (metadata: Record<string, string>) =>
    Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`x-amz-meta-${k}`, v]))
  const presign = fastPresigner(client, Bucket)
  const tagsOf = async (key: string) => (await client.send(new GetObjectTaggingCommand({ Bucket, Key: key }))).TagSet ?? []
  const isTemporaryTag = (t: { Key?: string; Value?: string }) => t.Key === TEMPORARY_TAG.Key && t.Value === TEMPORARY_TAG.Value

  return {
    name: 's3',

    async presignPost(object: NewObject, { minSize, maxSize }, expiresIn) {
      const { url, fields } = await createPresignedPost(client, {
        Bucket,
        Key: object.key,
        Fields: { 'Content-Type': object.type, ...metaFields(object.metadata), ...(object.temporary ? { tagging: taggingXml } : {}) },
        Conditions: [['content-length-range', minSize, maxSize]],
        Expires: expiresIn,
      })
      return { url, fields }
    },

    async presignPut(object, contentLength, expiresIn) {
      // Length and type are signed: the store refuses a body of another size or a different type.
      // A temporary object's tag is a signed header the browser sends: stores ignore it in the query.
      const tagging: Record<string, string> = object.temporary ? { 'x-amz-tagging': TAGGING } : {}
      const url = await presign(
        { method: 'PUT', key: object.key, query: { 'x-id': 'PutObject' }, headers: { 'content-length': String(contentLength), 'content-type': object.type, ...tagging }, hoisted: metaFields(object.metadata), expiresIn },
        () =>
          getSignedUrl(client, new PutObjectCommand({ Bucket, Key: object.key, ContentType: object.type, ContentLength: contentLength, Metadata: object.metadata, Tagging: object.temporary ? TAGGING : undefined }), {
            expiresIn,
            signableHeaders: new Set(['content-length', 'content-type', ...Object.keys(tagging)]),
            unhoistableHeaders: new Set(Object.keys(tagging)),
          }),
      )
      return { url, headers: { 'content-type': object.type, ...tagging } }
    },

    async createMultipart(object) {
      const out = await client.send(
        new CreateMultipartUploadCommand({ Bucket, Key: object.key, ContentType: object.type, Metadata: object.metadata, Tagging: object.temporary ? TAGGING : undefined }),
      )
      if (!out.UploadId) throw new Error('S3 returned no UploadId')
      return { uploadId: out.UploadId }
    },

    async presignPart({ key, uploadId, partNumber, contentLength }, expiresIn) {
      // Sign the length so the store refuses a body of any other size.
      const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) }
      return presign({ method: 'PUT', key, query: { 'x-id': 'UploadPart', partNumber: String(partNumber), uploadId }, headers, expiresIn }, () =>
        getSignedUrl(client, new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: contentLength }), {
          expiresIn,
          ...(contentLength === undefined ? {} : { signableHeaders: new Set(['content-length']) }),
        }),
      )
    },

    async listParts(key, uploadId) {
      const parts: UploadedPart[] = []
      let marker: string | undefined
      try {
        for (;;) {
          const out = await client.send(new ListPartsCommand({ Bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }))
          for (const p of out.Parts ?? []) parts.push({ PartNumber: p.PartNumber!, Size: p.Size ?? 0, ETag: unquote(p.ETag) })
          if (!out.IsTruncated || !out.NextPartNumberMarker) break
          marker = out.NextPartNumberMarker
        }
      } catch (err) {
        translate(err)
      }
      return parts.sort((a, b) => a.PartNumber - b.PartNumber)
    },

    async completeMultipart(key, uploadId, parts) {
      await client
        .send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.PartNumber, ETag: `"${unquote(p.ETag)}"` })) },
          }),
        )
        .catch(translate)
    },

    async abortMultipart(key, uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch(translate)
    },

    async head(key): Promise<StoredObject | null> {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }))
        return {
          key,
          size: out.ContentLength ?? 0,
          type: out.ContentType ?? 'application/octet-stream',
          etag: unquote(out.ETag),
          lastModified: out.LastModified ?? new Date(),
          metadata: out.Metadata ?? {},
          // Only an object with tags costs the second request.
          temporary: out.TagCount ? (await tagsOf(key)).some(isTemporaryTag) : false,
        }
      } catch (err) {
        if (notFound(err)) return null
        throw err
      }
    },

    async read(key, range) {
      try {
        const Range = range ? `bytes=${range.start}-${range.start + Math.max(range.length, 1) - 1}` : undefined
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key, Range }))
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0)
      } catch (err) {
        if (notFound(err)) return null
        // A range past the end of an empty object.
        if (err instanceof S3ServiceException && err.$metadata?.httpStatusCode === 416) return new Uint8Array(0)
        throw err
      }
    },

    async write(object, body, { maxSize, onProgress }) {
      const common = { Bucket, Key: object.key, ContentType: object.type, Metadata: object.metadata, Tagging: object.temporary ? TAGGING : undefined }
      let uploadId: string | undefined
      const parts: { PartNumber: number; ETag: string }[] = []
      try {
        for await (const { part, last } of chunked(body, WRITE_PART, maxSize, onProgress)) {
          if (last && uploadId === undefined) {
            await client.send(new PutObjectCommand({ ...common, Body: part, ContentLength: part.length }))
            break
          }
          uploadId ??= (await this.createMultipart(object)).uploadId
          const PartNumber = parts.length + 1
          const out = await client.send(new UploadPartCommand({ Bucket, Key: object.key, UploadId: uploadId, PartNumber, Body: part, ContentLength: part.length }))
          parts.push({ PartNumber, ETag: unquote(out.ETag) })
          if (last) await this.completeMultipart(object.key, uploadId, parts)
        }
      } catch (err) {
        if (uploadId) await this.abortMultipart(object.key, uploadId).catch(() => {})
        throw err
      }
      const stored = await this.head(object.key)
      if (!stored) throw new Error(`S3 lost ${object.key} right after storing it`)
      return stored
    },

    async *list(prefix) {
      let ContinuationToken: string | undefined
      for (let page = 0; page < 1_000_000; page++) {
        const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }))
        for (const o of out.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) }
        if (!out.IsTruncated || !out.NextContinuationToken) return
        ContinuationToken = out.NextContinuationToken
      }
    },

    async setTemporary(key, temporary) {
      const others = (await tagsOf(key)).filter((t) => !isTemporaryTag(t))
      const TagSet = temporary ? [...others, { ...TEMPORARY_TAG }] : others
      if (TagSet.length) await client.send(new PutObjectTaggingCommand({ Bucket, Key: key, Tagging: { TagSet } }))
      else await client.send(new DeleteObjectTaggingCommand({ Bucket, Key: key }))
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }))
    },

    async readUrl(key, expiresIn) {
      return presign({ method: 'GET', key, query: { 'x-id': 'GetObject' }, expiresIn }, () => getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn }))
    },
  }
}
