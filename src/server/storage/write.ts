// Cuts a body the server reads itself (a link upload, a JSON record) into parts for Storage.write,
// holding at most two parts in memory and refusing it as soon as it passes its size limit.
import { HttpError } from '../errors.js'

export const tooLarge = (maxSize: number) => new HttpError(413, 'file_too_large', `The file is larger than the ${maxSize} bytes allowed.`)

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * Yields `body` in parts of exactly `partSize` bytes but the last, which says so; an empty body is one
 * empty last part. Throws `file_too_large` (413) once more than `maxSize` bytes have arrived, having
 * stopped reading.
 */
export async function* chunked(body: AsyncIterable<Uint8Array>, partSize: number, maxSize: number, onProgress?: (bytes: number) => void): AsyncGenerator<{ part: Uint8Array; last: boolean }> {
  let chunks: Uint8Array[] = []
  let buffered = 0
  let total = 0
  let full: Uint8Array | undefined
  for await (const chunk of body) {
    total += chunk.length
    if (total > maxSize) throw tooLarge(maxSize)
    onProgress?.(total)
    let rest = chunk
    while (rest.length) {
      const take = Math.min(rest.length, partSize - buffered)
      chunks.push(rest.subarray(0, take))
      buffered += take
      rest = rest.subarray(take)
      if (buffered === partSize) {
        // A full part is only known not to be the last once more bytes arrive.
        if (full) yield { part: full, last: false }
        full = concat(chunks, buffered)
        chunks = []
        buffered = 0
      }
    }
  }
  if (full && buffered === 0) {
    yield { part: full, last: true }
    return
  }
  if (full) yield { part: full, last: false }
  yield { part: concat(chunks, buffered), last: true }
}

/** A body of bytes already in memory, as Storage.write takes it (the handler's small JSON records). */
export async function* bytesBody(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}
