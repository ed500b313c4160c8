const MiB = 1024 * 1024
/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 * MiB
export const MAX_PARTS = 10_000
/** S3's largest part. */
export const MAX_PART_SIZE = 5 * 1024 * MiB

/**
 * Part size for a multipart upload: `chunkSize` (or 5 MiB) raised to the whole MiB that keeps the
 * file within S3's 10,000 parts. Every part has this size but the last, as R2 requires.
 */
export function partSizeFor(size: number, chunkSize = MIN_PART_SIZE): number {
  return Math.max(MIN_PART_SIZE, chunkSize, Math.ceil(size / MAX_PARTS / MiB) * MiB)
}

export const partCount = (size: number, partSize: number): number => Math.max(1, Math.ceil(size / partSize))

/** Byte range `[start, end)` of part `n` (1-based). */
export function partRange(size: number, partSize: number, n: number): [number, number] {
  const start = (n - 1) * partSize
  return [start, Math.min(size, start + partSize)]
}
