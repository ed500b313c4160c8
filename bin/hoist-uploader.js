#!/usr/bin/env node
import { main } from '../dist/server/cli.js'

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code)
  },
  (err) => {
    console.error(`hoist-uploader: ${err?.message ?? err}`)
    process.exit(1)
  },
)
