// The fetch behind one link upload, run after POST /url has answered: open the link through the guard,
// stream it into storage under the same policy as an upload, and keep its status record current.
import type { IncomingMessage } from 'node:http'
import { HttpError } from '../errors.js'
import { type Call, describe, enforce, newObject } from '../routes.js'
import { bodyOf, openLink } from './fetch.js'
import { linkFilename, linkType } from './name.js'
import { MAX_FETCHES, type ResolvedFromUrl } from './options.js'
import { urlTimeout, urlTooLarge } from './refusals.js'
import { HEARTBEAT_MS, type LinkRecord, saveRecord } from './status.js'

export interface LinkInput {
  filename?: string
  meta?: Record<string, unknown>
}

/** Takes one of the handler's fetch slots, or refuses with 429 when all are busy; returns its release. */
export function claimSlot(fromUrl: ResolvedFromUrl): () => void {
  if (fromUrl.running.count >= MAX_FETCHES) {
    throw new HttpError(429, 'too_many_fetches', `This server is already fetching ${MAX_FETCHES} links; try again in a few seconds.`, { 'retry-after': '5' })
  }
  fromUrl.running.count++
  let released = false
  return () => {
    if (!released) fromUrl.running.count--
    released = true
  }
}

function contentLength(response: IncomingMessage): number | null {
  const header = response.headers['content-length']
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : null
}

async function fetchInto<User>(c: Call<User>, link: URL, input: LinkInput, state: LinkRecord, save: () => Promise<void>, signal: AbortSignal) {
  const fromUrl = c.opts.fromUrl!
  const { url, response } = await openLink(link, fromUrl, signal)
  try {
    const total = contentLength(response)
    if (total !== null && total > c.opts.maxFileSize) throw urlTooLarge(c.opts.maxFileSize, total)
    const filename = linkFilename(input.filename, response.headers['content-disposition'], url)
    const { object } = newObject(c, filename, linkType(response.headers['content-type'], filename), input.meta, false)
    Object.assign(state, { status: 'progress', total })
    await save()
    const stored = await c.opts.storage.write(object, bodyOf(response, signal), { maxSize: c.opts.maxFileSize, onProgress: (n) => (state.done = n) })
    const checked = await enforce(c, object.key, stored.size)
    Object.assign(state, { status: 'success', done: stored.size, total: stored.size, file: await describe(c, object.key, checked) })
  } catch (err) {
    if (err instanceof HttpError && err.code === 'file_too_large') throw urlTooLarge(c.opts.maxFileSize)
    throw err
  } finally {
    // Refused before the write began, nothing reads the body; after it, this is a no-op.
    response.destroy()
  }
}

/** Runs the fetch in the background; the record says how it went. Never rejects. */
export function startJob<User>(c: Call<User>, id: string, link: URL, input: LinkInput, release: () => void): void {
  const fromUrl = c.opts.fromUrl!
  const state: LinkRecord = { status: 'waiting', done: 0, total: null, updatedAt: Date.now() }
  let writes = Promise.resolve()
  let inFlight = 0
  // Writes go one after another, so the last one stored is the last state.
  const save = () => {
    inFlight++
    const snapshot = { ...state, updatedAt: Date.now() }
    writes = writes.then(() => saveRecord(c.opts.storage, id, snapshot)).catch((err) => c.opts.onError(err)).finally(() => inFlight--)
    return writes
  }
  // A slow store skips beats rather than queueing them.
  const heartbeat = setInterval(() => {
    if (inFlight === 0) void save()
  }, HEARTBEAT_MS)
  heartbeat.unref()
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(urlTimeout(fromUrl.timeoutMs)), fromUrl.timeoutMs)
  fetchInto(c, link, input, state, save, controller.signal)
    .catch((err: unknown) => {
      if (!(err instanceof HttpError)) c.opts.onError(err)
      const error = err instanceof HttpError ? { code: err.code, message: err.message } : { code: 'internal_error', message: 'The upload server failed to store this link.' }
      Object.assign(state, { status: 'error', error })
    })
    .then(() => {
      clearTimeout(timer)
      clearInterval(heartbeat)
      return save()
    })
    .finally(release)
}
