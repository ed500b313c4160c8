import { abortError } from './retry.js'

/**
 * Runs at most `limit` tasks at once, first come first served; one limiter serves every file.
 * With `refillAt`, waiting tasks start only once no more than that many run, and then as many as
 * fit start together (so work they share, such as one endpoint call for all, can be gathered).
 */
export class Limiter {
  limit: number
  refillAt: number | undefined
  #active = 0
  #waiting: { start: () => void; signal?: AbortSignal; cancel: () => void }[] = []

  constructor(limit: number, refillAt?: number) {
    this.limit = limit
    this.refillAt = refillAt
  }

  /** Runs `task` when a slot is free; the task may hand its slot on early with `release` (once it no longer needs it). */
  async run<T>(task: (release: () => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal)
    let held = true
    const release = () => {
      if (!held) return
      held = false
      this.#active--
      this.#next()
    }
    try {
      return await task(release)
    } finally {
      release()
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError())
    if (this.#active < this.limit && this.#waiting.length === 0) {
      this.#active++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const entry = {
        signal,
        start: () => {
          signal?.removeEventListener('abort', entry.cancel)
          resolve()
        },
        cancel: () => {
          this.#waiting = this.#waiting.filter((w) => w !== entry)
          reject(abortError())
        },
      }
      signal?.addEventListener('abort', entry.cancel, { once: true })
      this.#waiting.push(entry)
    })
  }

  #next(): void {
    if (this.refillAt !== undefined && this.#active > this.refillAt) return
    while (this.#active < this.limit && this.#waiting.length > 0) {
      this.#active++
      this.#waiting.shift()!.start()
    }
  }
}
