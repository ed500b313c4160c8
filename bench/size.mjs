// Size of the one-file CDN build next to stock Uppy core + dashboard + aws-s3 bundled the same way
// (esbuild, ESM, minified), as gzip bytes of JS + CSS. Prints JSON; `--write` updates bench/RESULTS.md.
import { build } from 'esbuild'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'

const require = createRequire(import.meta.url)
export const BUNDLE_OPTIONS = { bundle: true, format: 'esm', target: 'es2022', minify: true, legalComments: 'none', charset: 'utf8', write: false, logLevel: 'error' }
// The CDN build splits: each language of `locale` is its own chunk, loaded only when used.
export const CDN_OPTIONS = { ...BUNDLE_OPTIONS, splitting: true, outdir: 'dist/cdn', entryNames: '[name]', chunkNames: 'chunks/[name]-[hash]', entryPoints: { 'hoist-uploader': 'src/define.ts' }, tsconfig: 'tsconfig.json' }
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length

export async function measure() {
  const built = await build({ ...CDN_OPTIONS, metafile: true })
  const entryPath = Object.keys(built.metafile.outputs).find((p) => p.endsWith('dist/cdn/hoist-uploader.js'))
  const ours = { outputFiles: built.outputFiles.filter((f) => f.path.endsWith('/dist/cdn/hoist-uploader.js')) }
  const chunks = built.outputFiles.filter((f) => f.path.includes('/chunks/')).length
  // What a page loads before its first upload: the entry and every chunk it imports statically.
  const loaded = new Set()
  const follow = (out) => {
    if (loaded.has(out)) return
    loaded.add(out)
    for (const i of built.metafile.outputs[out].imports) if (i.kind === 'import-statement' && !i.external) follow(i.path)
  }
  follow(entryPath)
  const pageGzip = built.outputFiles.filter((f) => [...loaded].some((o) => f.path.endsWith(o))).reduce((n, f) => n + gz(f.contents), 0)
  // Minified bytes each part of the entry file contributes, from esbuild's own accounting.
  const inputs = built.metafile.outputs[entryPath].inputs
  const bytesOf = (test) => Object.entries(inputs).filter(([path]) => test(path)).reduce((n, [, i]) => n + i.bytesInOutput, 0)
  const parts = {
    lit: bytesOf((p) => /node_modules\/(lit|lit-html|lit-element|@lit\/reactive-element)\//.test(p)),
    hoistCode: bytesOf((p) => p.startsWith('src/') && !p.endsWith('generated/css.ts')),
    css: bytesOf((p) => p.endsWith('generated/css.ts')),
  }
  const baseline = await build({
    ...BUNDLE_OPTIONS,
    stdin: {
      contents: "import Uppy from '@uppy/core'; import Dashboard from '@uppy/dashboard'; import AwsS3 from '@uppy/aws-s3'; globalThis.Uppy = { Uppy, Dashboard, AwsS3 }",
      resolveDir: process.cwd(),
    },
  })
  const css = ['@uppy/core/css/style.min.css', '@uppy/dashboard/css/style.min.css'].map((id) => readFileSync(require.resolve(id), 'utf8')).join('\n')
  // Hoist's CSS is inside its JS (it is adopted into the shadow root); Uppy's ships as a stylesheet.
  const oursGzip = gz(ours.outputFiles[0].contents)
  const baselineJs = gz(baseline.outputFiles[0].contents)
  const baselineCss = gz(Buffer.from(css))
  return {
    hoist: { raw: ours.outputFiles[0].contents.length, gzip: oursGzip, parts, chunks, pageFiles: loaded.size, pageGzip },
    stockUppy: { rawJs: baseline.outputFiles[0].contents.length, gzipJs: baselineJs, gzipCss: baselineCss, gzip: baselineJs + baselineCss },
    ratio: Number((oursGzip / (baselineJs + baselineCss)).toFixed(3)),
    pageRatio: Number((pageGzip / (baselineJs + baselineCss)).toFixed(3)),
  }
}

function version(name) {
  return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
}

export function report(r) {
  const cpus = os.cpus()
  return `# Benchmark results

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.
Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}.
Versions: lit ${version('lit')}, @uppy/core ${version('@uppy/core')}, @uppy/dashboard ${version('@uppy/dashboard')}, @uppy/aws-s3 ${version('@uppy/aws-s3')}, esbuild ${version('esbuild')}.

## Bundle size (script tag)

Both bundled in the same run with esbuild (ESM, minified, no legal comments), measured as gzip -9 bytes of JS + CSS.

| Bundle | Raw JS | Gzip JS + CSS |
| --- | ---: | ---: |
| \`dist/cdn/hoist-uploader.js\` (Lit + Uppy core, Dashboard, Hoist's transport + Dashboard CSS inside) | ${r.hoist.raw.toLocaleString('en')} B | ${r.hoist.gzip.toLocaleString('en')} B |
| stock Uppy core + dashboard + aws-s3, with its two stylesheets | ${r.stockUppy.rawJs.toLocaleString('en')} B | ${r.stockUppy.gzip.toLocaleString('en')} B (${r.stockUppy.gzipJs.toLocaleString('en')} JS + ${r.stockUppy.gzipCss.toLocaleString('en')} CSS) |
| **ratio, entry file alone** | | **${r.ratio.toFixed(3)}×** |
| what a page loads before its first upload: the entry and the ${r.hoist.pageFiles - 1} chunks it imports statically | | ${r.hoist.pageGzip.toLocaleString('en')} B |
| **ratio, what a page loads** | | **${r.pageRatio.toFixed(3)}×** |

A page cannot run the entry file without the chunks it imports, so the second ratio is the one a user meets.
The test budget (\`test/server/cdn-size.test.ts\`, ≤ 1.10×) still counts the entry file alone. Of the minified Hoist bundle,
Lit's runtime (\`ReactiveElement\` only: the element renders one static box, so lit-html's template engine is left out)
is ${r.hoist.parts.lit.toLocaleString('en')} B, Hoist's own code ${r.hoist.parts.hoistCode.toLocaleString('en')} B and the embedded CSS (Uppy's and Hoist's theme layer)
${r.hoist.parts.css.toLocaleString('en')} B; the rest is Uppy itself, as in the baseline. The other ${r.hoist.chunks - (r.hoist.pageFiles - 1)} chunks, loaded lazily
(the languages of \`locale\`, stock \`@uppy/aws-s3\` for \`transport="uppy-aws-s3"\`, Golden Retriever for \`restore\` and the MD5 code), are separate files, fetched only when used, and not counted.
`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measure()
  console.log(JSON.stringify(result, null, 2))
  if (process.argv.includes('--write')) {
    writeFileSync(new URL('RESULTS.md', import.meta.url), report(result))
    console.log('Wrote bench/RESULTS.md')
  }
}
