import type Uppy from '@uppy/core'
import type { UppyFile } from '@uppy/core'
import type { Processing } from '../prepare/index.js'

type AnyFile = UppyFile<Record<string, unknown>, Record<string, unknown>>

export interface PrepareConfig {
  /** `resize-images`: the longest side, in pixels. */
  maxSide: number | undefined
  quality: number
  convertHeic: boolean
  stripLocation: boolean
}

/** What the element reports of a prepared file (`FileInfo.originalSize` and `processing`), kept on its Uppy file. */
export interface PreparedState {
  originalSize: number
  processing: Processing
}

/** Uppy file state field that holds `PreparedState`; never sent to the server. */
export const PREPARED = 'hoistPrepared'

/** The image preparation chunk (src/prepare/), loaded the first time an added file may need it. */
const load = () => import('../prepare/index.js')

/** Whether an added file may need preparing; the chunk decides for sure, by its bytes. */
function mayNeed(file: AnyFile, config: PrepareConfig): boolean {
  if (file.isRemote || !(file.data instanceof Blob) || typeof file.meta.hoistLink === 'string' || file[PREPARED as keyof AnyFile]) return false
  const type = file.type ?? ''
  const name = file.name ?? ''
  // Browsers often give .heic files no type, or a generic one: those are checked by their first bytes.
  if (config.convertHeic && (/^image\/hei[cf]/.test(type) || /\.hei[cf]$/i.test(name) || type === '' || type === 'application/octet-stream')) return true
  if (config.maxSide && /^image\/(jpeg|png|webp)$/.test(type)) return true
  return config.stripLocation && (type === 'image/jpeg' || (type === '' && /\.jpe?g$/i.test(name)))
}

/**
 * Prepares images as they are added, one at a time (each in a worker where the browser allows), with
 * "Preparing…" on the file while it runs; an upload waits for the files it carries. A file that
 * cannot be prepared is taken out of the list with the reason, as a restriction would: the others go on.
 */
export class Preparer {
  readonly #uppy: Uppy
  readonly #config: () => PrepareConfig
  readonly #failed: (file: AnyFile, message: string) => void
  readonly #pending = new Map<string, Promise<void>>()
  #queue: Promise<void> = Promise.resolve()

  constructor(uppy: Uppy, config: () => PrepareConfig, failed: (file: AnyFile, message: string) => void) {
    this.#uppy = uppy
    this.#config = config
    this.#failed = failed
    uppy.on('file-added', this.#added)
    uppy.addPreProcessor(this.#wait)
  }

  #added = (file: AnyFile): void => {
    if (!mayNeed(file, this.#config())) return
    const done = this.#queue.then(() => this.#prepare(file.id))
    this.#queue = done
    this.#pending.set(file.id, done)
  }

  #wait = async (ids: string[]): Promise<void> => {
    await Promise.all(ids.map((id) => this.#pending.get(id)))
  }

  async #prepare(id: string): Promise<void> {
    const uppy = this.#uppy
    const file = uppy.getFile(id) as AnyFile | undefined
    if (!file) return
    const config = this.#config()
    uppy.emit('preprocess-progress', file as never, { mode: 'indeterminate', message: 'Preparing…' })
    try {
      const { prepareImage } = await load()
      const out = await prepareImage(file.data as Blob, file.name ?? '', { ...config })
      const now = uppy.getFile(id) as AnyFile | undefined
      if (!out || !now) return
      const extension = out.name.includes('.') ? out.name.split('.').pop()! : ''
      const prepared: PreparedState = { originalSize: file.size ?? 0, processing: out.processing }
      uppy.setFileState(id, { data: out.data, size: out.data.size, type: out.type, name: out.name, extension, preview: undefined, meta: { ...now.meta, name: out.name, type: out.type }, [PREPARED]: prepared } as never)
      uppy.emit('thumbnail:request', uppy.getFile(id) as never)
    } catch (err) {
      const now = uppy.getFile(id) as AnyFile | undefined
      if (now) this.#failed(now, `${file.name} could not be prepared: ${(err as Error).message}`)
    } finally {
      this.#pending.delete(id)
      const now = uppy.getFile(id)
      if (now) uppy.emit('preprocess-complete', now)
    }
  }

  destroy(): void {
    this.#uppy.off('file-added', this.#added)
    this.#uppy.removePreProcessor(this.#wait)
  }
}
