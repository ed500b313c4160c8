import type { Uppy } from '@uppy/core'

/** Renders a second while bytes move: a progress bar that moves five times a second still reads as live. */
const UPLOADING_INTERVAL = 200

interface Rendered {
  update(state: unknown): void
}

/**
 * Paces a UI plugin's renders while an upload runs. Uppy renders its whole Dashboard after every state
 * change (each file's progress, each file done), and on two cores that main-thread time is taken from
 * the uploads. While files upload, the latest state is rendered at most every 200 ms (the first change
 * after a quiet spell at once, so a click still answers at once); otherwise every change renders as
 * Uppy would. Returns the undo.
 */
export function paceRenders(uppy: Uppy, pluginId: string): () => void {
  const plugin = uppy.getPlugin(pluginId) as unknown as Rendered | undefined
  if (!plugin) return () => {}
  const render = plugin.update.bind(plugin)
  let last = -Infinity
  let timer: ReturnType<typeof setTimeout> | undefined
  let latest: unknown
  const now = () => {
    clearTimeout(timer)
    timer = undefined
    last = performance.now()
    render(latest)
  }
  plugin.update = (state) => {
    latest = state
    const uploading = Object.keys((state as { currentUploads?: object }).currentUploads ?? {}).length > 0
    if (!uploading) return now()
    if (timer !== undefined) return
    const wait = last + UPLOADING_INTERVAL - performance.now()
    if (wait <= 0) return now()
    timer = setTimeout(now, wait)
  }
  return () => {
    clearTimeout(timer)
    plugin.update = render
  }
}
