// Why a link was not fetched. POST /url answers the ones it can know at once with these statuses; the
// rest reach the user in the status record's `error`, where only the code and message count.
import { HttpError } from '../errors.js'
import { formatSize } from '../../shared/sizes.js'

export const invalidUrl = (message: string) => new HttpError(400, 'invalid_url', message)
export const urlForbidden = (message: string) => new HttpError(403, 'url_forbidden', message)
export const urlUnreachable = (message: string) => new HttpError(502, 'url_unreachable', message)
export const urlTimeout = (ms: number) => new HttpError(504, 'url_timeout', `The link took longer than ${ms} ms to fetch; nothing was stored.`)
export const urlTooLarge = (max: number, size?: number) =>
  new HttpError(413, 'url_too_large', `The file at that link is ${size === undefined ? 'larger than' : `${formatSize(size)}; more than`} the ${formatSize(max)} allowed; nothing was stored.`)
