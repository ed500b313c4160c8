import type { Backend, SignedParts } from './backend.js'
import { TransportError } from './errors.js'

interface Signed {
  url: string
  /** When to stop trusting the URL: 80 % of its lifetime, so a slow PUT still starts in time. */
  useBy: number
}

/** Companion does not say how long its URLs last; its default is 5 minutes. */
const DEFAULT_LIFETIME = 300

/**
 * Hands out part URLs, signing many parts per round trip and signing ahead of the PUTs, so a part
 * never waits on the endpoint. A part whose PUT failed is forgotten and signed again with the next batch.
 */
export class Signer {
  readonly #backend: Backend
  readonly #upload: { key: string; uploadId: string }
  /** Part numbers in upload order, and how far into it we have signed. */
  readonly #order: number[]
  #next = 0
  readonly #batch: number
  readonly #ahead: () => number
  #urls = new Map<number, Signed>()
  #pending = new Map<number, Promise<void>>()

  constructor(backend: Backend, upload: { key: string; uploadId: string }, order: number[], batch: number, ahead: () => number) {
    this.#backend = backend
    this.#upload = upload
    this.#order = order
    this.#batch = batch
    this.#ahead = ahead
  }

  async url(n: number, signal: AbortSignal): Promise<string> {
    for (let tries = 0; tries < 3; tries++) {
      const signed = this.#urls.get(n)
      if (signed && Date.now() < signed.useBy) {
        this.#urls.delete(n)
        this.#prefetch(signal)
        return signed.url
      }
      this.#urls.delete(n)
      await (this.#pending.get(n) ?? this.#sign(n, signal))
    }
    throw new TransportError('sign_failed', `The endpoint did not sign part ${n}.`, { retryable: true })
  }

  /** URLs for the first parts in order, signed with the create call. */
  seed(signed: SignedParts): void {
    this.#add(signed)
    while (this.#next < this.#order.length && this.#urls.has(this.#order[this.#next])) this.#next++
  }

  #add({ presignedUrls, expires }: SignedParts): void {
    const useBy = Date.now() + (expires ?? DEFAULT_LIFETIME) * 800
    for (const [n, url] of Object.entries(presignedUrls)) this.#urls.set(Number(n), { url, useBy })
  }

  forget(n: number): void {
    this.#urls.delete(n)
  }

  /** Keeps at least a concurrency's worth of unused URLs signed. */
  #prefetch(signal: AbortSignal): void {
    if (this.#next >= this.#order.length || this.#pending.size > 0) return
    if (this.#urls.size >= this.#ahead()) return
    this.#sign(undefined, signal).catch(() => {
      // The part that needs the URL signs again and reports the error.
    })
  }

  /** Signs `first` (if given) plus the next unsigned parts in order, up to one batch. */
  #sign(first: number | undefined, signal: AbortSignal): Promise<void> {
    const numbers = first === undefined ? [] : [first]
    while (numbers.length < this.#batch && this.#next < this.#order.length) {
      const n = this.#order[this.#next++]
      if (n !== first && !this.#urls.has(n) && !this.#pending.has(n)) numbers.push(n)
    }
    if (numbers.length === 0) return Promise.resolve()
    const request = this.#backend.sign(this.#upload.key, this.#upload.uploadId, numbers, signal).then((signed) => this.#add(signed))
    const settled = request.finally(() => {
      for (const n of numbers) if (this.#pending.get(n) === settled) this.#pending.delete(n)
    })
    for (const n of numbers) this.#pending.set(n, settled)
    return settled
  }
}
