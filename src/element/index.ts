export { HoistUploader } from './hoist-uploader.js'
export type { FileInfo, FileSummary, UploadErrorInfo, FailedUpload, HoistEventDetails, HoistEventName } from './events.js'
