import { abortError } from './retry.js'

/**
 * Spreads the start of a file's first parts. Equal parts started together finish together, and then
 * every connection waits out its round trip at the same moment while the link sits idle — on a far
 * link that costs a round trip per wave of parts. So each part of the first wave starts once the
 * part started before it has sent 1/limit of its bytes (or after `maxWait`), and the connections
 * stay out of step for the rest of the upload. Later parts start as soon as a request slot frees.
 */
export class Ramp {
  #started = 0
  #last: number | undefined
  #waiters = new Set<() => void>()

  constructor(
    private readonly limit: number,
    private readonly threshold: number,
    /** Bytes part `n` has sent so far (Infinity once stored). */
    private readonly sent: (n: number) => number,
    private readonly maxWait = 1000,
  ) {}

  /** Resolves when part `n` may start. */
  async gate(n: number, signal: AbortSignal): Promise<void> {
    if (this.#started >= this.limit) return
    this.#started++
    const before = this.#last
    this.#last = n
    if (before === undefined) return
    const ready = () => this.sent(before) >= this.threshold
    if (ready()) return
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        signal.removeEventListener('abort', onAbort)
      }
      const check = () => {
        if (!ready()) return
        done()
        resolve()
      }
      const onAbort = () => {
        done()
        reject(abortError())
      }
      const timer = setTimeout(() => {
        done()
        resolve()
      }, this.maxWait)
      this.#waiters.add(check)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Called on every progress event. */
  progressed(): void {
    for (const check of [...this.#waiters]) check()
  }
}
