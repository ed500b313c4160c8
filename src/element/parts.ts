/** `part` names given to the Dashboard's own elements, so pages can style them with `::part()`. */
export const PARTS: readonly (readonly [selector: string, part: string])[] = [
  ['.uppy-Dashboard-inner', 'dashboard'],
  ['.uppy-Dashboard-AddFiles', 'dropzone'],
  ['.uppy-Dashboard-files', 'file-list'],
  ['.uppy-StatusBar', 'status-bar'],
]

/**
 * Keeps the part names (and one ARIA repair) on the Dashboard's elements as it re-renders (it replaces
 * them when its view changes). Returns a function that stops watching.
 */
export function exposeParts(root: HTMLElement): () => void {
  const tag = () => {
    for (const [selector, part] of PARTS) {
      for (const el of root.querySelectorAll(selector)) if (el.getAttribute('part') !== part) el.setAttribute('part', part)
    }
    // Uppy's one-file layout leaves its listitem without a list (axe: aria-required-parent).
    for (const list of root.querySelectorAll('.uppy-Dashboard-files:not([role])')) list.setAttribute('role', 'list')
  }
  tag()
  const observer = new MutationObserver(tag)
  observer.observe(root, { childList: true, subtree: true })
  return () => observer.disconnect()
}
