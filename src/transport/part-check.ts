import type { ListedPart } from './backend.js'
import type { Hasher } from './hasher.js'
import { abortError } from './retry.js'
import { partRange } from '../shared/parts.js'

/** What a resume needs to check stored parts against the file it is given (kept in the upload's state). */
export interface PartSums {
  /** Whether storage's part ETags are the parts' MD5s; learned from the first part stored. */
  etagsAreMd5?: boolean
  /** Where they are not: each stored part's MD5, by part number. */
  md5s?: Record<number, string>
}

interface Upload extends PartSums {
  partSize: number
}

/**
 * What the page has learned about one endpoint's storage, shared by its uploads: whether part ETags
 * are MD5s is the same for every upload to it, so one upload hashes a part to find out while the
 * others wait for its answer. A wrong answer is never a splice: a resume whose parts do not check
 * out starts over.
 */
export class StorageFacts {
  etagsAreMd5: boolean | undefined
  #prober: object | undefined
  #waiting = new Set<() => void>()

  /** Whether `who` may hash a part to find out: no other upload is doing so. */
  claim(who: object): boolean {
    this.#prober ??= who
    return this.#prober === who
  }

  /** `who` stops (closed before it found out): a waiting upload takes over. */
  release(who: object): void {
    if (this.#prober !== who) return
    this.#prober = undefined
    this.#wake()
  }

  learned(etagsAreMd5: boolean): void {
    this.etagsAreMd5 = etagsAreMd5
    this.#prober = undefined
    this.#wake()
  }

  /** Calls `fn` once the answer is known or the upload finding out stops; returns a cancel. */
  wait(fn: () => void): () => void {
    this.#waiting.add(fn)
    return () => this.#waiting.delete(fn)
  }

  #wake(): void {
    const waiting = [...this.#waiting]
    this.#waiting.clear()
    for (const fn of waiting) fn()
  }
}

let hasherCode: Promise<typeof import('./hasher.js') | undefined> | undefined

/**
 * A Hasher for `data`, or undefined when the MD5 code cannot be fetched. It is fetched only when a
 * part has to be hashed; in the CDN build it is a file of its own (chunks/ beside the entry), which a
 * page may not serve or a network may fail to bring. One try per page: without it, every part stored
 * would ask again.
 */
export async function openHasher(data: Blob): Promise<Hasher | undefined> {
  hasherCode ??= import('./hasher.js').catch((err: unknown) => {
    console.warn('<hoist-uploader>: the MD5 code did not load, so stored parts cannot be checked and a resumed upload sends them again.', err)
    return undefined
  })
  return (await hasherCode)?.openHasher(data)
}

/** An ETag without its quotes (S3 quotes them; some clients and stores do not). */
export const unquote = (etag: string): string => etag.replace(/"/g, '')

/** The MD5 a stored part must have, or undefined when nothing says (the part is then sent again). */
function expected(sums: PartSums, part: ListedPart): string | undefined {
  const kept = sums.md5s?.[part.PartNumber]
  if (kept) return kept
  const etag = unquote(part.ETag).toLowerCase()
  return sums.etagsAreMd5 !== false && /^[0-9a-f]{32}$/.test(etag) ? etag : undefined
}

/**
 * Checks the stored parts against the same slices of `data`, in file order, hashing off the main
 * thread; `onMatch` hears each part that holds the file's bytes. Resolves false at the first part that
 * does not: then the stored upload belongs to another file. Parts of the wrong size, or that nothing
 * can check, are left out (and sent again).
 */
export async function checkStored(
  data: Blob,
  upload: Upload,
  listed: ListedPart[],
  onMatch: (part: ListedPart) => void,
  signal: AbortSignal,
  open: (data: Blob) => Promise<Hasher | undefined> = openHasher,
): Promise<boolean> {
  const checks = listed
    .map((part) => ({ part, range: partRange(data.size, upload.partSize, part.PartNumber), md5: expected(upload, part) }))
    .filter((c) => c.md5 !== undefined && c.part.Size === c.range[1] - c.range[0])
    .sort((a, b) => a.part.PartNumber - b.part.PartNumber)
  if (checks.length === 0) return true
  const hasher = await open(data)
  // Without the MD5 code nothing can check a stored part, so each is treated as one that nothing can
  // check: none is kept, every part is sent again into the same upload (storage keeps the last bytes
  // sent for a part number), and the result is this file's bytes whoever stored the old ones. Failing
  // the upload would cost the user a retry that cannot help; saying "another file" would abort a
  // stored upload that may well be this file's, to send the same bytes into a new one.
  if (!hasher) return true
  if (signal.aborted) {
    hasher.close()
    throw abortError()
  }
  const stop = () => hasher.close()
  signal.addEventListener('abort', stop, { once: true })
  try {
    // Asked all at once: the hasher answers in order, reading ahead, and closing it drops the rest.
    const hashes = checks.map((c) => hasher.md5(...c.range))
    for (const h of hashes) h.catch(() => {}) // the ones after a mismatch reject when the hasher closes
    for (const [i, c] of checks.entries()) {
      if ((await hashes[i]) !== c.md5) return false
      onMatch(c.part)
    }
    return true
  } catch (err) {
    throw signal.aborted ? abortError() : err
  } finally {
    signal.removeEventListener('abort', stop)
    hasher.close()
  }
}

/**
 * Learns, from the first part stored, whether this storage's part ETags are MD5s, by hashing that
 * part off the main thread (once per storage: later uploads take the answer from `StorageFacts`). Where they are not (KMS or
 * customer-key encryption, stores that make ETags up), every part stored is hashed and its MD5 kept.
 */
export class PartLedger {
  readonly #data: Blob
  readonly #partSize: number
  readonly #save: (sums: PartSums) => void
  #sums: PartSums
  #queue: { n: number; etag: string }[] = []
  #hasher: Hasher | undefined
  #draining = false
  #closed = false

  readonly #facts: StorageFacts
  #unwait: (() => void) | undefined

  constructor(data: Blob, upload: Upload, save: (sums: PartSums) => void, facts: StorageFacts = new StorageFacts()) {
    this.#data = data
    this.#partSize = upload.partSize
    this.#sums = { etagsAreMd5: upload.etagsAreMd5, md5s: upload.md5s }
    this.#save = save
    this.#facts = facts
    // Another upload to this storage already found out: saved once the caller holds this ledger
    // (its save callback checks which ledger speaks).
    if (this.#adopt()) queueMicrotask(() => this.#closed || this.#save({ ...this.#sums }))
  }

  /** Takes the answer another upload found, if there is one and this upload has none; true if taken. */
  #adopt(): boolean {
    const known = this.#facts.etagsAreMd5
    if (this.#sums.etagsAreMd5 !== undefined || known === undefined) return false
    this.#sums = known ? { etagsAreMd5: true } : { etagsAreMd5: false, md5s: {} }
    if (known) this.#queue = []
    return true
  }

  /** A stored part's MD5 matched: its ETag says, so the others' will too. */
  confirmed(): void {
    if (this.#sums.etagsAreMd5 !== undefined) return
    this.#sums = { etagsAreMd5: true }
    this.#facts.learned(true)
    this.#save(this.#sums)
  }

  stored(n: number, etag: string): void {
    if (this.#closed || this.#sums.etagsAreMd5 === true) return
    this.#queue.push({ n, etag })
    void this.#drain()
  }

  close(): void {
    this.#closed = true
    this.#unwait?.()
    this.#facts.release(this)
    this.#queue = []
    this.#hasher?.close()
    this.#hasher = undefined
  }

  async #drain(): Promise<void> {
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        if (this.#adopt()) {
          this.#save({ ...this.#sums })
          continue
        }
        if (this.#sums.etagsAreMd5 === undefined && !this.#facts.claim(this)) {
          // Another upload is finding out: this one's parts wait for its answer.
          this.#unwait = this.#facts.wait(() => void this.#drain())
          break
        }
        const { n, etag } = this.#queue.shift()!
        this.#hasher ??= await openHasher(this.#data)
        if (this.#closed) break
        if (!this.#hasher) {
          // No MD5 code: nothing is kept, and a resume sends again the parts it cannot check. Another
          // upload to this storage may try instead (it gets the same answer without a new fetch).
          this.#queue = []
          this.#facts.release(this)
          break
        }
        const hex = await this.#hasher.md5(...partRange(this.#data.size, this.#partSize, n))
        if (this.#closed) break
        if (this.#sums.etagsAreMd5 === undefined) {
          if (hex === unquote(etag).toLowerCase()) {
            this.#queue = []
            this.confirmed()
            break
          }
          this.#sums = { etagsAreMd5: false, md5s: {} }
          this.#facts.learned(false)
        }
        // One object, filled in place: copying it for each of up to 10,000 parts would cost more than it saves.
        this.#sums.md5s![n] = hex
        this.#save({ ...this.#sums })
      }
    } catch {
      // Closed, or the file could not be read: a part without a kept MD5 is sent again on resume.
    } finally {
      this.#draining = false
      // A Worker sits idle between parts otherwise; starting one again costs a few milliseconds.
      if (this.#queue.length === 0) {
        this.#hasher?.close()
        this.#hasher = undefined
      }
    }
  }
}
