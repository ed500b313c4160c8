// libheif-js ships types for its CommonJS builds only; the worker uses its ES module build, which
// exports the same factory.
declare module 'libheif-js/libheif-wasm/libheif-bundle.mjs' {
  const factory: () => unknown
  export default factory
}
