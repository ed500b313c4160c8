import { diskStorage } from './storage/disk.js'
import { s3Storage } from './storage/s3.js'
import type { Storage } from './storage/types.js'

/** S3 storage when `S3_BUCKET` is set (with `S3_ENDPOINT`, `S3_REGION`, `AWS_*`, `S3_FORCE_PATH_STYLE`), else disk storage in `dir`. */
export function storageFromEnv(dir: string, secret?: string, env: NodeJS.ProcessEnv = process.env): { storage: Storage; description: string } {
  if (env.S3_BUCKET) {
    const credentials =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
        : undefined
    const storage = s3Storage({
      bucket: env.S3_BUCKET,
      endpoint: env.S3_ENDPOINT || undefined,
      region: env.S3_REGION || env.AWS_REGION || 'us-east-1',
      forcePathStyle: /^(1|true|yes)$/i.test(env.S3_FORCE_PATH_STYLE ?? ''),
      credentials,
    })
    return { storage, description: `S3 bucket "${env.S3_BUCKET}"${env.S3_ENDPOINT ? ` at ${env.S3_ENDPOINT}` : ''}` }
  }
  return { storage: diskStorage({ dir, secret }), description: `disk storage in ${dir}` }
}
