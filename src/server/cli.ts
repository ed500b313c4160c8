import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { fromUrlFromFlags, s3FromEnv, SetupError, storageFromEnv } from './from-env.js'
import { doctor, sweepDisk, sweepS3, sweepTemporary } from './ops.js'
import { diskStorage } from './storage/disk.js'
import { s3Storage } from './storage/s3.js'
import { parseDuration } from './numbers.js'
import { createUploadHandler } from './handler.js'
import { toNodeHandler } from './node.js'

const USAGE = `Usage: hoist-uploader serve [options]
       hoist-uploader sweep --older-than 24h [--dry-run] [--dir <path>]
       hoist-uploader sweep --temporary [--temporary-ttl 24h] [--dry-run] [--dir <path>]
       hoist-uploader doctor --origin https://app.example [--store manual]

serve   runs the upload endpoint on its own (Uppy Companion's S3 protocol)
sweep   aborts incomplete multipart uploads started longer ago than --older-than;
        with --temporary, removes the temporary uploads (store: 'manual') nobody
        kept within --temporary-ttl, and old link-upload status records
doctor  checks the bucket's CORS (origin, methods, ETag exposed) and its lifecycle
        rule for abandoned uploads (with --store manual, also the rule that expires
        temporary uploads), and says what to fix; exits 1 when any fails

Options:
  --port <n>           port to listen on (default 3020, or PORT)
  --host <addr>        address to bind (default 127.0.0.1)
  --storage <name>     where files go: disk, s3, viesus, upscayl, luw, uploadcare
                       or cloudinary (default s3 when S3_BUCKET is set, else disk)
  --dir <path>         disk storage folder (default ./.hoist-data)
  --base-path <path>   path the routes live under (default: none, as Companion)
  --cors-origin <o>    an origin allowed to call it; repeat for more, "*" for any
                       (default: any http://localhost or http://127.0.0.1 port)
  --max-file-size <s>  largest file accepted, e.g. 2GB (default 5GiB)
  --[no-]from-url      let users upload from a link (POST /url); off by default.
                       Links reach public addresses only, checked on every hop
  --from-url-allow-hosts <host[:port],...>
                       hosts a link may reach even on a private or loopback
                       address (default HOIST_FROM_URL_ALLOW_HOSTS); implies
                       --from-url unless --no-from-url is given
  --store <mode>       auto (default: uploads are kept) or manual: uploads stay
                       temporary until POST /store { keys } keeps them
  --temporary-ttl <d>  how long a temporary upload lives, e.g. 24h (default 24h)

Settings come from the environment:
  s3          S3_BUCKET, S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID,
              AWS_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE=true (MinIO / Ceph RGW)
  viesus      VIESUS_API_KEY, VIESUS_API_URL
  upscayl     UPSCAYL_API_KEY, UPSCAYL_API_URL
  luw         LUW_API_TOKEN, LUW_API_URL, LUW_PID, LUW_TEMPORARY=true
  uploadcare  UPLOADCARE_PUBLIC_KEY, UPLOADCARE_SECRET_KEY (signed uploads),
              UPLOADCARE_UPLOAD_URL, UPLOADCARE_STORE, UPLOADCARE_CDN_URL
  cloudinary  CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>,
              CLOUDINARY_UPLOAD_PREFIX, CLOUDINARY_UPLOAD_PRESET, CLOUDINARY_FOLDER
The API keys and secrets stay on this server; the page never sees them.
HOIST_SECRET signs upload URLs and tokens (random per run if unset).
Anyone who can reach the port may upload: put it behind your own auth.`

const LOOPBACK = ['http://localhost', 'http://localhost:*', 'http://127.0.0.1', 'http://127.0.0.1:*']

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === 'sweep') return sweep(rest)
  if (command === 'doctor') return checkBucket(rest)
  if (command !== 'serve') {
    console.log(USAGE)
    return command === undefined || command === '--help' || command === 'help' ? 0 : 2
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '3020' },
      host: { type: 'string', default: '127.0.0.1' },
      dir: { type: 'string', default: './.hoist-data' },
      storage: { type: 'string' },
      'base-path': { type: 'string', default: '' },
      'cors-origin': { type: 'string', multiple: true },
      'max-file-size': { type: 'string' },
      'from-url': { type: 'boolean' },
      'from-url-allow-hosts': { type: 'string' },
      store: { type: 'string', default: 'auto' },
      'temporary-ttl': { type: 'string' },
      help: { type: 'boolean' },
    },
    allowNegative: true,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const origins = values['cors-origin'] ?? LOOPBACK
  let chosen: ReturnType<typeof storageFromEnv>
  let fromUrl: ReturnType<typeof fromUrlFromFlags>
  try {
    chosen = storageFromEnv(values.dir, undefined, process.env, values.storage)
    fromUrl = fromUrlFromFlags(values['from-url'], values['from-url-allow-hosts'])
    if (values.store !== 'auto' && values.store !== 'manual') throw new SetupError(`--store takes auto or manual, not "${values.store}".`)
    if (values['temporary-ttl'] !== undefined) parseDuration(values['temporary-ttl'])
  } catch (err) {
    if (!(err instanceof SetupError || err instanceof TypeError)) throw err
    console.error(`hoist-uploader serve: ${err.message}`)
    return 1
  }
  const { storage, description } = chosen
  const handler = createUploadHandler({
    storage,
    authorize: () => true,
    // Anyone who can reach the port is one user: they share one area on purpose, deletes and groups included.
    keyPrefix: 'uploads/',
    basePath: values['base-path'],
    maxFileSize: values['max-file-size'],
    allowedOrigins: origins.includes('*') ? '*' : origins,
    fromUrl,
    store: values.store as 'auto' | 'manual',
    temporaryTtl: values['temporary-ttl'],
    // `serve` has no app server of its own to call handler.store: the route keeps files instead.
    storeRoute: values.store === 'manual',
  })
  const server = createServer(toNodeHandler(handler))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(values.port), values.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : values.port
  console.log(`Hoist upload server: http://${values.host}:${port}${values['base-path']} (${description}; CORS: ${origins.join(', ')}; ${describeFromUrl(fromUrl)}${values.store === 'manual' ? `; uploads temporary for ${values['temporary-ttl'] ?? '24h'} until POST /store keeps them` : ''})`)
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return -1
}

const describeFromUrl = (fromUrl: ReturnType<typeof fromUrlFromFlags>) =>
  !fromUrl ? 'link uploads off' : `link uploads on${fromUrl.allowHosts?.length ? `, also to ${fromUrl.allowHosts.join(', ')}` : ''}`

async function sweep(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' }, dir: { type: 'string', default: './.hoist-data' }, temporary: { type: 'boolean' }, 'temporary-ttl': { type: 'string', default: '24h' } },
  })
  if (values.temporary) return sweepTemporaries(values['temporary-ttl'], values['dry-run'] ?? false, values.dir)
  if (!values['older-than']) {
    console.error('hoist-uploader sweep: --older-than is required, e.g. --older-than 24h')
    return 2
  }
  const age = parseDuration(values['older-than'])
  const s3 = s3FromEnv()
  const swept = s3 ? await sweepS3(s3.client, s3.bucket, age, values['dry-run']) : await sweepDisk(values.dir, age, values['dry-run'])
  const verb = values['dry-run'] ? 'would abort' : 'aborted'
  for (const u of swept) console.log(`${verb} ${u.key} (upload ${u.uploadId.slice(0, 16)}…, started ${u.initiated.toISOString()})`)
  console.log(`${swept.length} incomplete upload(s) older than ${values['older-than']} ${verb} in ${s3 ? `bucket "${s3.bucket}"` : values.dir}.`)
  return 0
}

/** `sweep --temporary`: the temporary uploads nobody kept, on S3 (S3_BUCKET) or disk. */
async function sweepTemporaries(ttl: string, dryRun: boolean, dir: string): Promise<number> {
  const s3 = s3FromEnv()
  // A sweep signs nothing, so disk storage needs no shared secret here.
  const storage = s3 ? s3Storage({ bucket: s3.bucket, client: s3.client }) : diskStorage({ dir, secret: randomBytes(32).toString('base64url') })
  const swept = await sweepTemporary(storage, parseDuration(ttl), { dryRun })
  const verb = dryRun ? 'would remove' : 'removed'
  for (const o of swept) console.log(`${verb} ${o.key} (${o.kind === 'record' ? 'link-upload status' : 'temporary'}, ${o.lastModified.toISOString()})`)
  const temporary = swept.filter((o) => o.kind === 'temporary').length
  console.log(`${temporary} temporary upload(s) older than ${ttl} and ${swept.length - temporary} old status record(s) ${verb} in ${s3 ? `bucket "${s3.bucket}"` : dir}.`)
  return 0
}

async function checkBucket(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { origin: { type: 'string' }, store: { type: 'string', default: 'auto' } } })
  const s3 = s3FromEnv()
  if (!s3) {
    console.error('hoist-uploader doctor: set S3_BUCKET (and S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) to check a bucket; disk storage needs no setup.')
    return 2
  }
  if (!values.origin) {
    console.error('hoist-uploader doctor: --origin is required: the origin of the page that uploads, e.g. https://app.example')
    return 2
  }
  const checks = await doctor(s3.client, s3.bucket, values.origin, { store: values.store === 'manual' ? 'manual' : 'auto' })
  for (const c of checks) {
    console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`)
    if (c.fix) console.log(`     fix: ${c.fix.replaceAll('BUCKET', s3.bucket)}`)
  }
  const failed = checks.filter((c) => !c.ok).length
  console.log(failed ? `${failed} problem(s) to fix in bucket "${s3.bucket}".` : `Bucket "${s3.bucket}" is ready for uploads from ${values.origin}.`)
  return failed ? 1 : 0
}
