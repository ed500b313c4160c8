import type { Backend } from './backend.js'
import { TransportError } from './errors.js'
import type { UploadResult } from './file-upload.js'

/** Ms between status reads: a link's bytes move server to storage, so the page only watches. */
const POLL_EVERY = 500

export interface LinkUploadOptions {
  backend: Backend
  url: string
  /** A name the user gave; the server names it from the link otherwise. */
  filename?: string
  metadata: Record<string, unknown>
  onProgress: (bytesUploaded: number, bytesTotal: number | null) => void
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new DOMException('', 'AbortError'))), { once: true })
  })

/**
 * A file the server fetches from a link: one POST starts it, then its status is read until it is
 * stored. Pausing stops watching (the server goes on) and starting again watches the same fetch.
 */
export class LinkUpload {
  readonly #o: LinkUploadOptions
  #token: string | undefined
  #run: AbortController | undefined

  constructor(options: LinkUploadOptions) {
    this.#o = options
  }

  get running(): boolean {
    return this.#run !== undefined && !this.#run.signal.aborted
  }

  /** Nothing to read in the browser: the bytes never pass through it. */
  setData(): void {}

  async start(onSent?: () => void): Promise<UploadResult> {
    this.#run?.abort()
    const run = (this.#run = new AbortController())
    const { signal } = run
    try {
      this.#token ??= (await this.#o.backend.startLink(this.#o.url, this.#o.filename, this.#o.metadata, signal)).token
      // It waits on the server, not on the page's request limit.
      onSent?.()
      for (;;) {
        const status = await this.#o.backend.linkStatus(this.#token, signal)
        if (status.status === 'success' && status.file) {
          this.#o.onProgress(status.file.size, status.file.size)
          return { key: status.file.key, location: status.file.url, info: status.file, parts: 1 }
        }
        if (status.status === 'error') {
          const error = status.error ?? { code: 'url_failed', message: 'The server could not fetch that link.' }
          // A retry fetches the link again.
          this.#token = undefined
          throw new TransportError(error.code, error.message)
        }
        this.#o.onProgress(status.done ?? 0, status.total ?? null)
        await wait(POLL_EVERY, signal)
      }
    } finally {
      if (this.#run === run) this.#run = undefined
    }
  }

  pause(): void {
    this.#run?.abort()
    this.#run = undefined
  }

  /** Stops watching; the server finishes or fails the fetch on its own. */
  async cancel(): Promise<void> {
    this.pause()
  }
}
