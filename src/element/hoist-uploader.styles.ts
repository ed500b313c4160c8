import { css, unsafeCSS } from 'lit'
import uppyCss from './generated/uppy-css.js'

export const styles = [
  unsafeCSS(uppyCss),
  css`
    :host {
      display: block;
      font-family: var(--hoist-font, inherit);
    }
    :host([hidden]) {
      display: none;
    }
    .container {
      border-radius: var(--hoist-radius, 8px);
    }
  `,
]
