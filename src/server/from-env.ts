import type { S3Client } from '@aws-sdk/client-s3'
import { diskStorage } from './storage/disk.js'
import { createS3Client, s3Storage } from './storage/s3.js'
import type { Storage } from './storage/types.js'

/** An S3 client and bucket from `S3_BUCKET`, `S3_ENDPOINT`, `S3_REGION`, `AWS_*` and `S3_FORCE_PATH_STYLE`; undefined without `S3_BUCKET`. */
export function s3FromEnv(env: NodeJS.ProcessEnv = process.env): { client: S3Client; bucket: string; endpoint?: string } | undefined {
  if (!env.S3_BUCKET) return undefined
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined
  const client = createS3Client({
    region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
    endpoint: env.S3_ENDPOINT || undefined,
    forcePathStyle: /^(1|true|yes)$/i.test(env.S3_FORCE_PATH_STYLE ?? ''),
    credentials,
  })
  return { client, bucket: env.S3_BUCKET, endpoint: env.S3_ENDPOINT || undefined }
}

/** S3 storage when `S3_BUCKET` is set, else disk storage in `dir`. */
export function storageFromEnv(dir: string, secret?: string, env: NodeJS.ProcessEnv = process.env): { storage: Storage; description: string } {
  const s3 = s3FromEnv(env)
  if (s3) {
    return { storage: s3Storage({ bucket: s3.bucket, client: s3.client }), description: `S3 bucket "${s3.bucket}"${s3.endpoint ? ` at ${s3.endpoint}` : ''}` }
  }
  return { storage: diskStorage({ dir, secret }), description: `disk storage in ${dir}` }
}
