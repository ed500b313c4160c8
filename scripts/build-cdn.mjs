// Writes the CDN build (see scripts/cdn.mjs) into dist/cdn, anew: chunks of an older build would
// otherwise stay beside it. The npm build keeps Lit and Uppy as bare imports instead.
import { rmSync } from 'node:fs'
import { buildCdn } from './cdn.mjs'

rmSync('dist/cdn', { recursive: true, force: true })
await buildCdn({ write: true, sourcemap: 'linked' })
