export default {
  globs: ['src/index.ts', 'src/define.ts', 'src/element/*.ts'],
  exclude: ['src/element/generated/**'],
  litelement: true,
  outdir: '.',
  // Never rewrite package.json's customElements field (the staleness test writes to a temp folder).
  packagejson: false,
}
