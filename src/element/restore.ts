import type Uppy from '@uppy/core'
import type { UppyFile } from '@uppy/core'

type AnyFile = UppyFile<Record<string, unknown>, Record<string, unknown>>

/** Whether Golden Retriever brought files back and waits for the user to go on (the Dashboard's "Upload"). */
export const restorePending = (uppy: Uppy): boolean => uppy.getState().recoveredState != null

/** Goes on with a restore exactly as the Dashboard's Upload button does. */
export function confirmRestore(uppy: Uppy): void {
  uppy.emit('restore-confirmed')
}

/** Whether `upload()` would find nothing to start: every file is done, or in a run that is still going. */
export function nothingToStart(uppy: Uppy): boolean {
  const { currentUploads } = uppy.getState()
  const running = new Set(Object.values(currentUploads).flatMap((u) => u.fileIDs))
  return uppy.getFiles().every((f) => f.progress.uploadComplete || (running.has(f.id) && !f.error))
}

/** A run that carried no files while others still upload: reporting it would say "finished" too early. */
export function emptyWhileBusy(uppy: Uppy, result: { successful?: unknown[]; failed?: unknown[] }): boolean {
  const empty = (result.successful?.length ?? 0) + (result.failed?.length ?? 0) === 0
  return empty && Object.keys(uppy.getState().currentUploads).length > 0
}

export interface RestoreWiring {
  /**
   * Lets the transport hand a ghost's stored upload to the file picked in its place (the hoist
   * transport checks the stored parts against the new file's bytes before trusting them). Where it
   * does not, removing the ghost aborts its upload.
   */
  handOver: (ghost: AnyFile, file: AnyFile) => void
}

/**
 * What the element adds to Golden Retriever's restore. Call before Golden Retriever is installed:
 * its own `restore-confirmed` handler must run after ours.
 * - One run for the whole restore (the runs it brought back and the files added since), so one
 *   `all-complete` reports them all.
 * - A ghost (a file too large for the browser's cache) that is picked again resumes by itself once
 *   no ghost is left: it was uploading when the page went away.
 * - A file picked again with another modification time gets another Uppy id, so Uppy keeps it beside
 *   the ghost and Upload stays disabled; a new file of the ghost's name and size replaces the ghost.
 */
export function wireRestore(uppy: Uppy, wiring: RestoreWiring): void {
  /** A ghost got its bytes back (or was replaced) since the last restore was confirmed. */
  let repicked = false

  uppy.on('restore-confirmed', () => {
    const { currentUploads, files } = uppy.getState()
    const fileIDs = Object.keys(files).filter((id) => !files[id].progress.uploadComplete)
    if (fileIDs.length === 0) return
    // Golden Retriever restores the runs it saved, if it saved them (it writes at most every 500 ms);
    // without one, it would call upload(), which skips files that had started: they would never go on.
    const [id = `restored-${Date.now().toString(36)}`] = Object.keys(currentUploads)
    uppy.setState({ currentUploads: { [id]: { ...currentUploads[id], fileIDs, step: 0, result: {} } } })
    repicked = false
  })

  uppy.on('files-added', (added) => {
    for (const file of added as AnyFile[]) {
      if (file.isRestored) {
        // Uppy gave a ghost its bytes back (same id: same name, size and modification time).
        if (file.progress.uploadStarted && !file.progress.uploadComplete) repicked = true
        continue
      }
      const ghost = (uppy.getFiles() as AnyFile[]).find((g) => g.isGhost && g.name === file.name && g.size === file.size)
      if (!ghost) continue
      wiring.handOver(ghost, file)
      uppy.removeFile(ghost.id)
      repicked = true
    }
    resumeIfReady()
  })
  uppy.on('file-removed', () => resumeIfReady())

  function resumeIfReady(): void {
    if (!repicked || uppy.getFiles().some((f) => f.isGhost)) return
    repicked = false
    if (restorePending(uppy)) confirmRestore(uppy)
    // The restore was confirmed while a ghost had no bytes (it failed as `file_missing`): try again.
    else
      uppy.upload().catch(() => {
        // Uppy reports refusals (restrictions) itself.
      })
  }
}
