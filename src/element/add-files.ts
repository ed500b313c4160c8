import type Uppy from '@uppy/core'

type Descriptor = Parameters<Uppy['addFiles']>[0][number]

/** Files per task: small enough that no task blocks the page for long. */
const SLICE = 100

/** Yields to the event loop without the 1 s clamp timers get in a background tab. */
const nextTask = () => new Promise<void>((resolve) => {
  const channel = new MessageChannel()
  channel.port1.onmessage = () => resolve()
  channel.port2.postMessage(null)
})

function add(uppy: Uppy, descriptors: Descriptor[]): void {
  try {
    uppy.addFiles(descriptors)
  } catch {
    // Uppy has already emitted `restriction-failed` for each refused file.
  }
}

/**
 * Adds files a slice per task. Uppy's `addFiles` copies its whole file list once per file it adds,
 * so 1,000 files in one call block the page for most of a second; slices keep every task short.
 * A batch that breaks an aggregate restriction (most files, total size) goes in whole, so that Uppy
 * refuses it whole, as it does for a single call. Resolves when every slice is in (or when `uppy`
 * is replaced).
 */
export async function addInSlices(uppy: Uppy, descriptors: Descriptor[], current: () => Uppy | undefined): Promise<void> {
  const sizes = descriptors.map((d) => ({ size: (d.data as Blob | undefined)?.size ?? null })) as Parameters<typeof uppy.validateAggregateRestrictions>[0]
  if (descriptors.length <= SLICE || uppy.validateAggregateRestrictions(sizes) !== null) return add(uppy, descriptors)
  for (let i = 0; i < descriptors.length; i += SLICE) {
    if (i > 0) await nextTask()
    if (current() !== uppy) return
    add(uppy, descriptors.slice(i, i + SLICE))
  }
}

/** Descriptors as the Dashboard makes them for dropped, pasted and picked files (keeping folder paths). */
export function dashboardDescriptors(source: string, files: (File & { relativePath?: string | null })[]): Descriptor[] {
  return files.map((file) => ({
    source,
    name: file.name,
    type: file.type,
    data: file,
    meta: { relativePath: file.relativePath || file.webkitRelativePath || null },
  }))
}
