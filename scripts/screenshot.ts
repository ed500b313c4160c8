// `npm run screenshot`: starts the demo, uploads a few files in Chromium and saves docs/demo.png.
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemo } from '../test/helpers/app.js'
import { launchChromium } from '../test/helpers/browser.js'

const demo = await startDemo()
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })
  await page.goto(demo.url)
  await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
  const dir = mkdtempSync(join(tmpdir(), 'hoist-shot-'))
  const video = join(dir, 'product-tour.mp4')
  writeFileSync(video, Buffer.alloc(23 * 1024 * 1024, 3))
  const pdf = join(dir, 'quarterly-report.pdf')
  writeFileSync(pdf, Buffer.alloc(340 * 1024, 5))
  // Two photos drawn in the page, so the stored-files list shows thumbnails.
  // Picked files first: the picker's input is only rendered while the list is empty.
  await page.locator('hoist-uploader input[type=file]').first().setInputFiles([video, pdf])
  // (No named functions inside evaluate: tsx would reference a helper the page lacks.)
  await page.evaluate(async () => {
    const files: File[] = []
    for (const [name, hue] of [['sunset-at-the-pier.jpg', 20], ['team-offsite.jpg', 200]] as const) {
      const c = document.createElement('canvas')
      c.width = 960
      c.height = 640
      const g = c.getContext('2d')!
      const grad = g.createLinearGradient(0, 0, 960, 640)
      grad.addColorStop(0, `hsl(${hue} 80% 60%)`)
      grad.addColorStop(1, `hsl(${hue + 60} 70% 35%)`)
      g.fillStyle = grad
      g.fillRect(0, 0, 960, 640)
      g.fillStyle = 'rgba(255,255,255,.85)'
      g.beginPath()
      g.arc(700, 220, 110, 0, Math.PI * 2)
      g.fill()
      const blob = await new Promise<Blob>((r) => c.toBlob((b) => r(b!), 'image/jpeg', 0.9))
      files.push(new File([blob], name, { type: 'image/jpeg' }))
    }
    document.querySelector('hoist-uploader')!.addFiles(files)
  })
  await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
  await page.waitForTimeout(800)
  await page.screenshot({ path: 'docs/demo.png', fullPage: true })
  console.log('Saved docs/demo.png')
} finally {
  await browser.close()
  await demo.stop()
}
