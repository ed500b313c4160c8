// Link uploads when the storage is a hosted API: the provider fetches the link on its own side
// (VIESUS createUploadFromUrl, Uploadcare /from_url/, Cloudinary's upload of a URL). Its own ids ride
// in the signed token, so no record is kept; the policy is checked on the record it answers.
import { HttpError, json } from '../errors.js'
import { enforceHosted, hostedInfo, userMetadata } from '../plan-routes.js'
import { storedMetadata } from '../policy.js'
import type { Provider } from '../providers/types.js'
import type { Call } from '../routes.js'
import { signToken, verifyToken } from '../tokens.js'
import type { LinkInput } from './job.js'

/** What a hosted link upload's token carries: the provider, the user's prefix and the provider's own ids. */
interface HostedLinkToken {
  provider: string
  prefix: string
  state: object
}

function linkProvider<User>(c: Call<User>): Provider & Required<Pick<Provider, 'fromUrl' | 'urlStatus'>> {
  const provider = c.opts.provider!
  if (!provider.fromUrl || !provider.urlStatus) {
    throw new HttpError(400, 'not_supported', `This server uploads to ${provider.title}, whose API has no upload from a link.`)
  }
  return provider as Provider & Required<Pick<Provider, 'fromUrl' | 'urlStatus'>>
}

export async function startHostedLink<User>(c: Call<User>, link: URL, input: LinkInput): Promise<Response> {
  const provider = linkProvider(c)
  const metadata = userMetadata(storedMetadata(input.filename ?? 'file', input.meta ?? {}))
  const { state } = await provider.fromUrl({ url: link.href, filename: input.filename, metadata })
  const token = signToken(c.opts.secret, 'url', { provider: provider.name, prefix: c.prefix, state } satisfies HostedLinkToken, c.opts.uploadExpiresIn)
  return json({ token }, 202)
}

export async function hostedLinkStatus<User>(c: Call<User>, token: string): Promise<Response> {
  const provider = linkProvider(c)
  const t = verifyToken<HostedLinkToken>(c.opts.secret, 'url', token, 'link-upload token')
  if (t.provider !== provider.name || !t.state || typeof t.state !== 'object') throw new HttpError(403, 'invalid_token', 'That link-upload token is for another storage than this server uploads to.')
  if (t.prefix !== c.prefix) throw new HttpError(403, 'not_owner', 'That link upload belongs to another user.')
  const status = await provider.urlStatus(t.state)
  if (status.status === 'success' && status.record) {
    try {
      await enforceHosted(c, provider, t, status.record)
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      return json({ status: 'error', done: status.record.size, total: status.record.size, error: { code: err.code, message: err.message } })
    }
    const file = { ...hostedInfo(provider, status.record), stored: true }
    return json({ status: 'success', done: file.size, total: file.size, file })
  }
  const { status: state, done = 0, total = null, error } = status
  return json({ status: state === 'success' ? 'progress' : state, done, total, ...(error ? { error } : {}) })
}
