import type Uppy from '@uppy/core'
import { HoistTransport, partSizeFor, type HeadersOption } from '../transport/index.js'
import type { TransportName } from './types.js'

export const TRANSPORT_ID = 'HoistTransport'

export type { TransportName }

export interface TransportOptions {
  transport: TransportName
  endpoint: string
  multipartThreshold: number
  concurrency: number
  chunkSize: number | undefined
  stallTimeout: number
  headers: HeadersOption | undefined
  withCredentials: boolean
}

/** The metadata that lets the server sign exact sizes (see the server's `declaredSize` / `partSize`). */
export function declaredMeta(size: number, multipartThreshold: number, chunkSize?: number): { declaredSize: number; partSize?: number } {
  return size > multipartThreshold ? { declaredSize: size, partSize: partSizeFor(size, chunkSize) } : { declaredSize: size }
}

type Uploader = (fileIDs: string[], uploadID: string) => Promise<unknown>
const placeholders = new WeakMap<Uppy, Uploader>()

function hoistOptions(o: TransportOptions) {
  return {
    endpoint: o.endpoint,
    multipartThreshold: o.multipartThreshold,
    concurrency: o.concurrency,
    // Unset, the transport picks each file's part size from its size and the link (choosePartSize).
    chunkSize: o.chunkSize,
    stallTimeout: o.stallTimeout,
    headers: o.headers,
    withCredentials: o.withCredentials,
  }
}

/**
 * Stock `@uppy/aws-s3`, loaded only when asked for. Uppy takes its list of uploaders when an upload
 * starts, so a placeholder holds the place and hands the files to aws-s3's uploader once it is loaded.
 */
function installStock(uppy: Uppy, o: TransportOptions): void {
  let uploader: Uploader | undefined
  const ready = import('@uppy/aws-s3').then(({ default: AwsS3 }) => {
    if (placeholders.get(uppy) !== placeholder) return
    const own = uppy as unknown as { addUploader: (fn: Uploader) => void }
    own.addUploader = (fn) => (uploader = fn)
    try {
      uppy.use(AwsS3, {
        id: TRANSPORT_ID,
        companionEndpoint: o.endpoint.replace(/\/+$/, ''),
        shouldUseMultipart: (file) => (file.size ?? 0) > o.multipartThreshold,
        getChunkSize: ({ size }: { size: number }) => partSizeFor(size, o.chunkSize),
        limit: o.concurrency,
      })
    } finally {
      delete (own as { addUploader?: unknown }).addUploader
    }
  })
  const placeholder: Uploader = async (ids, uploadID) => {
    await ready
    await uploader?.(ids, uploadID)
  }
  placeholders.set(uppy, placeholder)
  uppy.addUploader(placeholder)
}

/** Installs the transport `o.transport` names, pointed at the Hoist endpoint. */
export function installTransport(uppy: Uppy, o: TransportOptions): void {
  if (o.transport === 'uppy-aws-s3') installStock(uppy, o)
  else uppy.use(HoistTransport, { id: TRANSPORT_ID, ...hoistOptions(o) })
}

/** Applies new options without dropping uploads in flight; false when the transport must be replaced. */
export function updateTransport(uppy: Uppy, o: TransportOptions): boolean {
  const plugin = uppy.getPlugin(TRANSPORT_ID)
  if (o.transport !== 'hoist' || !(plugin instanceof HoistTransport)) return false
  plugin.setOptions(hoistOptions(o))
  return true
}

export function removeTransport(uppy: Uppy): void {
  const plugin = uppy.getPlugin(TRANSPORT_ID)
  if (plugin) uppy.removePlugin(plugin)
  const placeholder = placeholders.get(uppy)
  if (placeholder) {
    uppy.removeUploader(placeholder)
    placeholders.delete(uppy)
  }
}
