// `npm run demo`: the upload endpoint and the demo page on one origin.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer as createVite } from 'vite'
import { createUploadHandler, toNodeHandler } from '../src/server/index.js'
import { fromUrlFromFlags, SetupError, storageFromEnv } from '../src/server/from-env.js'

const port = Number(process.env.PORT ?? 5173)
const dir = resolve(process.env.HOIST_DIR ?? '.hoist-data')
const secret = process.env.HOIST_SECRET ?? demoSecret(dir)
// HOIST_STORAGE picks the storage as `hoist-uploader serve --storage` does.
const { storage, description } = chooseStorage()

function chooseStorage(): ReturnType<typeof storageFromEnv> {
  try {
    return storageFromEnv(dir, secret, process.env, process.env.HOIST_STORAGE)
  } catch (err) {
    if (!(err instanceof SetupError || err instanceof TypeError)) throw err
    console.error(`npm run demo: ${err.message.replace(/^--storage (\w+) needs/, 'HOIST_STORAGE=$1 needs').replace(/^--storage /, 'HOIST_STORAGE ')}`)
    process.exit(1)
  }
}

/** One secret per data folder, so links to stored files survive a restart of the demo. */
function demoSecret(folder: string): string {
  const file = resolve(folder, '.secret')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    mkdirSync(folder, { recursive: true })
    const secret = randomBytes(32).toString('base64url')
    writeFileSync(file, secret, { mode: 0o600 })
    return secret
  }
}

const uploads = toNodeHandler(
  createUploadHandler({
    storage,
    basePath: '/api/uploads',
    // The demo lets anyone upload; a real app checks its session here. HOIST_DEMO_TOKEN makes it ask
    // for `Authorization: Bearer <token>`, as an app with bearer tokens would (the tests use it).
    authorize: (request) => {
      const token = process.env.HOIST_DEMO_TOKEN
      return !token || request.headers.get('authorization') === `Bearer ${token}` ? { id: 'demo' } : null
    },
    maxFileSize: '2GB',
    secret,
    // Lifetime of upload URLs; short ones let the fault tests check re-signing.
    expiresIn: Number(process.env.HOIST_EXPIRES_IN) || undefined,
    // The benchmark is one user uploading thousands of files back to back; the default limit would time it.
    rateLimit: process.env.HOIST_RATE_LIMIT === 'off' ? false : undefined,
    // HOIST_FROM_URL=on lets the page upload from links (public addresses only); HOIST_FROM_URL_ALLOW_HOSTS
    // names hosts links may reach on private or loopback addresses too, as `serve --from-url-allow-hosts` does.
    fromUrl: fromUrlFromFlags(process.env.HOIST_FROM_URL === 'on' ? true : undefined, undefined),
    // HOIST_STORE=manual keeps uploads temporary until the app keeps them.
    store: process.env.HOIST_STORE === 'manual' ? 'manual' : undefined,
  }),
)

const cdnDir = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/cdn')
const server = createServer((req, res) => {
  if (req.url?.startsWith('/api/uploads/')) void uploads(req, res)
  // demo/cdn.html loads the one-file build (and its language chunks) as a CDN would serve it.
  else if (req.url?.startsWith('/dist/cdn/') && !req.url.includes('..')) serveFile(resolve(cdnDir, req.url.slice('/dist/cdn/'.length).split('?')[0]), res)
  else vite.middlewares(req, res)
})

function serveFile(path: string, res: import('node:http').ServerResponse) {
  try {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(readFileSync(path))
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Run `npm run build` first to make dist/cdn/hoist-uploader.js.')
  }
}
const vite = await createVite({
  configFile: resolve(dirname(fileURLToPath(import.meta.url)), '../vite.config.ts'),
  logLevel: 'warn',
  // Hot reload shares the demo's port instead of opening one of its own.
  server: { middlewareMode: true, hmr: { server } },
})
server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  console.log(`Demo: http://localhost:${port}  (${description})`)
})
const stop = () => {
  server.close()
  void vite.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
