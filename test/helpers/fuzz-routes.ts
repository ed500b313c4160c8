// The routes that take a token or a key, each with a request that succeeds when given the right ones:
// the tokens property swaps tokens across them, and the users property aims one user's values at another's.
import type { TokenPurpose } from '../../src/server/tokens.js'
import type { Answer } from './fuzz-checks.js'
import { escape } from './fuzz-values.js'
import { answer, BASE, call, type Handler, postForm, q } from './server.js'

/** What an aimed request carries: a token or upload id, the key it names, a part's ETag, who signs in and the bytes sent. */
export interface Aimed {
  token: string
  key: string
  etag: string
  authorization: string
  bytes: Uint8Array
}

interface AimedRoute {
  /** What the route's token must be signed for; none for a route that takes only a key. */
  purpose?: TokenPurpose
  /** Which of a minted user's keys the route's request names. */
  key: 'multipart' | 'form'
  send: (h: Handler, x: Aimed) => Promise<Answer>
}

const as = (x: Aimed) => ({ authorization: x.authorization })
const multipart = (x: Aimed, rest = '', extra: Record<string, string> = {}) => `/s3/multipart/${escape(x.token)}${rest}${q({ key: x.key, ...extra })}`

export const AIMED_ROUTES: Record<string, AimedRoute> = {
  'PUT /disk/part': {
    purpose: 'part',
    key: 'multipart',
    send: async (h, x) => answer(await h(new Request(`${BASE}/disk/part?t=${escape(x.token)}`, { method: 'PUT', body: x.bytes as BodyInit }))),
  },
  'PUT /disk/put': {
    purpose: 'put',
    key: 'form',
    send: async (h, x) => answer(await h(new Request(`${BASE}/disk/put?t=${escape(x.token)}`, { method: 'PUT', body: x.bytes as BodyInit, headers: { 'content-type': 'text/plain' } }))),
  },
  'POST /disk/post': { purpose: 'form', key: 'form', send: async (h, x) => answer(await postForm(h, `${BASE}/disk/post/x?t=${escape(x.token)}`, { key: x.key }, x.bytes)) },
  'GET /disk/object': { purpose: 'read', key: 'form', send: async (h, x) => answer(await h(new Request(`${BASE}/disk/object?t=${escape(x.token)}`))) },
  'GET /disk/post/:token/:key': {
    purpose: 'read',
    key: 'form',
    send: async (h, x) => answer(await h(new Request(`${BASE}/disk/post/${escape(x.token)}/${x.key.split('/').map(escape).join('/')}`))),
  },
  'POST /finish': { purpose: 'finish', key: 'form', send: (h, x) => call(h, 'POST', '/finish', { token: x.token }, as(x)) },
  'GET /s3/multipart/:id': { purpose: 'upload', key: 'multipart', send: (h, x) => call(h, 'GET', multipart(x), undefined, as(x)) },
  'GET /s3/multipart/:id/1': { purpose: 'upload', key: 'multipart', send: (h, x) => call(h, 'GET', multipart(x, '/1'), undefined, as(x)) },
  'GET /s3/multipart/:id/batch': { purpose: 'upload', key: 'multipart', send: (h, x) => call(h, 'GET', multipart(x, '/batch', { partNumbers: '1,2' }), undefined, as(x)) },
  'POST /s3/multipart/:id/complete': {
    purpose: 'upload',
    key: 'multipart',
    send: (h, x) => call(h, 'POST', multipart(x, '/complete'), { parts: [{ PartNumber: 1, ETag: x.etag }] }, as(x)),
  },
  'DELETE /s3/multipart/:id': { purpose: 'upload', key: 'multipart', send: (h, x) => call(h, 'DELETE', multipart(x), undefined, as(x)) },
  'GET /object': { key: 'form', send: (h, x) => call(h, 'GET', `/object${q({ key: x.key })}`, undefined, as(x)) },
}

/** The routes that take a token, by name. */
export const TOKEN_ROUTES = Object.keys(AIMED_ROUTES).filter((name) => AIMED_ROUTES[name].purpose !== undefined)
