import ImageEditor from '@uppy/image-editor'
import { editorCss } from '../generated/capture-css.js'
import type { Tab } from '../capture.js'

/** Uppy's image editor (crop, rotate, flip), opened from a listed image's edit button. */
export const tab: Tab = { plugin: ImageEditor, css: editorCss, options: { quality: 0.9 } }
