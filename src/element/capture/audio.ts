import Audio from '@uppy/audio'
import { audioCss } from '../generated/capture-css.js'
import type { Tab } from '../capture.js'

/** The Audio tab (Uppy's Audio plugin): a recording from the microphone. */
export const tab: Tab = { plugin: Audio, css: audioCss, options: () => ({ showRecordingLength: true }) }
