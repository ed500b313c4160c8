import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'

const AXE = readFileSync('node_modules/axe-core/axe.min.js', 'utf8')

export interface Violation { id: string; impact: string; targets: string[] }

/** axe-core's violations inside the page's <hoist-uploader>, once its transitions have ended (colours mid-fade fail contrast checks). */
export async function axe(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE })
  return page.evaluate(async () => {
    const root = document.querySelector('hoist-uploader')!.shadowRoot!
    const finite = root.getAnimations().filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)))
    const w = window as unknown as { axe: { run: (el: Element, o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }
    const result = await w.axe.run(document.querySelector('hoist-uploader')!, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' >> ')) }))
  })
}

export const serious = (v: Violation[]) => v.filter((x) => x.impact === 'serious' || x.impact === 'critical')
