export * from './element/index.js'
export { HoistTransport, type HoistTransportOptions, type HeadersOption } from './transport/index.js'
