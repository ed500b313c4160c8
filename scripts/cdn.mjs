// The CDN build, which `npm run build` writes and the size benchmark measures:
// - dist/cdn/hoist-uploader.js, one ES module with Lit, Uppy and the Dashboard CSS inside, which
//   registers <hoist-uploader> when loaded and uploads with nothing else beside it;
// - dist/cdn/chunks/, what it fetches only when a page asks for it: the languages of `locale`,
//   stock `@uppy/aws-s3`, Golden Retriever and the MD5 hasher.
// A lazy extra must never share a chunk with the entry: the entry would import that chunk
// statically, and a page serving the one file would break. So the extras are built on their own,
// each a standalone file with its own copy of what it needs from Uppy; the duplicate bytes cost
// only the page that loads the extra. Preact and Uppy's UIPlugin are the exception (`SHARED`): a
// tab rendered inside the entry's Dashboard must use the entry's Preact, so the entry hands its
// copies to the extras through one global, which their imports of those modules read.
import { parse } from 'acorn'
import { build } from 'esbuild'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BUNDLE_OPTIONS = { bundle: true, format: 'esm', target: 'es2022', minify: true, legalComments: 'none', charset: 'utf8', write: false, logLevel: 'error' }
const OUT = 'dist/cdn'
const require = createRequire(import.meta.url)
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

/** Where the entry puts the modules it shares with the extras; versioned, so two builds on a page never mix. */
const SHARED_KEY = `hoist-uploader@${version}/shared`
/**
 * The modules the entry shares, each with the names the extras import from it: only those, since a
 * name the entry does not use itself would cost bytes in the entry. An extra that imports another
 * name fails the build ("No matching export"): add it here.
 */
const SHARED = Object.fromEntries(
  Object.entries({
    preact: ['h', 'Component', 'Fragment'],
    'preact/hooks': ['useCallback', 'useEffect', 'useRef', 'useState'],
    'preact/jsx-runtime': ['jsx', 'jsxs', 'Fragment'],
    '@uppy/core': ['UIPlugin'],
  }).map(([module, names]) => [module, { names }]),
)
/** Uppy's own re-exports of Preact, read from the same shared modules. */
const SHARED_ALIASES = { '@uppy/core/utils/preact': ['preact', 'preact/hooks'], '@uppy/core/utils/preact/hooks': ['preact/hooks'] }
const sharedFilter = new RegExp(`^(${[...Object.keys(SHARED), ...Object.keys(SHARED_ALIASES)].map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})$`)

/** The entry: the element, and the shared modules put where the extras look for them. */
const entrySource = () => {
  const modules = Object.entries(SHARED).map(([module, { names }], i) => ({ module, names, local: (n) => `s${i}_${n}` }))
  return [
    ...modules.map(({ module, names, local }) => `import { ${names.map((n) => `${n} as ${local(n)}`).join(', ')} } from ${JSON.stringify(module)}`),
    `globalThis[Symbol.for(${JSON.stringify(SHARED_KEY)})] = { ${modules.map(({ module, names, local }) => `${JSON.stringify(module)}: { ${names.map((n) => `${n}: ${local(n)}`).join(', ')} }`).join(', ')} }`,
    'import "./src/define.ts"',
  ].join('\n')
}

/** In an extra, each shared module is read from the entry's global (the entry always loads first). */
const sharedPlugin = {
  name: 'hoist-shared',
  setup(b) {
    b.onResolve({ filter: sharedFilter }, (args) => ({ path: args.path, namespace: 'hoist-shared' }))
    b.onLoad({ filter: /.*/, namespace: 'hoist-shared' }, ({ path }) => {
      if (SHARED_ALIASES[path]) return { contents: SHARED_ALIASES[path].map((name) => `export * from ${JSON.stringify(name)}`).join('\n'), loader: 'js' }
      const { names } = SHARED[path]
      const contents = [
        `const shared = globalThis[Symbol.for(${JSON.stringify(SHARED_KEY)})]`,
        `if (!shared) throw new Error('This file is part of hoist-uploader.js ${version} and runs only when that file loads it.')`,
        `export const { ${names.join(', ')} } = shared[${JSON.stringify(path)}]`,
      ]
      return { contents: contents.join('\n'), loader: 'js' }
    })
  },
}

const localeDir = dirname(require.resolve('@uppy/locales/lib/de_DE.js'))
const locales = readdirSync(localeDir).filter((f) => /^[a-z]{2,3}_[A-Z]{2}\.js$/.test(f)).map((f) => f.slice(0, -3))

/** The `import()`s the entry leaves to separate builds, by specifier: each one's file name and source. */
const EXTRAS = new Map([
  ['@uppy/aws-s3', { name: 'aws-s3', entry: '@uppy/aws-s3' }],
  ['@uppy/golden-retriever', { name: 'golden-retriever', entry: '@uppy/golden-retriever' }],
  ['./hasher.js', { name: 'hasher', entry: 'src/transport/hasher.ts' }],
  ['./capture/camera.js', { name: 'camera', entry: 'src/element/capture/camera.ts', shared: true }],
  ['./capture/screen.js', { name: 'screen', entry: 'src/element/capture/screen.ts', shared: true }],
  ['./capture/audio.js', { name: 'audio', entry: 'src/element/capture/audio.ts', shared: true }],
  ['./capture/editor.js', { name: 'image-editor', entry: 'src/element/capture/editor.ts', shared: true }],
  ['../prepare/uppy-file.js', { name: 'prepare', entry: 'src/prepare/uppy-file.ts', shared: true }],
  ...locales.map((code) => [`@uppy/locales/lib/${code}.js`, { name: code, entry: `@uppy/locales/lib/${code}.js` }]),
])

/** Points each extra's `import()` at its built file, relative to the entry (dist/cdn/). */
function extrasPlugin(files) {
  return {
    name: 'hoist-extras',
    setup(b) {
      b.onResolve({ filter: /^(@uppy\/|\.\.?\/)/ }, (args) => {
        const extra = args.kind === 'dynamic-import' && EXTRAS.get(args.path)
        return extra ? { path: `./${files.get(extra.name)}`, external: true } : undefined
      })
    },
  }
}

/**
 * The prepare chunk starts the HEIC worker from `new URL('./heic-worker.js', import.meta.url)`, as
 * bundlers expect; here that worker is a file of its own beside the chunk, with a hashed name.
 */
function workerNamePlugin(workerFile) {
  return {
    name: 'hoist-worker-name',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]prepare[\\/]heic\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8')
        const named = "new URL('./heic-worker.js', import.meta.url)"
        if (!source.includes(named)) throw new Error(`${args.path} no longer starts its worker from ${named}: update scripts/cdn.mjs`)
        return { contents: source.replaceAll(named, `new URL(${JSON.stringify(`./${workerFile}`)}, import.meta.url)`), loader: 'ts' }
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
  // The HEIC worker runs in its own global scope: nothing is shared with it.
  const worker = await build({ ...common, entryPoints: { 'heic-worker': 'src/prepare/heic-worker.ts' }, outdir: `${OUT}/chunks`, entryNames: '[name]-[hash]' })
  const workerFile = Object.keys(worker.metafile.outputs).find((path) => path.endsWith('.js')).slice(`${OUT}/chunks/`.length)
  // Stock plugins that render nothing keep their own copy of Uppy's core; the tabs and preparation use the entry's.
  const extrasOf = (shared) => build({
    ...common,
    plugins: shared ? [uppyVersions, sharedPlugin, workerNamePlugin(workerFile)] : [uppyVersions],
    entryPoints: Object.fromEntries([...EXTRAS.values()].filter((e) => !!e.shared === shared).map((e) => [e.name, e.entry])),
    outdir: `${OUT}/chunks`,
    entryNames: '[name]-[hash]',
  })
  const [standalone, sharing] = await Promise.all([extrasOf(false), extrasOf(true)])
  const extras = { metafile: { inputs: { ...standalone.metafile.inputs, ...sharing.metafile.inputs }, outputs: { ...standalone.metafile.outputs, ...sharing.metafile.outputs, ...worker.metafile.outputs } }, outputFiles: [...(standalone.outputFiles ?? []), ...(sharing.outputFiles ?? []), ...(worker.outputFiles ?? [])] }
  // Output paths end in `name-HASH.js`; names hold no `-HASH.js` of their own.
  const files = new Map(
    Object.keys(extras.metafile.outputs)
      .filter((path) => path.endsWith('.js'))
      .map((path) => [path.slice(`${OUT}/chunks/`.length).replace(/-[A-Z0-9]+\.js$/, ''), path.slice(`${OUT}/`.length)]),
  )
  const entry = await build({
    ...common,
    outfile: `${OUT}/hoist-uploader.js`,
    stdin: { contents: entrySource(), resolveDir: fileURLToPath(new URL('..', import.meta.url)), sourcefile: 'hoist-uploader.js', loader: 'js' },
    plugins: [uppyVersions, pickerIconOnly, extrasPlugin(files)],
  })
  return { entry, extras, entryPath: `${OUT}/hoist-uploader.js` }
}

/** Local files the entry imports statically: none, or a page serving the one file breaks. */
export function staticImports(result, entryPath) {
  return result.metafile.outputs[entryPath].imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => i.path)
}
