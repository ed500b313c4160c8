// Real state for the fuzz suite to aim at: one user's uploads of every kind, and each kind of token.
import type { Pool } from './fuzz-values.js'
import { answer, call, type Handler, postForm, put, q } from './server.js'

/** The tokens a user is handed, by name, and what each is signed for. */
export const TOKEN_PURPOSES = {
  upload: 'upload',
  finish: 'finish',
  part: 'part',
  put: 'put',
  form: 'form',
  read: 'read',
  postRead: 'read',
} as const
export type TokenName = keyof typeof TOKEN_PURPOSES

export interface Minted {
  /** Every token (by its name above), `key.multipart` / `key.put` / `key.form` and the part's `etag`. */
  pool: Pool & Record<TokenName, string>
  /** The keys of the two stored files and of the upload in progress. */
  keys: { multipart: string; put: string; form: string }
}

async function ok<T extends { status: number; text?: string }>(what: string, r: Promise<T> | T): Promise<T> {
  const done = await r
  if (done.status >= 300) throw new Error(`${what} failed while minting: ${done.status} ${done.text ?? ''}`)
  return done
}

/**
 * As the user `authorization` signs in as: a multipart upload with part 1 sent, a file stored by a
 * single PUT (its finish token unused), a file stored by a form, and a read URL for the latter.
 */
export async function mint(handler: Handler, authorization: string, bytes: Uint8Array): Promise<Minted> {
  const as = (method: string, path: string, body?: unknown) => ok(`${method} ${path}`, call(handler, method, path, body, { authorization }))
  const created = (await as('POST', '/s3/multipart', { filename: 'm.bin', type: 'application/octet-stream' })).json
  const partUrl = (await as('GET', `/s3/multipart/${encodeURIComponent(created.uploadId)}/1${q({ key: created.key })}`)).json.url
  const { etag } = await ok('the part', put(handler, partUrl, bytes))
  const size = { 'metadata[declaredSize]': String(bytes.length) }
  const single = (await as('GET', `/s3/params${q({ filename: 'p.txt', type: 'text/plain', method: 'PUT', ...size })}`)).json
  await ok('the PUT', answer(await handler(new Request(single.url, { method: 'PUT', body: bytes as BodyInit, headers: single.headers }))))
  const form = (await as('GET', `/s3/params${q({ filename: 'f.txt', type: 'text/plain', ...size })}`)).json
  await ok('the form', answer(await postForm(handler, form.url, form.fields, bytes)))
  const info = (await as('GET', `/object${q({ key: form.fields.key })}`)).json
  const t = (url: string) => new URL(url).searchParams.get('t')!
  const keys = { multipart: created.key as string, put: single.key as string, form: form.fields.key as string }
  return {
    keys,
    pool: {
      upload: created.uploadId,
      finish: single.token,
      part: t(partUrl),
      put: t(single.url),
      form: t(form.url),
      read: t(info.url),
      postRead: new URL(form.url).pathname.split('/').at(-1)!,
      'key.multipart': keys.multipart,
      'key.put': keys.put,
      'key.form': keys.form,
      etag,
    },
  }
}
