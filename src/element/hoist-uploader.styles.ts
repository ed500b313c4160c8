import { css, unsafeCSS } from 'lit'
import uppyCss from './generated/uppy-css.js'

// Public --hoist-* properties feed private --_* ones, whose defaults follow the theme. The rules
// below sit after Uppy's CSS with `.container` in front, so they win over its light and dark colours.
const dark = css`
  --_accent: var(--hoist-accent, #02baf2);
  --_accent-text: var(--hoist-accent-text, #0b1a24);
  --_background: var(--hoist-background, #1f1f1f);
  --_surface: var(--hoist-surface, #1f1f1f);
  --_text: var(--hoist-text, #eaeaea);
  --_muted: var(--hoist-muted, #cfcfcf);
  --_border: var(--hoist-border, #333);
  --_dropzone-background: var(--hoist-dropzone-background, transparent);
  --_dropzone-border: var(--hoist-dropzone-border, #757575);
`

export const styles = [
  unsafeCSS(uppyCss),
  css`
    :host {
      display: block;
      --_accent: var(--hoist-accent, #1269cf);
      --_accent-text: var(--hoist-accent-text, #fff);
      --_background: var(--hoist-background, #f4f4f4);
      --_surface: var(--hoist-surface, #fafafa);
      --_text: var(--hoist-text, #000);
      --_muted: var(--hoist-muted, #757575);
      --_border: var(--hoist-border, #eaeaea);
      --_radius: var(--hoist-radius, 5px);
      --_spacing: var(--hoist-spacing, 15px);
      --_dropzone-background: var(--hoist-dropzone-background, transparent);
      --_dropzone-border: var(--hoist-dropzone-border, #dfdfdf);
      --uppy-font-family: var(--hoist-font);
    }
    :host([theme='dark']) {
      ${dark}
    }
    @media (prefers-color-scheme: dark) {
      :host([theme='auto']) {
        ${dark}
      }
    }
    :host([hidden]) {
      display: none;
    }
    .container {
      border-radius: var(--_radius);
    }
    .container .uppy-Dashboard-inner {
      background-color: var(--_background);
      border-color: var(--_border);
      border-radius: var(--_radius);
    }
    .container .uppy-Dashboard-AddFiles {
      background-color: var(--_dropzone-background);
      border-color: var(--_dropzone-border);
      border-radius: calc(var(--_radius) * 0.6);
    }
    .container .uppy-Dashboard-AddFiles-title,
    .container .uppy-Dashboard-Item-name,
    .container .uppy-DashboardContent-title {
      color: var(--_text);
    }
    .container .uppy-Dashboard-note,
    .container .uppy-Dashboard-Item-statusSize {
      color: var(--_muted);
    }
    .container .uppy-Dashboard-browse,
    .container .uppy-DashboardContent-addMore,
    .container .uppy-DashboardContent-back,
    .container .uppy-StatusBar-actionBtn--done {
      color: var(--_accent);
    }
    .container .uppy-StatusBar-progress {
      background-color: var(--_accent);
    }
    /* The primary action takes the accent (Uppy paints it green). */
    .container .uppy-StatusBar.is-waiting .uppy-StatusBar-actionBtn--upload,
    .container .uppy-StatusBar.is-waiting .uppy-StatusBar-actionBtn--upload:hover {
      color: var(--_accent-text);
      background-color: var(--_accent);
    }
    .container .uppy-StatusBar.is-waiting .uppy-StatusBar-actionBtn--upload:hover {
      filter: brightness(0.9);
    }
    .container .uppy-StatusBar:not(.is-waiting) .uppy-StatusBar-actionBtn--upload {
      color: var(--_accent);
    }
    .container .uppy-DashboardContent-bar,
    .container .uppy-StatusBar {
      background-color: var(--_surface);
      border-color: var(--_border);
    }
    .container .uppy-Dashboard-files {
      padding-block: calc(var(--_spacing) * 0.67);
    }
    .container .uppy-Dashboard-Item {
      padding-inline: calc(var(--_spacing) * 0.67);
    }
  `,
]
