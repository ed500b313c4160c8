import { UIPlugin, type Body, type Meta, type Uppy, type UIPluginOptions } from '@uppy/core'
import { h } from 'preact'

export interface LinkSourceOptions extends UIPluginOptions {
  /** Adds the link as a file; a bad link rejects with the reason to show. */
  add: (url: string) => Promise<unknown>
}

// The @uppy/url plugin's strings, so the languages in @uppy/locales already translate them.
const defaultLocale = {
  strings: {
    enterUrlToImport: 'Enter URL to import a file',
    import: 'Import',
    enterCorrectUrl: 'Incorrect URL: Please make sure you are entering a direct link to a file',
  },
}

/**
 * The Dashboard's "Link" tab: a URL field whose file the server fetches (`POST {endpoint}/url`). The
 * file then sits in the list like any other, with its progress and events.
 */
export class LinkSource<M extends Meta, B extends Body> extends UIPlugin<LinkSourceOptions, M, B> {
  #error = ''

  constructor(uppy: Uppy<M, B>, opts: LinkSourceOptions) {
    super(uppy, opts)
    this.id = opts.id ?? 'HoistLink'
    this.type = 'acquirer'
    this.title = 'Link'
    this.defaultLocale = defaultLocale
    this.i18nInit()
  }

  override install(): void {
    if (this.opts.target) this.mount(this.opts.target, this)
  }

  override uninstall(): void {
    this.unmount()
  }

  icon = () =>
    h('svg', { 'aria-hidden': 'true', focusable: 'false', width: 32, height: 32, viewBox: '0 0 32 32' }, [
      h('path', { d: 'M13.6 18.4a4 4 0 0 0 5.7 0l4-4a4 4 0 0 0-5.7-5.7l-1.1 1.1 1.4 1.4 1.1-1.1a2 2 0 0 1 2.9 2.9l-4 4a2 2 0 0 1-2.9 0zm4.8-4.8a4 4 0 0 0-5.7 0l-4 4a4 4 0 0 0 5.7 5.7l1.1-1.1-1.4-1.4-1.1 1.1a2 2 0 0 1-2.9-2.9l4-4a2 2 0 0 1 2.9 0z', fill: 'currentcolor' }),
    ])

  #submit = (event: Event): void => {
    event.preventDefault()
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('url') as HTMLInputElement
    const url = input.value.trim()
    this.#error = ''
    this.opts.add(url).then(
      () => (input.value = ''),
      (err: Error) => {
        this.#error = err.message || this.i18n('enterCorrectUrl')
        this.setPluginState({})
      },
    )
  }

  override render() {
    const errorId = `${this.id}-error`
    return h('form', { class: 'hoist-Link', onSubmit: this.#submit, noValidate: true }, [
      h('label', { class: 'hoist-Link-label', for: `${this.id}-url` }, this.i18n('enterUrlToImport')),
      h('div', { class: 'hoist-Link-row' }, [
        h('input', {
          id: `${this.id}-url`,
          name: 'url',
          class: 'uppy-u-reset uppy-c-textInput hoist-Link-input',
          type: 'url',
          inputMode: 'url',
          autoComplete: 'off',
          placeholder: 'https://',
          required: true,
          'aria-invalid': this.#error ? 'true' : undefined,
          'aria-describedby': this.#error ? errorId : undefined,
        }),
        h('button', { type: 'submit', class: 'uppy-u-reset uppy-c-btn uppy-c-btn-primary hoist-Link-button' }, this.i18n('import')),
      ]),
      this.#error ? h('p', { id: errorId, class: 'hoist-Link-error', role: 'alert' }, this.#error) : null,
    ])
  }
}
