import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { storageFromEnv } from './from-env.js'
import { createUploadHandler } from './handler.js'
import { toNodeHandler } from './node.js'

const USAGE = `Usage: hoist-uploader serve [options]

Runs the upload endpoint on its own (Uppy Companion's S3 protocol).

Options:
  --port <n>           port to listen on (default 3020, or PORT)
  --host <addr>        address to bind (default 127.0.0.1)
  --dir <path>         disk storage folder (default ./.hoist-data)
  --base-path <path>   path the routes live under (default: none, as Companion)
  --cors-origin <o>    an origin allowed to call it; repeat for more, "*" for any
                       (default: any http://localhost or http://127.0.0.1 port)
  --max-file-size <s>  largest file accepted, e.g. 2GB (default 5GiB)

S3 storage instead of disk when S3_BUCKET is set, with S3_ENDPOINT, S3_REGION,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_FORCE_PATH_STYLE=true for
MinIO / Ceph RGW. HOIST_SECRET signs upload URLs (random per run if unset).
Anyone who can reach the port may upload: put it behind your own auth.`

const LOOPBACK = ['http://localhost', 'http://localhost:*', 'http://127.0.0.1', 'http://127.0.0.1:*']

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
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
      'base-path': { type: 'string', default: '' },
      'cors-origin': { type: 'string', multiple: true },
      'max-file-size': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const origins = values['cors-origin'] ?? LOOPBACK
  const { storage, description } = storageFromEnv(values.dir)
  const handler = createUploadHandler({
    storage,
    authorize: () => true,
    basePath: values['base-path'],
    maxFileSize: values['max-file-size'],
    allowedOrigins: origins.includes('*') ? '*' : origins,
  })
  const server = createServer(toNodeHandler(handler))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(Number(values.port), values.host, resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : values.port
  console.log(`Hoist upload server: http://${values.host}:${port}${values['base-path']} (${description}; CORS: ${origins.join(', ')})`)
  const stop = () => server.close(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return -1
}
