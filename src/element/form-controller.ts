import type { ReactiveController, ReactiveControllerHost } from '@lit/reactive-element'

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
  readonly #keys = new Map<string, string>()
  #uploading = 0

  constructor(host: FormHost) {
    this.#host = host
    // Server rendering has no ElementInternals.
    this.#internals = typeof host.attachInternals === 'function' ? host.attachInternals() : undefined
    host.addController(this)
    host.addEventListener('upload-start', (e) => {
      this.#uploading += e.detail.files.length
      this.#sync()
    })
    host.addEventListener('upload-complete', (e) => {
      this.#keys.set(e.detail.file.id, e.detail.file.key)
      this.#uploading = Math.max(0, this.#uploading - 1)
      this.#sync()
    })
    host.addEventListener('upload-error', () => {
      this.#uploading = Math.max(0, this.#uploading - 1)
      this.#sync()
    })
    host.addEventListener('file-removed', (e) => {
      this.#keys.delete(e.detail.file.id)
      this.#sync()
    })
    host.addEventListener('all-complete', () => {
      this.#uploading = 0
      this.#sync()
    })
  }

  /** Keys of the stored files, in the order they finished. */
  get keys(): string[] {
    return [...this.#keys.values()]
  }

  get form(): HTMLFormElement | null {
    return this.#internals?.form ?? null
  }

  hostUpdated(): void {
    this.#sync()
  }

  reset(): void {
    this.#keys.clear()
    this.#uploading = 0
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
    if (this.#host.name) for (const key of this.#keys.values()) data.append(this.#host.name, key)
    internals.setFormValue(data)
    if (this.#uploading > 0) {
      internals.setValidity({ customError: true }, 'Wait for the uploads to finish.')
    } else if (this.#host.required && this.#keys.size === 0) {
      internals.setValidity({ valueMissing: true }, 'Upload at least one file.')
    } else {
      internals.setValidity({})
    }
  }
}
