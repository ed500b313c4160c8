import { assertOrigin, preflight, withCors } from './cors.js'
import { badRequest, errorResponse, HttpError, notFound } from './errors.js'
import { resolveOptions, type UploadHandlerOptions } from './options.js'
import * as routes from './routes.js'
import * as planRoutes from './plan-routes.js'
import * as urlRoutes from './url-routes.js'
import * as fileRoutes from './file-routes.js'
import * as groupRoutes from './group-routes.js'

/** The handler: a web-standard `(Request) => Promise<Response>`, with two calls for the app's own server. */
export interface UploadHandler<User = unknown> {
  (request: Request): Promise<Response>
  /**
   * Keeps uploads that `store: 'manual'` made temporary (typically when the form that carries their
   * keys is submitted), so they are not removed after `temporaryTtl`. Every key must be the user's and
   * stored, or nothing changes (an `HttpError`: `key_not_allowed`, `not_found`, `invalid_keys`).
   */
  store(keys: string[], user: User): Promise<{ stored: string[] }>
  /**
   * Deletes stored files of the user's, with the same checks first. With a hosted API, `keys` are its
   * file ids (`FileInfo.key`), deleted where its API can (VIESUS); they carry no user, so check them first.
   */
  delete(keys: string[], user: User): Promise<{ deleted: string[] }>
}

function segments(path: string): string[] {
  try {
    return path.split('/').slice(1).map(decodeURIComponent)
  } catch {
    throw badRequest('invalid_path', 'The request path has a malformed %-escape.')
  }
}

async function authorize<User>(authorizeFn: (r: Request) => User | Promise<User>, request: Request): Promise<User> {
  let user: User
  try {
    user = await authorizeFn(request)
  } catch (err) {
    if (err instanceof HttpError) throw err
    throw new HttpError(401, 'unauthorized', 'Sign in to upload files.')
  }
  if (!user) throw new HttpError(401, 'unauthorized', 'Sign in to upload files.')
  return user
}

/**
 * A web-standard `(Request) => Promise<Response>` under `basePath`: the plan routes Hoist's transport
 * uses (POST /plan, POST /finish) and Uppy Companion's S3 routes for stock clients. It enforces the
 * upload policy, talks to `storage` and keeps no state between requests.
 */
export function createUploadHandler<User = unknown>(options: UploadHandlerOptions<User>): UploadHandler<User> {
  const opts = resolveOptions(options)

  async function route(request: Request, url: URL, path: string): Promise<Response> {
    const ctx = { baseUrl: `${url.origin}${opts.basePath}`, readExpiresIn: opts.readExpiresIn }
    if (path.startsWith('/disk/') && opts.storage.handle) {
      // Storage-owned routes are authorized by the signed token in their URL.
      return opts.storage.handle(request, path.slice('/disk'.length), ctx)
    }
    const user = await authorize(opts.authorize, request)
    opts.limit?.(request, user)
    const c: routes.Call<User> = { request, url, user, prefix: opts.prefixFor(user), ctx, opts }
    const m = request.method
    const seg = segments(path)
    if (m === 'GET' && path === '/s3/params') return routes.params(c)
    if (m === 'POST' && path === '/plan') return planRoutes.plan(c)
    if (m === 'POST' && path === '/finish') return planRoutes.finish(c)
    if (m === 'GET' && path === '/object') return routes.objectInfo(c)
    if (m === 'DELETE' && path === '/object') return fileRoutes.deleteObject(c)
    if (m === 'POST' && path === '/store') return fileRoutes.store(c)
    if (m === 'POST' && path === '/groups') return groupRoutes.createGroup(c)
    if (m === 'GET' && seg[0] === 'groups' && seg.length === 2) return groupRoutes.readGroup(c, seg[1])
    if (m === 'POST' && path === '/url' && opts.fromUrl) return urlRoutes.startFromUrl(c)
    if (m === 'GET' && seg[0] === 'url' && seg.length === 2 && opts.fromUrl) return urlRoutes.linkStatus(c, seg[1])
    if (seg[0] === 's3' && seg[1] === 'multipart') {
      if (seg.length === 2 && m === 'POST') return routes.createMultipart(c)
      if (seg.length === 3 && m === 'GET') return routes.listParts(c, seg[2])
      if (seg.length === 3 && m === 'DELETE') return routes.abort(c, seg[2])
      if (seg.length === 4 && m === 'POST' && seg[3] === 'complete') return routes.complete(c, seg[2])
      if (seg.length === 4 && m === 'GET' && seg[3] === 'batch') return routes.signBatch(c, seg[2])
      if (seg.length === 4 && m === 'GET') return routes.signOnePart(c, seg[2], seg[3])
    }
    throw notFound('not_found', `No route ${m} ${path}.`)
  }

  async function handleUpload(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (!url.pathname.startsWith(`${opts.basePath}/`)) {
      return errorResponse(notFound('not_found', `Upload routes live under ${opts.basePath || '/'}.`))
    }
    if (request.method === 'OPTIONS') return preflight(request, opts.originAllowed)
    let origin: string | undefined
    let response: Response
    try {
      origin = assertOrigin(request, opts.originAllowed)
      response = await route(request, url, url.pathname.slice(opts.basePath.length))
    } catch (err) {
      response = errorResponse(err, opts.onError)
    }
    return withCors(response, origin)
  }
  return Object.assign(handleUpload, {
    store: (keys: string[], user: User) => fileRoutes.storeKeys(opts, opts.prefixFor(user), keys),
    delete: (keys: string[], user: User) => (opts.provider ? fileRoutes.deleteHosted(opts, keys) : fileRoutes.deleteKeys(opts, opts.prefixFor(user), keys)),
  })
}
