export { HoistUploader } from './hoist-uploader.js'
export type { FileInfo, FileSummary, UploadErrorInfo, FailedUpload, HoistEventDetails, HoistEventName } from './events.js'
export type { HeadersOption, HoistUppy, TransportName, UppyHandle } from './types.js'
export type { UppyLocale } from './locales.js'
