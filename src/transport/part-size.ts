import { MIN_PART_SIZE, partSizeFor } from '../shared/parts.js'

const MiB = 1024 * 1024
/** The largest part the transport picks itself: a failed part is resent whole, so a retry costs at most this. */
export const MAX_CHOSEN_PART = 64 * MiB
/** Seconds of one connection's share of the link a part should take, so that its fixed cost (a preflight and a round trip) stays small. */
const PART_SECONDS = 4

/**
 * The part size for a file when the app set none. Parts are equal but the last (R2 requires it), so
 * the size is chosen once, at the start:
 * - at least 4 waves of parts across the request limit, so every connection stays busy to the end;
 * - each part about 4 s of one connection's share of the link, as measured on this page so far; with
 *   nothing measured yet, 1/64 of the file (a 1 GiB file gets 16 MiB parts, not 205 of 5 MiB);
 * - between 5 MiB (S3's smallest) and 64 MiB, and within 10,000 parts.
 */
export function choosePartSize(size: number, concurrency: number, bytesPerSecond: number | undefined): number {
  const waves = size / (4 * concurrency)
  const link = bytesPerSecond === undefined ? size / 64 : (bytesPerSecond / concurrency) * PART_SECONDS
  const chosen = Math.min(waves, link, MAX_CHOSEN_PART)
  return partSizeFor(size, Math.max(MIN_PART_SIZE, Math.floor(chosen / MiB) * MiB))
}

/** What this page has measured of the link: the rate of its latest large upload. */
export class LinkRate {
  #rate: number | undefined

  /** Bytes per second this page's uploads reached, once one has moved enough to tell. */
  get bytesPerSecond(): number | undefined {
    return this.#rate
  }

  /** An upload of `bytes` that took `ms` to send; small ones say more about round trips than the link. */
  record(bytes: number, ms: number): void {
    if (bytes >= 16 * MiB && ms > 0) this.#rate = (bytes / ms) * 1000
  }
}
