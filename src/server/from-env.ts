import type { S3Client } from '@aws-sdk/client-s3'
import { diskStorage } from './storage/disk.js'
import { createS3Client, s3Storage } from './storage/s3.js'
import type { Storage } from './storage/types.js'
import type { Provider } from './providers/types.js'
import type { FromUrlOptions } from './from-url/options.js'
import { parseHostRule } from './from-url/hosts.js'
import { cloudinaryStorage } from './providers/cloudinary.js'
import { luwStorage } from './providers/luw.js'
import { upscaylStorage } from './providers/upscayl.js'
import { uploadcareStorage } from './providers/uploadcare.js'
import { viesusStorage } from './providers/viesus.js'

type Env = NodeJS.ProcessEnv

/** An S3 client and bucket from `S3_BUCKET`, `S3_ENDPOINT`, `S3_REGION`, `AWS_*` and `S3_FORCE_PATH_STYLE`; undefined without `S3_BUCKET`. */
export function s3FromEnv(env: Env = process.env): { client: S3Client; bucket: string; endpoint?: string } | undefined {
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

export const STORAGES = ['disk', 's3', 'viesus', 'upscayl', 'luw', 'uploadcare', 'cloudinary'] as const
export type StorageName = (typeof STORAGES)[number]

/** A configuration mistake the CLI reports in one line and exits on. */
export class SetupError extends Error {}

function required(env: Env, name: string, what: string, storage: string): string {
  const value = env[name]
  if (!value) throw new SetupError(`--storage ${storage} needs ${name} (${what}); it is not set.`)
  return value
}

const optional = (env: Env, name: string) => env[name] || undefined

/** `cloudinary://<api_key>:<api_secret>@<cloud_name>`, Cloudinary's own convention (`cloudinary://<cloud_name>` for unsigned uploads). */
export function parseCloudinaryUrl(value: string): { cloudName: string; apiKey?: string; apiSecret?: string } {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new SetupError('CLOUDINARY_URL must look like cloudinary://<api_key>:<api_secret>@<cloud_name>.')
  }
  if (url.protocol !== 'cloudinary:' || !url.hostname) throw new SetupError('CLOUDINARY_URL must look like cloudinary://<api_key>:<api_secret>@<cloud_name>.')
  const apiKey = decodeURIComponent(url.username) || undefined
  const apiSecret = decodeURIComponent(url.password) || undefined
  if (!!apiKey !== !!apiSecret) throw new SetupError('CLOUDINARY_URL must give both the API key and the API secret, or neither (for unsigned uploads with CLOUDINARY_UPLOAD_PRESET).')
  return { cloudName: url.hostname, apiKey, apiSecret }
}

function providerFromEnv(name: StorageName, env: Env): { storage: Provider; description: string } | undefined {
  const at = (url: string | undefined) => (url ? ` at ${url}` : '')
  switch (name) {
    case 'viesus': {
      const apiUrl = optional(env, 'VIESUS_API_URL')
      return { storage: viesusStorage({ apiKey: required(env, 'VIESUS_API_KEY', 'the VIESUS Cloud API key', name), apiUrl }), description: `VIESUS${at(apiUrl)}` }
    }
    case 'upscayl': {
      const apiUrl = optional(env, 'UPSCAYL_API_URL')
      return { storage: upscaylStorage({ apiKey: required(env, 'UPSCAYL_API_KEY', 'the Upscayl Cloud API key', name), apiUrl }), description: `Upscayl${at(apiUrl)}` }
    }
    case 'luw': {
      const apiUrl = optional(env, 'LUW_API_URL')
      const pid = optional(env, 'LUW_PID')
      if (pid !== undefined && !/^\d+$/.test(pid)) throw new SetupError('LUW_PID must be an integer persona id.')
      const temporary = /^(1|true|yes)$/i.test(env.LUW_TEMPORARY ?? '')
      return { storage: luwStorage({ token: required(env, 'LUW_API_TOKEN', 'the Luw.ai API token', name), apiUrl, pid, temporary }), description: `Luw.ai${at(apiUrl)}${pid ? `, persona ${pid}` : ''}` }
    }
    case 'uploadcare': {
      const uploadUrl = optional(env, 'UPLOADCARE_UPLOAD_URL')
      const store = optional(env, 'UPLOADCARE_STORE')
      if (store !== undefined && !['auto', '0', '1'].includes(store)) throw new SetupError('UPLOADCARE_STORE must be auto, 0 or 1.')
      const secretKey = optional(env, 'UPLOADCARE_SECRET_KEY')
      const storage = uploadcareStorage({
        publicKey: required(env, 'UPLOADCARE_PUBLIC_KEY', 'the Uploadcare project\'s public key', name),
        secretKey,
        uploadUrl,
        store: store as 'auto' | '0' | '1' | undefined,
        cdnUrl: optional(env, 'UPLOADCARE_CDN_URL'),
      })
      return { storage, description: `Uploadcare${at(uploadUrl)} (${secretKey ? 'signed' : 'unsigned'} uploads)` }
    }
    case 'cloudinary': {
      const parsed = parseCloudinaryUrl(required(env, 'CLOUDINARY_URL', 'cloudinary://<api_key>:<api_secret>@<cloud_name>', name))
      const uploadPreset = optional(env, 'CLOUDINARY_UPLOAD_PRESET')
      if (!parsed.apiSecret && !uploadPreset) throw new SetupError('CLOUDINARY_URL has no API key and secret, so unsigned uploads need CLOUDINARY_UPLOAD_PRESET (an unsigned upload preset); it is not set.')
      const uploadPrefix = optional(env, 'CLOUDINARY_UPLOAD_PREFIX')
      return {
        storage: cloudinaryStorage({ ...parsed, uploadPreset, uploadPrefix, folder: optional(env, 'CLOUDINARY_FOLDER') }),
        description: `Cloudinary cloud "${parsed.cloudName}"${at(uploadPrefix)} (${parsed.apiSecret ? 'signed' : 'unsigned'} uploads)`,
      }
    }
    default:
      return undefined
  }
}

/**
 * The storage named by `choice` (the CLI's `--storage`, the demo's `HOIST_STORAGE`), configured from
 * the environment. Without a choice: S3 when `S3_BUCKET` is set, else disk in `dir`. A missing
 * variable throws a `SetupError` that names it.
 */
export function storageFromEnv(dir: string, secret?: string, env: Env = process.env, choice?: string): { storage: Storage | Provider; description: string } {
  const name = (choice || (env.S3_BUCKET ? 's3' : 'disk')) as StorageName
  if (!STORAGES.includes(name)) throw new SetupError(`--storage must be one of ${STORAGES.join(', ')}; "${choice}" is not.`)
  const hosted = providerFromEnv(name, env)
  if (hosted) return hosted
  if (name === 's3') {
    required(env, 'S3_BUCKET', 'the bucket to upload to', name)
    const s3 = s3FromEnv(env)!
    return { storage: s3Storage({ bucket: s3.bucket, client: s3.client }), description: `S3 bucket "${s3.bucket}"${s3.endpoint ? ` at ${s3.endpoint}` : ''}` }
  }
  return { storage: diskStorage({ dir, secret }), description: `disk storage in ${dir}` }
}

/**
 * The CLI's link-upload flags as the handler's `fromUrl`: `--from-url` turns it on; a list of hosts
 * (`--from-url-allow-hosts`, else `HOIST_FROM_URL_ALLOW_HOSTS`) turns it on too and lets links reach
 * those hosts; `--no-from-url` keeps it off whatever else is set.
 */
export function fromUrlFromFlags(on: boolean | undefined, allowHosts: string | undefined, env: Env = process.env): FromUrlOptions | false {
  const raw = allowHosts ?? env.HOIST_FROM_URL_ALLOW_HOSTS ?? ''
  const hosts = raw.split(',').map((h) => h.trim()).filter(Boolean)
  for (const host of hosts) {
    try {
      parseHostRule(host, 'allowHosts')
    } catch {
      throw new SetupError(`--from-url-allow-hosts takes host or host:port entries separated by commas; "${host}" is not one.`)
    }
  }
  if (on === false || (on !== true && hosts.length === 0)) return false
  return hosts.length ? { allowHosts: hosts } : {}
}
