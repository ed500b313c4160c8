import type { Uppy } from '@uppy/core'
import type { FileInfo } from './events.js'

type Descriptor = Parameters<Uppy['addFile']>[0]

/** A refusal of a link before anything is sent, with the same `code` shape as upload errors. */
export class LinkError extends Error {
  override name = 'HoistLinkError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The file a link becomes in the list: named after the link's last path segment, its bytes left to the server. */
export function linkFile(text: string): Descriptor {
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    throw new LinkError('invalid_url', `"${text.slice(0, 200)}" is not a link; paste a full address that starts with https://.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LinkError('invalid_url', `Only http and https links can be uploaded, not ${url.protocol.slice(0, 20)}.`)
  let name = url.pathname.split('/').filter(Boolean).pop() ?? ''
  try {
    name = decodeURIComponent(name)
  } catch {
    // keep it as written
  }
  return {
    source: 'Link',
    name: name || url.hostname,
    // The size is unknown until the server reads the link.
    data: { size: null } as unknown as Blob,
    isRemote: true,
    meta: { hoistLink: url.href },
    ...{ remote: { url: url.href } },
  } as Descriptor
}

/** The FileInfo of file `id` once it is stored; a LinkError once it fails or leaves the list. */
export function storedOrFailed(host: HTMLElement, id: string): Promise<FileInfo> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      host.removeEventListener('upload-complete', done)
      host.removeEventListener('upload-error', failed)
      host.removeEventListener('file-removed', removed)
    }
    const done = (e: HTMLElementEventMap['upload-complete']) => {
      if (e.detail.file.id !== id) return
      stop()
      resolve(e.detail.file)
    }
    const failed = (e: HTMLElementEventMap['upload-error']) => {
      if (e.detail.file?.id !== id) return
      stop()
      reject(new LinkError(e.detail.error.code, e.detail.error.message))
    }
    const removed = (e: HTMLElementEventMap['file-removed']) => {
      if (e.detail.file.id !== id) return
      stop()
      reject(new LinkError('file_removed', 'The file was removed from the list before it was stored.'))
    }
    host.addEventListener('upload-complete', done)
    host.addEventListener('upload-error', failed)
    host.addEventListener('file-removed', removed)
  })
}
