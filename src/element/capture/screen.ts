import ScreenCapture from '@uppy/screen-capture'
import { screenCss } from '../generated/capture-css.js'
import type { Tab } from '../capture.js'

/** The Screencast tab (Uppy's ScreenCapture plugin): a recording or a screenshot of a screen, window or tab. */
export const tab: Tab = { plugin: ScreenCapture, css: screenCss, options: () => ({}) }
