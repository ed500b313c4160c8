import { HoistUploader } from './element/hoist-uploader.js'

export { HoistUploader }

declare global {
  interface HTMLElementTagNameMap {
    'hoist-uploader': HoistUploader
  }
}

// Guarded so that server rendering (no customElements) can import this module.
if (typeof customElements !== 'undefined' && !customElements.get('hoist-uploader')) {
  customElements.define('hoist-uploader', HoistUploader)
}
