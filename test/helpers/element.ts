// Shared by the element tests (run in Chromium by web-test-runner).
import type { HoistUploader } from '../../src/index.js'

/** Puts `html` in a wrapper div on the page and returns its <hoist-uploader> once rendered. */
export async function mount(html: string): Promise<HoistUploader> {
  const wrap = document.createElement('div')
  wrap.innerHTML = html
  document.body.append(wrap)
  const el = wrap.querySelector('hoist-uploader')!
  await el.updateComplete
  return el
}

/** Removes what `mount` (and tests' own <style> tags) added. */
export function unmountAll(): void {
  for (const el of document.querySelectorAll('body > div, body > style')) el.remove()
}
