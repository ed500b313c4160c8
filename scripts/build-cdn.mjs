// Builds dist/cdn/hoist-uploader.js: one ES module with Lit, Uppy and the Dashboard CSS inside,
// which registers <hoist-uploader> when loaded. The npm build keeps those as bare imports instead.
import { build } from 'esbuild'
import { CDN_OPTIONS } from '../bench/size.mjs'

// The same options the size benchmark measures, written to disk.
await build({ ...CDN_OPTIONS, write: true, sourcemap: 'linked' })
