// Screenshots of the widget in light, dark, `auto` under a dark system scheme and a custom accent,
// saved to test-results/visual/ and checked pixel by pixel.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { PNG } from 'pngjs'
import { demoAndBrowser } from '../helpers/app.js'

const OUT = 'test-results/visual'

function stats(png: Buffer, target?: [number, number, number]) {
  const { data, width, height } = PNG.sync.read(png)
  let luminance = 0
  let near = 0
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
    luminance += 0.2126 * r + 0.7152 * g + 0.0722 * b
    if (target && Math.abs(r - target[0]) < 12 && Math.abs(g - target[1]) < 12 && Math.abs(b - target[2]) < 12) near++
  }
  return { luminance: luminance / (width * height), near }
}

describe('visual: themes', () => {
  const t = demoAndBrowser()
  before(async () => {
    mkdirSync(OUT, { recursive: true })
  })

  async function shot(name: string, setup: (page: Page) => Promise<void>, scheme: 'light' | 'dark' = 'light') {
    const page = await t.browser.newPage({ viewport: { width: 900, height: 700 } })
    await page.emulateMedia({ colorScheme: scheme })
    await page.goto(t.app.url)
    await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
    await setup(page)
    // One file added, so the status bar shows its accent-coloured Upload button.
    await page.evaluate(() => document.querySelector('hoist-uploader')!.addFiles([new File(['x'.repeat(5000)], 'report.pdf', { type: 'application/pdf' })]))
    await page.waitForTimeout(300)
    // Uppy animates colour changes; disabled animations are captured in their final state.
    const png = await page.locator('hoist-uploader').screenshot({ animations: 'disabled' })
    writeFileSync(`${OUT}/${name}.png`, png)
    await page.close()
    return png
  }

  it('light, dark, auto (dark system) and a custom accent look as intended', async () => {
    // The demo page brands the widget with its own accent, #2f5bea, through --hoist-accent.
    const light = stats(await shot('light', async () => {}), [47, 91, 234])
    const dark = stats(await shot('dark', (p) => p.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('theme', 'dark'))))
    const auto = stats(await shot('auto-dark-system', (p) => p.evaluate(() => document.querySelector('hoist-uploader')!.setAttribute('theme', 'auto')), 'dark'))
    const accent = stats(
      await shot('accent', (p) => p.evaluate(() => document.querySelector('hoist-uploader')!.style.setProperty('--hoist-accent', '#e0218a'))),
      [224, 33, 138],
    )
    // The file preview and the Upload button are coloured in every theme, so compare backgrounds broadly.
    assert.ok(light.luminance > 170, `light theme is light (${light.luminance.toFixed(0)})`)
    assert.ok(light.luminance - dark.luminance > 80, `dark is much darker than light (${light.luminance.toFixed(0)} vs ${dark.luminance.toFixed(0)})`)
    assert.ok(dark.luminance < 110, `dark theme is dark (${dark.luminance.toFixed(0)})`)
    assert.ok(Math.abs(auto.luminance - dark.luminance) < 15, `auto follows the dark system scheme (${auto.luminance.toFixed(0)} vs ${dark.luminance.toFixed(0)})`)
    assert.ok(light.near > 1000, `the page's accent fills the Upload button (${light.near} px)`)
    assert.ok(accent.near > 1000, `the custom accent fills the Upload button (${accent.near} px)`)
  })
})
