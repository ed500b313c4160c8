// The CDN build, which `npm run build` writes and the size benchmark measures:
// - dist/cdn/hoist-uploader.js, one ES module with Lit, Uppy and the Dashboard CSS inside, which
//   registers <hoist-uploader> when loaded and uploads with nothing else beside it;
// - dist/cdn/chunks/, what it fetches only when a page asks for it: the languages of `locale`,
//   stock `@uppy/aws-s3`, Golden Retriever and the MD5 hasher.
// A lazy extra must never share a chunk with the entry: the entry would import that chunk
// statically, and a page serving the one file would break. So the extras are built on their own,
// each a standalone file with its own copy of what it needs from Uppy; the duplicate bytes cost
// only the page that loads the extra.
import { parse } from 'acorn'
import { build } from 'esbuild'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export const BUNDLE_OPTIONS = { bundle: true, format: 'esm', target: 'es2022', minify: true, legalComments: 'none', charset: 'utf8', write: false, logLevel: 'error' }
const OUT = 'dist/cdn'

const require = createRequire(import.meta.url)
const localeDir = dirname(require.resolve('@uppy/locales/lib/de_DE.js'))
const locales = readdirSync(localeDir).filter((f) => /^[a-z]{2,3}_[A-Z]{2}\.js$/.test(f)).map((f) => f.slice(0, -3))

/** The `import()`s the entry leaves to separate builds, by specifier: each one's file name and source. */
const EXTRAS = new Map([
  ['@uppy/aws-s3', { name: 'aws-s3', entry: '@uppy/aws-s3' }],
  ['@uppy/golden-retriever', { name: 'golden-retriever', entry: '@uppy/golden-retriever' }],
  ['./hasher.js', { name: 'hasher', entry: 'src/transport/hasher.ts' }],
  ...locales.map((code) => [`@uppy/locales/lib/${code}.js`, { name: code, entry: `@uppy/locales/lib/${code}.js` }]),
])

/** Points each extra's `import()` at its built file, relative to the entry (dist/cdn/). */
function extrasPlugin(files) {
  return {
    name: 'hoist-extras',
    setup(b) {
      b.onResolve({ filter: /^(@uppy\/(aws-s3|golden-retriever|locales\/lib\/\w+\.js)|\.\/hasher\.js)$/ }, (args) => {
        const extra = args.kind === 'dynamic-import' && EXTRAS.get(args.path)
        return extra ? { path: `./${files.get(extra.name)}`, external: true } : undefined
      })
    },
  }
}

/** Uppy's package.json files shrunk to `version`, the one field Uppy's code reads from them. */
const uppyVersions = {
  name: 'uppy-versions',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@uppy[\\/][^\\/]+[\\/]package\.json$/ }, (args) => ({
      contents: JSON.stringify({ version: JSON.parse(readFileSync(args.path, 'utf8')).version }),
      loader: 'json',
    }))
  },
}

/**
 * The Dashboard imports one thing from `@uppy/core/provider-views`, the icon it gives a picker
 * plugin that has none; that module also holds the remote-provider browser, whose class keeps static
 * fields that esbuild must keep, so the whole browser (and p-queue) would come along. Hoist's
 * Dashboard lists local files only, so the entry gets the icon alone, Uppy's own source of it.
 */
const pickerIconOnly = {
  name: 'picker-icon-only',
  setup(b) {
    b.onResolve({ filter: /^@uppy\/core\/provider-views$/ }, (args) =>
      /[\\/]@uppy[\\/]dashboard[\\/]/.test(args.importer) ? { path: join(dirname(require.resolve('@uppy/core')), 'provider-views/ProviderView/ProviderView.js'), namespace: 'picker-icon' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'picker-icon' }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const program = parse(source, { ecmaVersion: 'latest', sourceType: 'module' })
      const text = (node) => source.slice(node.start, node.end)
      const jsx = program.body.filter((n) => n.type === 'ImportDeclaration' && n.source.value === 'preact/jsx-runtime')
      const icon = program.body.find((n) => n.type === 'ExportNamedDeclaration' && n.declaration?.id?.name === 'defaultPickerIcon')
      if (!icon || jsx.length === 0) throw new Error(`${args.path} no longer exports defaultPickerIcon as a function using preact/jsx-runtime: update scripts/cdn.mjs`)
      return { contents: [...jsx, icon].map(text).join('\n'), resolveDir: dirname(args.path), loader: 'js' }
    })
  },
}

/**
 * Builds the extras, then the entry against their file names (no code splitting anywhere: a split
 * build puts even esbuild's own helpers in a chunk that every file imports). Returns both esbuild results, with metafiles; `write` puts them in dist/cdn.
 */
export async function buildCdn({ write = false, sourcemap = false } = {}) {
  const common = { ...BUNDLE_OPTIONS, write, sourcemap, metafile: true, tsconfig: 'tsconfig.json', plugins: [uppyVersions] }
  const extras = await build({
    ...common,
    entryPoints: Object.fromEntries([...EXTRAS.values()].map((e) => [e.name, e.entry])),
    outdir: `${OUT}/chunks`,
    entryNames: '[name]-[hash]',
  })
  // Output paths end in `name-HASH.js`; names hold no `-HASH.js` of their own.
  const files = new Map(
    Object.keys(extras.metafile.outputs)
      .filter((path) => path.endsWith('.js'))
      .map((path) => [path.slice(`${OUT}/chunks/`.length).replace(/-[A-Z0-9]+\.js$/, ''), path.slice(`${OUT}/`.length)]),
  )
  const entry = await build({
    ...common,
    outfile: `${OUT}/hoist-uploader.js`,
    entryPoints: ['src/define.ts'],
    plugins: [uppyVersions, pickerIconOnly, extrasPlugin(files)],
  })
  return { entry, extras, entryPath: `${OUT}/hoist-uploader.js` }
}

/** Local files the entry imports statically: none, or a page serving the one file breaks. */
export function staticImports(result, entryPath) {
  return result.metafile.outputs[entryPath].imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => i.path)
}
