import type { ReactiveController, ReactiveControllerHost } from '@lit/reactive-element'

/** The stored files the form submits (the Uppy controller's). */
interface StoredKeys {
  readonly keys: string[]
  has(fileId: string): boolean
  clear(): void
}

/** What the form needs to know of a file in the list. */
interface ListedFile {
  id: string
  error?: string | null
  progress: { uploadStarted: number | null }
}

interface FormHost extends ReactiveControllerHost, HTMLElement {
  name: string
  required: boolean
}

/**
 * Makes the element a form control: its value is the keys of the files it stored (one entry per
 * key under its `name`), `required` needs at least one, and uploads still running make it invalid.
 */
export class FormController implements ReactiveController {
  readonly #host: FormHost
  readonly #internals: ElementInternals | undefined
  readonly #stored: StoredKeys
  readonly #files: () => ListedFile[]
  readonly #byGroup: () => boolean
  /** With `form-value="group"`: the group of the stored files, and whether a new one is being made. */
  #group: string | undefined
  #grouping = false

  constructor(host: FormHost, files: () => ListedFile[], stored: StoredKeys, byGroup: () => boolean) {
    this.#host = host
    this.#files = files
    this.#stored = stored
    this.#byGroup = byGroup
    // Server rendering has no ElementInternals.
    this.#internals = typeof host.attachInternals === 'function' ? host.attachInternals() : undefined
    host.addController(this)
    host.addEventListener('hoist:group', (e) => {
      const { pending, group } = (e as CustomEvent<{ pending: boolean; group?: { id: string } }>).detail
      this.#grouping = pending
      if (!pending) this.#group = group?.id
      this.#sync()
    })
    // Validity follows every change of what is stored or still uploading.
    for (const name of ['upload-start', 'upload-complete', 'upload-error', 'file-removed', 'all-complete'] as const) {
      host.addEventListener(name, () => this.#sync())
    }
  }

  /** Keys of the stored files, in the order they finished. */
  get keys(): string[] {
    return this.#stored.keys
  }

  get form(): HTMLFormElement | null {
    return this.#internals?.form ?? null
  }

  hostUpdated(): void {
    this.#sync()
  }

  reset(): void {
    this.#stored.clear()
    this.#group = undefined
    this.#grouping = false
    this.#sync()
  }

  checkValidity(): boolean {
    return this.#internals?.checkValidity() ?? true
  }

  reportValidity(): boolean {
    return this.#internals?.reportValidity() ?? true
  }

  #sync(): void {
    const internals = this.#internals
    if (!internals) return
    const data = new FormData()
    const byGroup = this.#byGroup()
    const keys = this.#stored.keys
    if (this.#host.name && byGroup) {
      if (this.#group && keys.length > 0) data.append(this.#host.name, this.#group)
    } else if (this.#host.name) {
      for (const key of keys) data.append(this.#host.name, key)
    }
    internals.setFormValue(data)
    // A file is still on its way from its first byte until its stored key is known, unless it failed;
    // a group is still on its way until its id is known.
    const uploading = this.#files().some((f) => f.progress.uploadStarted && !f.error && !this.#stored.has(f.id)) || (byGroup && this.#grouping)
    if (uploading) {
      internals.setValidity({ customError: true }, 'Wait for the uploads to finish.')
    } else if (this.#host.required && (keys.length === 0 || (byGroup && !this.#group))) {
      internals.setValidity({ valueMissing: true }, 'Upload at least one file.')
    } else {
      internals.setValidity({})
    }
  }
}
