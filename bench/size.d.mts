export interface SizeResult {
  hoist: { raw: number; gzip: number; parts: { lit: number; hoistCode: number; css: number }; chunks: number }
  stockUppy: { rawJs: number; gzipJs: number; gzipCss: number; gzip: number }
  ratio: number
}
export const BUNDLE_OPTIONS: Record<string, unknown>
export const CDN_OPTIONS: Record<string, unknown>
export function measure(): Promise<SizeResult>
export function report(result: SizeResult): string
