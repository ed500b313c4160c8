// The endpoint's protocol spoken from Node, for the crash tests and the load bench: the transport's own
// Backend for the endpoint calls, and fetch for the PUTs the transport makes with XHR in a browser.
import { Backend } from '../../src/transport/backend.js'
import { networkError, retryableStatus, storageError, TransportError } from '../../src/transport/errors.js'
import { partCount, partRange } from '../../src/shared/parts.js'

const TYPE = 'application/octet-stream'

/** The transport's Backend with no retries of its own: the caller's `Step` decides about retrying. */
export const endpointClient = (endpoint: string) => new Backend({ endpoint, retry: { retries: 0, baseDelay: 0, maxDelay: 0 } })

/** How each request of an upload is run: the load bench times, counts and retries them; tests run them once. */
export type Step = <T>(kind: 'sign' | 'put' | 'complete' | 'read', run: () => Promise<T>) => Promise<T>
const once: Step = (_kind, run) => run()

/** PUTs `body` to a signed URL; resolves with the ETag, or throws the TransportError the browser's transport would. */
export async function putBytes(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  let r: Response
  try {
    r = await fetch(url, { method: 'PUT', body: body as BodyInit, headers })
  } catch {
    throw networkError()
  }
  if (r.ok) {
    await r.arrayBuffer()
    return (r.headers.get('etag') ?? '').replace(/"/g, '')
  }
  const { code, message } = storageError(r.status, await r.text())
  throw new TransportError(code, message, { status: r.status, retryable: retryableStatus(r.status) })
}

/** One signed PUT (GET /s3/params?method=PUT), then, as the transport does, POST /finish with its token (or the read-back); returns the key. */
export async function uploadSingle(b: Backend, name: string, bytes: Uint8Array, step: Step = once): Promise<string> {
  const target = await step('sign', () => b.params(name, TYPE, { declaredSize: bytes.length }))
  await step('put', () => putBytes(target.url, bytes, target.headers))
  const token = target.token
  const info = await (token ? step('complete', () => b.finish({ token })) : step('read', () => b.info(target.key, bytes.length)))
  if (info.size !== bytes.length) throw new Error(`${name}: ${info.size} bytes stored under ${target.key}, ${bytes.length} sent`)
  return target.key
}

/** A multipart upload up to its complete: create (signing part 1), one batch for the rest, the PUTs. */
export async function uploadParts(b: Backend, name: string, bytes: Uint8Array, partSize: number, step: Step = once) {
  const count = partCount(bytes.length, partSize)
  const created = await step('sign', () => b.create(name, TYPE, { declaredSize: bytes.length, partSize }, [1]))
  const { key, uploadId } = created
  const rest = Array.from({ length: count - 1 }, (_, i) => i + 2)
  const urls = { ...created.presignedUrls, ...(rest.length ? (await step('sign', () => b.sign(key, uploadId, rest))).presignedUrls : {}) }
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const [start, end] = partRange(bytes.length, partSize, i + 1)
      return { PartNumber: i + 1, ETag: await step('put', () => putBytes(urls[i + 1], bytes.subarray(start, end))) }
    }),
  )
  return { key, uploadId, parts }
}

/**
 * Completes a multipart upload. As the transport does, an `upload_not_found` answer to a complete that
 * was tried before means an earlier try got through and its answer was lost: the stored object tells.
 */
export async function completeUpload(b: Backend, upload: { key: string; uploadId: string; parts: { PartNumber: number; ETag: string }[] }, size: number, step: Step = once): Promise<void> {
  let tries = 0
  await step('complete', async () => {
    try {
      await b.complete(upload.key, upload.uploadId, upload.parts)
    } catch (err) {
      if (!(tries++ > 0 && err instanceof TransportError && err.code === 'upload_not_found' && (await b.stored(upload.key, size)))) throw err
    }
  })
}
