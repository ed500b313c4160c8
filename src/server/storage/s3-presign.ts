// Presigned S3 URLs (SigV4 query signing) made here with node:crypto. The SDK's getSignedUrl runs each
// URL through its whole middleware stack, which costs about twenty times the CPU of the signature
// itself; a batch of plans signs a URL per file. What the URL looks like (host, path style, region)
// is learned from the SDK once, and the first URL is signed both ways: if they differ (a client set
// up in a way this signer does not know), the SDK signs every URL from then on.
import type { S3Client } from '@aws-sdk/client-s3'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { createHash, createHmac } from 'node:crypto'

interface Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** What a URL signs beyond its method and key. */
export interface Presign {
  method: 'GET' | 'PUT'
  key: string
  /** The operation's query (the SDK's `x-id`, `partNumber`, `uploadId`). */
  query: Record<string, string>
  /** Headers the request must send as signed (`content-length`, `content-type`). */
  headers?: Record<string, string>
  /** `x-amz-*` headers carried in the query instead (object metadata). */
  hoisted?: Record<string, string>
  expiresIn: number
  date?: Date
}

/** Where a bucket's objects live, as the SDK addresses them. */
export interface BucketAddress {
  origin: string
  host: string
  /** `/bucket` for path-style addressing, empty for virtual-hosted. */
  prefix: string
  region: string
}

/** RFC 3986 encoding, as SigV4 wants it. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest()
const byName = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

const signingKeys = new Map<string, Buffer>()

/** The day's signing key, kept: deriving it is four HMACs. */
function signingKey(secret: string, day: string, region: string): Buffer {
  const id = `${day}\n${region}\n${createHash('sha256').update(secret).digest('hex')}`
  let key = signingKeys.get(id)
  if (!key) {
    if (signingKeys.size > 16) signingKeys.clear()
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request')
    signingKeys.set(id, key)
  }
  return key
}

/** A presigned URL for `r`, signed with `credentials` for the bucket at `at`. */
export function presignUrl(at: BucketAddress, credentials: Credentials, r: Presign): string {
  const amzDate = (r.date ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '')
  const day = amzDate.slice(0, 8)
  const scope = `${day}/${at.region}/s3/aws4_request`
  const headers = Object.entries({ host: at.host, ...r.headers }).map(([k, v]) => [k.toLowerCase(), String(v).trim()] as [string, string]).sort(byName)
  const signedHeaders = headers.map(([k]) => k).join(';')
  const query: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(r.expiresIn),
    ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    'X-Amz-SignedHeaders': signedHeaders,
    ...r.hoisted,
    ...r.query,
  }
  const pairs = Object.entries(query).map(([k, v]) => [encode(k), encode(v)] as [string, string]).sort(byName)
  const path = `${at.prefix}/${r.key.split('/').map(encode).join('/')}`
  const canonical = [r.method, path, pairs.map(([k, v]) => `${k}=${v}`).join('&'), headers.map(([k, v]) => `${k}:${v}\n`).join(''), signedHeaders, 'UNSIGNED-PAYLOAD'].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  const signature = createHmac('sha256', signingKey(credentials.secretAccessKey, day, at.region)).update(toSign).digest('hex')
  pairs.push(['X-Amz-Signature', signature])
  return `${at.origin}${path}?${pairs.sort(byName).map(([k, v]) => `${k}=${v}`).join('&')}`
}

const PROBE_KEY = 'hoist-probe/ä b+(1).bin'

/** Learns the bucket's address from a URL the SDK signed for PROBE_KEY. */
export function addressFrom(sdkUrl: string): BucketAddress | undefined {
  const url = new URL(sdkUrl)
  const suffix = `/${PROBE_KEY.split('/').map(encode).join('/')}`
  const region = /^[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request$/.exec(url.searchParams.get('X-Amz-Credential') ?? '')?.[1]
  if (!url.pathname.endsWith(suffix) || !region) return undefined
  return { origin: url.origin, host: url.host, prefix: url.pathname.slice(0, -suffix.length), region }
}

/**
 * A presigner for `client`'s bucket, or the SDK's own when this one would sign differently. The
 * credentials are asked of the client each time, so temporary ones are refreshed as the SDK does.
 */
export function fastPresigner(client: S3Client, Bucket: string): (r: Presign, sdk: () => Promise<string>) => Promise<string> {
  let checked: Promise<BucketAddress | undefined> | undefined
  const credentials = () => client.config.credentials() as Promise<Credentials>
  const check = async (): Promise<BucketAddress | undefined> => {
    const date = new Date()
    const [sdkUrl, creds] = await Promise.all([getSignedUrl(client, new GetObjectCommand({ Bucket, Key: PROBE_KEY }), { expiresIn: 60, signingDate: date }), credentials()])
    const at = addressFrom(sdkUrl)
    if (!at) return undefined
    return presignUrl(at, creds, { method: 'GET', key: PROBE_KEY, query: { 'x-id': 'GetObject' }, expiresIn: 60, date }) === sdkUrl ? at : undefined
  }
  return async (r, sdk) => {
    checked ??= check().catch(() => undefined)
    const at = await checked
    return at ? presignUrl(at, await credentials(), r) : sdk()
  }
}
