import { HttpError } from '../errors.js'

/**
 * What a failed file-system call means to the client: a full disk (or quota) is `storage_full`, 507,
 * which says the request itself was fine; any other error is returned as it is.
 */
export function fsError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new HttpError(507, 'storage_full', 'The storage is full, so this file was not stored. Try again later or with a smaller file.')
  }
  return err
}
