// What a page loads before its first upload with the CDN build (the entry file and every chunk it
// imports statically: now the entry alone), next to stock Uppy core + dashboard + aws-s3 bundled the
// same way (esbuild, ESM, minified), as gzip bytes of JS + CSS. Prints JSON; `--write` updates bench/RESULTS.md.
import { build } from 'esbuild'
import { readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { BUNDLE_OPTIONS, buildCdn } from '../scripts/cdn.mjs'

const require = createRequire(import.meta.url)
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length

export async function measure() {
  const { entry, extras, entryPath } = await buildCdn()
  const outputs = entry.metafile.outputs
  const fileOf = (out) => entry.outputFiles.find((f) => f.path.endsWith(`/${out}`))
  // What a page loads before its first upload: the entry and every local file it imports statically.
  const loaded = new Set()
  const follow = (out) => {
    if (loaded.has(out)) return
    loaded.add(out)
    for (const i of outputs[out].imports) if (i.kind === 'import-statement' && !i.external) follow(i.path)
  }
  follow(entryPath)
  const pageGzip = [...loaded].reduce((n, out) => n + gz(fileOf(out).contents), 0)
  // Minified bytes each part of the entry file contributes, from esbuild's own accounting.
  const inputs = outputs[entryPath].inputs
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
  const own = fileOf(entryPath).contents
  const baselineJs = gz(baseline.outputFiles[0].contents)
  const baselineCss = gz(Buffer.from(css))
  return {
    hoist: {
      raw: own.length,
      gzip: gz(own),
      parts,
      staticImports: loaded.size - 1,
      pageGzip,
      lazyFiles: extras.outputFiles.filter((f) => f.path.endsWith('.js')).length,
      lazy: lazySizes(extras),
    },
    stockUppy: { rawJs: baseline.outputFiles[0].contents.length, gzipJs: baselineJs, gzipCss: baselineCss, gzip: baselineJs + baselineCss },
    // What a page loads before its first upload, over stock Uppy: the figure every budget uses.
    ratio: Number((pageGzip / (baselineJs + baselineCss)).toFixed(3)),
  }
}

/** The capture and preparation chunks a page fetches when it uses them, gzip bytes each, by file name without its hash. */
const FEATURE_CHUNKS = { camera: 'sources="camera"', screen: 'sources="screen"', audio: 'sources="audio"', 'image-editor': 'image-editor', prepare: 'the first image added (previews, location removal, resize-images, convert-heic)', 'heic-worker': 'the first HEIC file, with convert-heic (libheif as WebAssembly)' }
function lazySizes(extras) {
  const named = (f) => f.path.split('/').pop().replace(/-[A-Z0-9]+\.js$/, '')
  return Object.entries(FEATURE_CHUNKS).map(([name, when]) => {
    const file = extras.outputFiles.find((f) => f.path.endsWith('.js') && named(f) === name)
    if (!file) throw new Error(`no chunk named ${name} in the CDN build`)
    return { name, when, raw: file.contents.length, gzip: gz(file.contents) }
  })
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

What a page loads before its first upload, next to stock Uppy, both bundled in the same run with esbuild (ESM, minified, no legal comments), measured as gzip -9 bytes of JS + CSS.

| Bundle | Raw JS | Gzip JS + CSS |
| --- | ---: | ---: |
| \`dist/cdn/hoist-uploader.js\` (Lit + Uppy core, Dashboard, Hoist's transport + Dashboard CSS inside), which imports ${r.hoist.staticImports === 0 ? 'no other file' : `${r.hoist.staticImports} other files`} statically | ${r.hoist.raw.toLocaleString('en')} B | ${r.hoist.pageGzip.toLocaleString('en')} B |
| stock Uppy core + dashboard + aws-s3, with its two stylesheets | ${r.stockUppy.rawJs.toLocaleString('en')} B | ${r.stockUppy.gzip.toLocaleString('en')} B (${r.stockUppy.gzipJs.toLocaleString('en')} JS + ${r.stockUppy.gzipCss.toLocaleString('en')} CSS) |
| **ratio** | | **${r.ratio.toFixed(3)}×** |

The entry file works alone: a page that serves only it registers the tag and uploads. The test budget
(\`test/server/cdn-size.test.ts\`, ≤ 1.00×) counts the entry and every file it imports statically, and
checks that there are none. Of the minified entry,
Lit's runtime (\`ReactiveElement\` only: the element renders one static box, so lit-html's template engine is left out)
is ${r.hoist.parts.lit.toLocaleString('en')} B, Hoist's own code ${r.hoist.parts.hoistCode.toLocaleString('en')} B and the embedded CSS (Uppy's, less the rules of the modal and of the
remote-provider browser that the inline Dashboard never renders, and Hoist's theme layer) ${r.hoist.parts.css.toLocaleString('en')} B; the rest is
Uppy itself, less the remote-provider browser. The ${r.hoist.lazyFiles} lazy files in \`chunks/\` beside it
(the languages of \`locale\`, stock \`@uppy/aws-s3\` for \`transport="uppy-aws-s3"\`, Golden Retriever for \`restore\` and the MD5 code
that checks stored parts on resume, the capture tabs, the image editor and image preparation) are fetched only when used, and not
counted; without them a page still uploads, in English, and a resume sends again the parts it cannot check. The capture tabs and
the editor use the entry's Preact and Uppy \`UIPlugin\` (handed over through one global), so they carry only their own code:

| Chunk | Fetched with | Raw | Gzip |
| --- | --- | ---: | ---: |
${r.hoist.lazy.map((c) => `| \`${c.name}\` | ${c.when} | ${c.raw.toLocaleString('en')} B | ${c.gzip.toLocaleString('en')} B |`).join('\n')}
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
