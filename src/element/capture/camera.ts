import Webcam from '@uppy/webcam'
import { cameraCss } from '../generated/capture-css.js'
import type { Tab } from '../capture.js'

/** The Camera tab (Uppy's Webcam plugin): a photo, or a video with sound. */
export const tab: Tab = { plugin: Webcam, css: cameraCss, options: () => ({ modes: ['picture', 'video-audio'], showVideoSourceDropdown: true, showRecordingLength: true }) }
