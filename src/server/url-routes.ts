// Link uploads: POST /url starts a fetch on the server and answers a token at once; GET /url/:token
// says how it goes. Only mounted when `fromUrl` is set. The fetch itself is in from-url/.
import { randomUUID } from 'node:crypto'
import { badRequest, json, notFound } from './errors.js'
import { storedMetadata, wellFormed } from './policy.js'
import { type Call, readJson } from './routes.js'
import { parseLink, refuseAtOnce } from './from-url/fetch.js'
import { claimSlot, type LinkInput, startJob } from './from-url/job.js'
import { hostedLinkStatus, startHostedLink } from './from-url/hosted.js'
import { answerOf, loadRecord, readLinkToken, saveRecord, signLinkToken } from './from-url/status.js'

/** The optional filename and metadata, checked now so a mistake is answered before anything is fetched. */
function linkInput(body: Record<string, unknown>): LinkInput {
  const { filename, meta } = body
  if (filename !== undefined) {
    if (typeof filename !== 'string' || filename.trim() === '' || filename.length > 1024 || !wellFormed(filename)) {
      throw badRequest('invalid_filename', 'filename must be a non-empty name of at most 1024 characters.')
    }
  }
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta))) throw badRequest('invalid_metadata', 'meta must be an object.')
  if (meta) storedMetadata(filename ?? 'file', meta as Record<string, unknown>)
  return { filename, meta: meta as Record<string, unknown> | undefined }
}

// POST /url { url, filename?, meta? } → 202 { token }
export async function startFromUrl<User>(c: Call<User>): Promise<Response> {
  const body = await readJson(c.request)
  const link = parseLink(body.url)
  // A refused scheme, a literal private address or a denied host is answered now; what DNS says, later.
  refuseAtOnce(link, c.opts.fromUrl!)
  const input = linkInput(body)
  if (c.opts.provider) return startHostedLink(c, link, input)
  const release = claimSlot(c.opts.fromUrl!)
  const id = randomUUID()
  try {
    await saveRecord(c.opts.storage, id, { status: 'waiting', done: 0, total: null, updatedAt: Date.now() })
  } catch (err) {
    release()
    throw err
  }
  startJob(c, id, link, input, release)
  return json({ token: signLinkToken(c, id) }, 202)
}

// GET /url/:token
export async function linkStatus<User>(c: Call<User>, token: string): Promise<Response> {
  if (c.opts.provider) return hostedLinkStatus(c, token)
  const { id } = readLinkToken(c, token)
  const record = await loadRecord(c.opts.storage, id)
  if (!record) throw notFound('not_found', 'No link upload is known for that token.')
  return json(await answerOf(c, record))
}
