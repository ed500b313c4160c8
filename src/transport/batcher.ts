import { TransportError } from './errors.js'
import { abortError } from './retry.js'

/** How long items wait for company before their call goes out. */
export interface BatchTiming {
  /** Most items in one call. */
  max: number
  /** Ms to wait after the latest item for another (0: the end of the current task). */
  quiet: number
  /** Longest the first item of a call waits, in ms. */
  maxWait: number
}

/** A batch answer's entry for an item that failed: its error body and status. */
interface ItemFailure {
  error: { code?: string; message?: string; status?: number }
}

interface Waiting<Req, Res> {
  item: Req
  resolve: (result: Res) => void
  reject: (err: unknown) => void
  signal?: AbortSignal
  onAbort: () => void
}

/**
 * Gathers the items asked for close together into one endpoint call (`send`), and hands each caller
 * its own answer. A failed item rejects alone; a failed call rejects each of its items, which their
 * callers retry as they would a call of their own. One item goes alone through `sendOne`, as the
 * endpoint's single-file form.
 */
export class Batcher<Req, Res> {
  #waiting: Waiting<Req, Res>[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #firstAt = 0

  constructor(
    private readonly sendOne: (item: Req, signal?: AbortSignal) => Promise<Res>,
    private readonly send: (items: Req[]) => Promise<unknown[]>,
    private readonly failure: (status: number, error: ItemFailure['error']) => TransportError,
    private readonly timing: BatchTiming,
  ) {}

  add(item: Req, signal?: AbortSignal): Promise<Res> {
    if (signal?.aborted) return Promise.reject(abortError())
    return new Promise<Res>((resolve, reject) => {
      const entry: Waiting<Req, Res> = {
        item,
        resolve,
        reject,
        signal,
        onAbort: () => {
          // Still waiting: it leaves the batch. Already sent: its answer is dropped.
          this.#waiting = this.#waiting.filter((w) => w !== entry)
          reject(abortError())
        },
      }
      signal?.addEventListener('abort', entry.onAbort, { once: true })
      if (this.#waiting.length === 0) this.#firstAt = Date.now()
      this.#waiting.push(entry)
      this.#schedule()
    })
  }

  #schedule(): void {
    clearTimeout(this.#timer)
    if (this.#waiting.length >= this.timing.max) return this.#flush()
    const left = this.timing.maxWait - (Date.now() - this.#firstAt)
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, Math.min(this.timing.quiet, left)))
  }

  #flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const batch = this.#waiting.splice(0, this.timing.max)
    if (this.#waiting.length > 0) {
      this.#firstAt = Date.now()
      this.#schedule()
    }
    if (batch.length === 0) return
    const settle = (entry: Waiting<Req, Res>, outcome: () => void) => {
      entry.signal?.removeEventListener('abort', entry.onAbort)
      if (!entry.signal?.aborted) outcome()
    }
    if (batch.length === 1) {
      const [entry] = batch
      this.sendOne(entry.item, entry.signal).then(
        (result) => settle(entry, () => entry.resolve(result)),
        (err) => settle(entry, () => entry.reject(err)),
      )
      return
    }
    this.send(batch.map((w) => w.item)).then(
      (results) => {
        batch.forEach((entry, i) => {
          const result = results?.[i]
          if (result === undefined) return settle(entry, () => entry.reject(new TransportError('invalid_response', 'The endpoint answered fewer results than files it was sent.', { retryable: true })))
          const failed = (result as ItemFailure | null)?.error
          settle(entry, () => (failed ? entry.reject(this.failure(failed.status ?? 500, failed)) : entry.resolve(result as Res)))
        })
      },
      (err) => batch.forEach((entry) => settle(entry, () => entry.reject(err))),
    )
  }
}
