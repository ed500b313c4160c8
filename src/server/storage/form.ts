import { Busboy } from '@fastify/busboy'
import { Readable } from 'node:stream'
import { badRequest } from '../errors.js'

const invalid = (why: string) => badRequest('invalid_form', `The body is not a usable multipart/form-data upload: ${why}.`)

/**
 * Reads a form upload as it streams, as S3 does: the text fields that come before the `file` field
 * (names lowercased: S3 matches them case-insensitively), then hands the file's stream to `onFile`.
 * Nothing is buffered beyond small fields; when `onFile` fails, the rest of the body is not read.
 */
export function streamForm<T>(request: Request, onFile: (fields: Record<string, string>, file: Readable) => Promise<T>): Promise<T> {
  const type = request.headers.get('content-type') ?? ''
  if (!request.body || !/^multipart\/form-data\s*;/i.test(type)) return Promise.reject(invalid('the Content-Type is not multipart/form-data'))
  let parser: ReturnType<typeof Busboy>
  try {
    parser = Busboy({ headers: { 'content-type': type }, limits: { files: 1, fields: 32, fieldSize: 16 * 1024, parts: 40 } })
  } catch {
    return Promise.reject(invalid('the form boundary is missing'))
  }
  const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>)
  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {}
    let file: Promise<T> | undefined
    let settled = false
    const fail = (err: unknown) => {
      if (settled) return
      settled = true
      body.unpipe(parser)
      body.destroy()
      reject(err)
    }
    parser.on('field', (name, value) => {
      if (!file) fields[name.toLowerCase()] = value
    })
    parser.on('file', (name, stream) => {
      if (name !== 'file' || file) {
        stream.resume()
        return
      }
      file = onFile({ ...fields }, stream)
      file.then((value) => {
        // What follows the file is ignored, as S3 does; the parser reads it to the end.
        settled = true
        resolve(value)
      }, fail)
    })
    parser.on('error', () => fail(invalid('it is malformed')))
    parser.on('finish', () => {
      if (!file) fail(invalid('it has no "file" field'))
    })
    body.on('error', () => fail(invalid('the body ended early')))
    body.pipe(parser)
  })
}
