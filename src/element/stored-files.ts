import { toErrorInfo } from './errors.js'
import { emit, type FileSummary, type GroupInfo } from './events.js'
import { endpointClient } from './file-info.js'
import type { HeadersOption } from './types.js'

interface Settings {
  endpoint: string | undefined
  headers: HeadersOption | undefined
  withCredentials: boolean
  deleteOnRemove: boolean
  group: boolean
}

/**
 * The stored files still in the list, and what follows from them: with `delete-on-remove` a file the
 * user removes is deleted from storage, and with `group` they are grouped after each run and again
 * when one is removed. The form hears of groups through `hoist:group` on the host.
 */
export class StoredFiles {
  readonly #host: HTMLElement
  readonly #settings: () => Settings
  /** Keys by file id. */
  readonly #keys = new Map<string, string>()
  /** Set while Uppy empties the list itself (cancel all, reset): those removals delete nothing. */
  #clearing = false
  /** The latest group asked for; only its answer counts. */
  #groupRequest = 0

  constructor(host: HTMLElement, settings: () => Settings) {
    this.#host = host
    this.#settings = settings
  }

  get size(): number {
    return this.#keys.size
  }

  /** Keys of the stored files, in the order they finished: the element's form value. */
  get keys(): string[] {
    return [...this.#keys.values()]
  }

  has(fileId: string): boolean {
    return this.#keys.has(fileId)
  }

  add(fileId: string, key: string): void {
    this.#keys.set(fileId, key)
  }

  clear(): void {
    this.#keys.clear()
  }

  /** Uppy is about to remove every file because the user cancelled or the page reset: keep them in storage. */
  clearing(): void {
    this.#clearing = true
    queueMicrotask(() => (this.#clearing = false))
  }

  /** A file left the list. */
  removed(file: FileSummary): void {
    const key = this.#keys.get(file.id)
    if (key === undefined) return
    this.#keys.delete(file.id)
    if (this.#clearing) return
    const s = this.#settings()
    if (s.deleteOnRemove) {
      this.#client()
        .deleteObject(key)
        .then(
          () => emit(this.#host, 'file-deleted', { file, key }),
          (err) => emit(this.#host, 'file-deleted', { file, key, error: toErrorInfo(err) }),
        )
    }
    if (s.group) {
      if (this.#keys.size > 0) void this.group()
      else this.#tell(false)
    }
  }

  /** Groups every stored file in the list; null when that failed (reported as an `upload-error` without a file). */
  async group(): Promise<GroupInfo | null> {
    const request = ++this.#groupRequest
    this.#tell(true)
    try {
      const { id, count } = await this.#client().group([...this.#keys.values()])
      if (request === this.#groupRequest) this.#tell(false, { id, count })
      return { id, count }
    } catch (err) {
      if (request === this.#groupRequest) this.#tell(false)
      emit(this.#host, 'upload-error', { file: null, error: toErrorInfo(err) })
      return null
    }
  }

  #tell(pending: boolean, group?: GroupInfo): void {
    this.#host.dispatchEvent(new CustomEvent('hoist:group', { detail: { pending, group } }))
  }

  #client() {
    const s = this.#settings()
    return endpointClient({ endpoint: s.endpoint ?? '', headers: s.headers, withCredentials: s.withCredentials })
  }
}
