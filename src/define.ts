import { HoistUploader } from './element/hoist-uploader.js'

export { HoistUploader }

declare global {
  interface HTMLElementTagNameMap {
    'hoist-uploader': HoistUploader
  }
}

if (!customElements.get('hoist-uploader')) customElements.define('hoist-uploader', HoistUploader)
