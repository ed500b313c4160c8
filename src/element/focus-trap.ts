import type Uppy from '@uppy/core'
import { FOCUSABLE_ELEMENTS } from '@uppy/core/utils'

/**
 * Keeps Tab inside the Dashboard's open panel (a tab such as Camera, the editor, a file card) as
 * Uppy means it to, inside a shadow root. Uppy's own trap compares `document.activeElement`, which
 * is the element's host there, so it took every Tab back to the panel's first button. This one runs
 * first, reads the shadow root's focus, and stands in for Uppy's.
 */
export function trapFocusInPanels(uppy: Uppy, dashboardId: string, root: ShadowRoot): () => void {
  const dashboard = uppy.getPlugin(dashboardId) as unknown as { el?: HTMLElement; getPluginState(): { activeOverlayType: string | null } } | undefined
  const el = dashboard?.el
  if (!el) return () => {}
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Tab') return
    event.stopPropagation()
    const type = dashboard.getPluginState().activeOverlayType
    const panel = type ? el.querySelector<HTMLElement>(`[data-uppy-paneltype="${type}"]`) : null
    if (!panel) return // no panel open: Tab leaves the widget as usual
    const nodes = [...panel.querySelectorAll<HTMLElement>(FOCUSABLE_ELEMENTS.join(','))]
    const at = nodes.indexOf(root.activeElement as HTMLElement)
    const to = !panel.contains(root.activeElement) ? nodes[0] : event.shiftKey && at === 0 ? nodes.at(-1) : !event.shiftKey && at === nodes.length - 1 ? nodes[0] : undefined
    if (!to) return
    to.focus()
    event.preventDefault()
  }
  el.addEventListener('keydown', onKeyDown, true)
  return () => el.removeEventListener('keydown', onKeyDown, true)
}
