import { createHash } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { s3Storage } from '../../src/server/index.js'
import { createS3Client } from '../../src/server/storage/s3.js'

/** The S3 store under test (the suite's Ceph RGW); fails, never skips, when none is configured. */
export function s3Env() {
  const { S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env
  if (!S3_ENDPOINT || !AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY) {
    throw new Error('S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set: run these tests through `npm test`, which starts Ceph RGW.')
  }
  const credentials = { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY }
  const region = process.env.S3_REGION ?? 'us-east-1'
  return { endpoint: S3_ENDPOINT, credentials, region, forcePathStyle: true }
}

export function s3Client(): S3Client {
  return createS3Client(s3Env())
}

/** A new bucket with browser CORS (ETag exposed), and an s3Storage on it. */
export async function makeBucket(prefix: string, origins = ['*']) {
  const client = s3Client()
  const bucket = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  await client.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: origins, AllowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }],
      },
    }),
  )
  const storage = s3Storage({ bucket, ...s3Env() })
  return { bucket, client, storage }
}

/** The sha256 of what `bucket` stores under `key`. */
export async function objectSha(client: S3Client, bucket: string, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return createHash('sha256').update(await object.Body!.transformToByteArray()).digest('hex')
}

export async function openUploads(client: S3Client, bucket: string) {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return out.Uploads ?? []
}

/** Deletes every object and aborts every upload, so RGW's RAM-backed store does not fill up. */
export async function emptyBucket(client: S3Client, bucket: string) {
  for (const u of await openUploads(client, bucket)) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }))
  }
  for (;;) {
    const list = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
    const keys = (list.Contents ?? []).map((o) => ({ Key: o.Key! }))
    if (keys.length === 0) break
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }))
  }
}
