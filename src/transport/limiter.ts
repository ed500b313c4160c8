import { abortError } from './retry.js'

/** Runs at most `limit` tasks at once, first come first served; one limiter serves every file. */
export class Limiter {
  limit: number
  #active = 0
  #waiting: { start: () => void; signal?: AbortSignal; cancel: () => void }[] = []

  constructor(limit: number) {
    this.limit = limit
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal)
    try {
      return await task()
    } finally {
      this.#active--
      this.#next()
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError())
    if (this.#active < this.limit) {
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
    while (this.#active < this.limit && this.#waiting.length > 0) {
      this.#active++
      this.#waiting.shift()!.start()
    }
  }
}
