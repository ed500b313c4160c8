export { HoistTransport, type HoistTransportOptions } from './plugin.js'
export { endpointAuth, type HeadersOption, type StoredInfo } from './backend.js'
export type { MultipartState } from './file-upload.js'
export { partSizeFor, MIN_PART_SIZE } from '../shared/parts.js'
