// Builds dist/cdn/hoist-uploader.js: one ES module with Lit, Uppy and the Dashboard CSS inside,
// which registers <hoist-uploader> when loaded. The npm build keeps those as bare imports instead.
import { build } from 'esbuild'
import { BUNDLE_OPTIONS } from '../bench/size.mjs'

// The same options the size benchmark measures, written to disk.
await build({
  ...BUNDLE_OPTIONS,
  write: true,
  entryPoints: { 'hoist-uploader': 'src/define.ts' },
  outdir: 'dist/cdn',
  sourcemap: 'linked',
  tsconfig: 'tsconfig.json',
  logLevel: 'error',
})
