// `hoist-uploader/uppy`: for pages that work with Uppy itself. Its types are Uppy's own, which use
// Symbol.dispose, so a project importing this entry needs lib "esnext.disposable" (or "esnext").
import type Uppy from '@uppy/core'

export { HoistTransport, type HoistTransportOptions } from './transport/index.js'

// Importing this entry types the element's `uppy` property as Uppy's own `Uppy`.
declare module './element/types.js' {
  interface UppyTypes {
    uppy: Uppy
  }
}
