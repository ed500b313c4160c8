import { posix } from 'node:path'

/** `src/element/x.ts` (or `.js`, `./x.js` from another module, `/src/…`) → the shipped `dist/element/x.js`. */
function shipped(specifier, fromModule) {
  const path = specifier.startsWith('.') ? posix.join(posix.dirname(fromModule), specifier) : specifier.replace(/^\//, '')
  return path.replace(/^src\//, 'dist/').replace(/\.ts$/, '.js')
}

function rewriteModules(node, fromModule) {
  if (Array.isArray(node)) node.forEach((n) => rewriteModules(n, fromModule))
  else if (node && typeof node === 'object') {
    // References into other packages carry `package`; only our own modules are rewritten.
    if (typeof node.module === 'string' && !node.package) node.module = shipped(node.module, fromModule)
    for (const value of Object.values(node)) rewriteModules(value, fromModule)
  }
}

/** The manifest names the modules the package ships (`dist/*.js`): `src/` is not in the tarball. */
const shippedPaths = {
  name: 'hoist-shipped-paths',
  packageLinkPhase({ customElementsManifest }) {
    for (const mod of customElementsManifest.modules) {
      rewriteModules(mod, mod.path)
      mod.path = shipped(mod.path, mod.path)
    }
  },
}

export default {
  globs: ['src/index.ts', 'src/define.ts', 'src/element/*.ts'],
  exclude: ['src/element/generated/**'],
  litelement: true,
  outdir: '.',
  // Never rewrite package.json's customElements field (the staleness test writes to a temp folder).
  packagejson: false,
  plugins: [shippedPaths],
}
