export default {
  globs: ['src/index.ts', 'src/define.ts', 'src/element/*.ts'],
  exclude: ['src/element/generated/**'],
  litelement: true,
  outdir: '.',
}
