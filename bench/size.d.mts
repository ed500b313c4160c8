export interface SizeResult {
  hoist: {
    /** The entry file, minified. */
    raw: number
    gzip: number
    parts: { lit: number; hoistCode: number; css: number }
    /** Local files the entry imports statically (0: it works alone). */
    staticImports: number
    /** What a page loads before its first upload: the entry and those files, gzip. */
    pageGzip: number
    /** Files loaded only when used: languages, stock aws-s3, Golden Retriever, the MD5 hasher. */
    lazyFiles: number
    /** The capture and preparation chunks: when a page fetches each, and its size. */
    lazy: { name: string; when: string; raw: number; gzip: number }[]
  }
  stockUppy: { rawJs: number; gzipJs: number; gzipCss: number; gzip: number }
  /** `hoist.pageGzip` over `stockUppy.gzip`. */
  ratio: number
}
export function measure(): Promise<SizeResult>
export function report(result: SizeResult): string
