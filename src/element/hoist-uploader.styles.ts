import { unsafeCSS } from '@lit/reactive-element'
import { themeCss, uppyCss } from './generated/css.js'

/** Uppy's core and Dashboard CSS, then Hoist's theme layer (src/element/hoist-uploader.css). */
export const styles = [unsafeCSS(uppyCss), unsafeCSS(themeCss)]
