import type { BuildResult, Metafile } from 'esbuild'

type Built = BuildResult & { metafile: Metafile }
export const BUNDLE_OPTIONS: Record<string, unknown>
export function buildCdn(options?: { write?: boolean; sourcemap?: boolean | 'linked' }): Promise<{ entry: Built; extras: Built; entryPath: string }>
export function staticImports(result: Built, entryPath: string): string[]
