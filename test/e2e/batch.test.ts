// Many small files in few endpoint calls: the element's transport plans and finishes them in batches,
// on disk storage and on Ceph RGW, and a file the server refuses inside a batch fails alone.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type Running } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addGenerated, batchItems, events, record, storedSha, upload } from '../helpers/page.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'

const FILES = 150

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(() => browser?.close())

const storages = [
  ['disk storage', async () => ({ app: await startDemo(), cleanup: async () => {} })],
  [
    'Ceph RGW',
    async () => {
      const s3 = await makeBucket('batch')
      return { app: await startDemo({ bucket: s3.bucket }), cleanup: () => emptyBucket(s3.client, s3.bucket) }
    },
  ],
] as const

for (const [name, start] of storages) {
  describe(`e2e: ${FILES} small files in few endpoint calls (${name})`, () => {
    let app: Running
    let cleanup: () => Promise<void>
    let page: Page
    before(async () => {
      ;({ app, cleanup } = await start())
    })
    after(async () => {
      await page?.close()
      await app?.stop()
      await cleanup?.()
    })

    it('plans and finishes them in batches, each file described by its finish answer, and a refused file fails alone', async () => {
      page = await browser.newPage()
      await page.addInitScript('globalThis.__name = (f) => f')
      await page.goto(app.url)
      await record(page)
      const calls: { path: string; files: number }[] = []
      await page.route('**/api/uploads/**', (route) => {
        const req = route.request()
        const path = new URL(req.url()).pathname.replace('/api/uploads', '')
        if (req.method() === 'OPTIONS' || path.startsWith('/disk/')) return route.continue()
        if (req.method() === 'POST' && path === '/plan') {
          const body = req.postDataJSON()
          // One file's name is blanked on its way to the server, which refuses just that file.
          for (const f of batchItems(body)) if (f.filename === 'note-7.txt') f.filename = ''
          calls.push({ path, files: batchItems(body).length })
          return route.continue({ postData: JSON.stringify(body) })
        }
        calls.push({ path, files: req.method() === 'POST' ? batchItems(req.postDataJSON() ?? {}).length : 1 })
        return route.continue()
      })
      const specs = Array.from({ length: FILES }, (_, i) => ({ name: `note-${i}.txt`, size: 1000 + i, type: 'text/plain' }))
      const shas = await addGenerated(page, specs)
      const result = await upload(page)

      assert.deepEqual(result.failed.map((f) => [f.file.name, f.error.code]), [['note-7.txt', 'invalid_filename']])
      assert.equal(result.successful.length, FILES - 1)
      const plans = calls.filter((c) => c.path === '/plan')
      const finishes = calls.filter((c) => c.path === '/finish')
      assert.deepEqual(calls.filter((c) => c.path !== '/plan' && c.path !== '/finish'), [], 'no other endpoint call: no read-back')
      assert.equal(plans.reduce((n, c) => n + c.files, 0), FILES, 'every file planned once')
      assert.equal(finishes.reduce((n, c) => n + c.files, 0), FILES - 1, 'every stored file finished once')
      assert.ok(plans.length <= 4, `${plans.length} plan calls for ${FILES} files`)
      assert.ok(finishes.length <= FILES / 5, `${finishes.length} finish calls for ${FILES} files`)
      // Every file's info comes from the finish answer, and its URL serves its bytes.
      const complete = await events(page, 'upload-complete')
      assert.equal(complete.length, FILES - 1)
      for (const { detail } of complete) {
        assert.equal(detail.file.size, 1000 + Number(detail.file.name.slice(5, -4)))
        assert.equal(detail.file.type, 'text/plain')
      }
      for (const info of result.successful.slice(0, 10)) assert.equal(await storedSha(info), shas[info.name])
    })
  })
}
