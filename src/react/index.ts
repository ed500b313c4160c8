import * as React from 'react'
import { createHoistUploader } from './component.js'
import { HoistUploader as HoistUploaderElement } from '../element/hoist-uploader.js'

/**
 * `<hoist-uploader>` as a React component. Properties (including `meta`) pass straight to the
 * element, events arrive as typed `on…` props, and `ref` gives the element.
 */
export const HoistUploader = createHoistUploader(React)

export { createHoistUploader }
export type { FileInfo, FileSummary, UploadErrorInfo, FailedUpload } from '../element/events.js'
export { HoistUploaderElement }
