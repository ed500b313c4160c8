import AwsS3 from '@uppy/aws-s3'
import type Uppy from '@uppy/core'

const MiB = 1024 * 1024
export const MIN_PART_SIZE = 5 * MiB
const MAX_PARTS = 10_000
export const TRANSPORT_ID = 'HoistTransport'

/** Part size for a multipart upload: 5 MiB, or the whole MiB that keeps the file within 10,000 parts. */
export function partSizeFor(size: number): number {
  return Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB)
}

/** The metadata that lets the server sign exact sizes (see the server's `declaredSize` / `partSize`). */
export function declaredMeta(size: number, multipartThreshold: number): { declaredSize: number; partSize?: number } {
  return size > multipartThreshold ? { declaredSize: size, partSize: partSizeFor(size) } : { declaredSize: size }
}

export interface TransportOptions {
  endpoint: string
  multipartThreshold: number
}

/** Installs stock `@uppy/aws-s3` in `companionEndpoint` mode, pointed at the Hoist endpoint. */
export function installTransport(uppy: Uppy, { endpoint, multipartThreshold }: TransportOptions): void {
  uppy.use(AwsS3, {
    id: TRANSPORT_ID,
    companionEndpoint: endpoint.replace(/\/+$/, ''),
    shouldUseMultipart: (file) => (file.size ?? 0) > multipartThreshold,
    getChunkSize: ({ size }: { size: number }) => partSizeFor(size),
    limit: 6,
  })
}

export function removeTransport(uppy: Uppy): void {
  const plugin = uppy.getPlugin(TRANSPORT_ID)
  if (plugin) uppy.removePlugin(plugin)
}
