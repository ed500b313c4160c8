import { HttpError } from '../errors.js'
import type { Storage } from '../storage/types.js'
import type { Provider } from './types.js'

/**
 * The storage the Companion routes see when uploads go to a hosted API: every method refuses, with
 * a message that says which client to use instead.
 */
export function hostedOnly(provider: Provider): Storage {
  const refuse = (): never => {
    throw new HttpError(
      400,
      'not_supported',
      `This server uploads to ${provider.title}, which takes files through POST /plan and POST /finish (the transport <hoist-uploader> uses by default); the S3 routes that stock @uppy/aws-s3 speaks work with s3 and disk storage only.`,
    )
  }
  const refuseLifecycle = (): never => {
    throw new HttpError(
      400,
      'not_supported',
      `This server uploads to ${provider.title}; content checks and keeping temporary files work with s3 and disk storage only.`,
    )
  }
  return {
    name: provider.name,
    read: refuseLifecycle,
    write: refuseLifecycle,
    list: refuseLifecycle,
    setTemporary: refuseLifecycle,
    presignPost: refuse,
    presignPut: refuse,
    createMultipart: refuse,
    presignPart: refuse,
    listParts: refuse,
    completeMultipart: refuse,
    abortMultipart: refuse,
    head: refuse,
    delete: refuse,
    readUrl: refuse,
  }
}
