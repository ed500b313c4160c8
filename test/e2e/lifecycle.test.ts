// What the element does with the server's file lifecycle, in Chromium on disk storage and Ceph RGW:
// link uploads through the Link tab and addFromUrl (refused by the SSRF guard unless allowed),
// delete-on-remove, groups as the form's value, and temporary files with store: 'manual'.
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { startDemo, type Running } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { addGenerated, events, record, sha256, storedSha, testBytes, upload, waitForEvents } from '../helpers/page.js'
import { png } from '../helpers/png.js'
import { emptyBucket, makeBucket } from '../helpers/s3.js'

const MiB = 1024 * 1024

/** A loopback file server on `host` that counts the connections made to it. */
async function fileServer(host: string, files: Record<string, { body: Buffer; type: string }>): Promise<{ url: string; port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0
  const server: Server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]]
    if (!file) return void res.writeHead(404).end('not found')
    res.writeHead(200, { 'content-type': file.type, 'content-length': String(file.body.length) }).end(file.body)
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as { port: number }).port
  return { url: `http://${host}:${port}`, port, connections: () => connections, close: () => new Promise((r) => server.close(() => r())) }
}

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(() => browser?.close())

const storages = [
  ['disk storage', async (env: Record<string, string>) => ({ app: await startDemo(undefined, env), cleanup: async () => {} })],
  [
    'Ceph RGW',
    async (env: Record<string, string>) => {
      const s3 = await makeBucket('lifecycle')
      return { app: await startDemo({ bucket: s3.bucket }, env), cleanup: () => emptyBucket(s3.client, s3.bucket) }
    },
  ],
] as const

async function open(app: Running, props: Record<string, unknown>): Promise<Page> {
  const page = await browser.newPage()
  await page.addInitScript('globalThis.__name = (f) => f')
  await page.goto(app.url)
  await record(page)
  await page.evaluate((p) => Object.assign(document.querySelector('hoist-uploader')!, p), props)
  return page
}

for (const [name, start] of storages) {
  describe(`e2e: links, delete, groups and temporary files (${name})`, () => {
    const picture = png(64, 48, 3)
    const big = testBytes(23 * MiB, 5)
    let files: Awaited<ReturnType<typeof fileServer>>
    let other: Awaited<ReturnType<typeof fileServer>>
    let app: Running
    let cleanup: () => Promise<void>
    let page: Page | undefined
    before(async () => {
      files = await fileServer('127.0.0.1', { '/picture.png': { body: picture, type: 'image/png' }, '/big.bin': { body: big, type: 'application/octet-stream' } })
      // Another loopback address, which allowHosts does not list: the guard must never connect to it.
      other = await fileServer('127.0.0.2', { '/secret.txt': { body: Buffer.from('internal'), type: 'text/plain' } })
      ;({ app, cleanup } = await start({ HOIST_FROM_URL_ALLOW_HOSTS: `127.0.0.1:${files.port}` }))
    })
    after(async () => {
      await page?.close()
      await app?.stop()
      await cleanup?.()
      await files?.close()
      await other?.close()
    })

    it('uploads a link pasted into the Link tab, byte-identical, as source url with the server\'s pixel size', async () => {
      page = await open(app, { sources: 'url' })
      const el = page.locator('hoist-uploader')
      await el.locator('[data-uppy-acquirer-id="HoistLink"] button').click()
      await el.locator('input[name=url]').fill(`${files.url}/picture.png`)
      await el.locator('.hoist-Link-button').click()
      await page.waitForFunction(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length === 1)
      const result = await upload(page)
      assert.deepEqual(result.failed, [])
      const [info] = result.successful
      assert.equal(info.source, 'url')
      assert.equal(info.name, 'picture.png')
      assert.equal(info.size, picture.length)
      assert.equal(info.type, 'image/png')
      assert.deepEqual([info.width, info.height], [64, 48])
      assert.equal(info.stored, true)
      assert.equal(await storedSha(info), sha256(picture))
      const progress = await events(page, 'upload-progress')
      assert.ok(progress.some((p) => p.detail.bytesUploaded === picture.length), 'progress in bytes reaches the size')
    })

    it('addFromUrl() resolves with a 23 MiB file stored in parts, while a local file uploads beside it', async () => {
      page = await open(app, { autoUpload: true })
      const shas = await addGenerated(page, [{ name: 'local.txt', size: 3000, type: 'text/plain' }])
      const info = await page.evaluate((url) => document.querySelector('hoist-uploader')!.addFromUrl(url), `${files.url}/big.bin`)
      assert.equal(info.source, 'url')
      assert.equal(info.size, big.length)
      assert.equal(await storedSha(info), sha256(big))
      const done = await waitForEvents(page, 'upload-complete', 2)
      const local = done.find((e) => e.detail.file.name === 'local.txt')!.detail.file
      assert.equal(local.source, 'local')
      assert.equal(await storedSha(local), shas['local.txt'])
    })

    it('refuses a link to an address the server does not allow, without connecting to it; the other files go on', async () => {
      page = await open(app, {})
      await addGenerated(page, [{ name: 'fine.txt', size: 100, type: 'text/plain' }])
      const refused = page.evaluate((url) => document.querySelector('hoist-uploader')!.addFromUrl(url).then(() => 'stored', (err) => err.code), `${other.url}/secret.txt`)
      const result = await upload(page)
      assert.equal(await refused, 'url_forbidden')
      assert.deepEqual(result.successful.map((f) => f.name), ['fine.txt'])
      assert.deepEqual(result.failed.map((f) => [f.file.name, f.error.code]), [['secret.txt', 'url_forbidden']])
      assert.equal(other.connections(), 0, 'no connection to 127.0.0.2')
    })

    it('delete-on-remove deletes a stored file when the user removes it, and says so', async () => {
      page = await open(app, { deleteOnRemove: true })
      await addGenerated(page, [{ name: 'gone.txt', size: 500, type: 'text/plain' }])
      const [info] = (await upload(page)).successful
      assert.equal((await fetch(info.url)).status, 200)
      const remove = page.locator('hoist-uploader .uppy-Dashboard-Item-action--remove')
      assert.equal(await remove.getAttribute('aria-label'), 'Remove and delete from storage')
      await remove.click()
      const [deleted] = await waitForEvents(page, 'file-deleted', 1)
      assert.equal(deleted.detail.key, info.key)
      assert.equal(deleted.detail.error, undefined)
      assert.ok([403, 404].includes((await fetch(info.url)).status), 'the stored file is gone')
    })

    it('groups the stored files and submits the group id as the form value', async () => {
      page = await open(app, {})
      await page.evaluate(() => {
        const el = document.querySelector('hoist-uploader')!
        const form = document.createElement('form')
        el.replaceWith(form)
        form.append(el)
        el.setAttribute('name', 'attachments')
        el.setAttribute('form-value', 'group')
      })
      await addGenerated(page, [
        { name: 'one.txt', size: 100, type: 'text/plain' },
        { name: 'two.txt', size: 200, type: 'text/plain' },
      ])
      await upload(page)
      const [done] = await waitForEvents(page, 'all-complete', 1)
      const group = done.detail.group as { id: string; count: number }
      assert.match(group.id, /^[0-9a-f-]{36}~2$/)
      assert.equal(group.count, 2)
      const submitted = await page.evaluate(() => [...new FormData(document.querySelector('form')!).getAll('attachments')])
      assert.deepEqual(submitted, [group.id])
      const read = await page.evaluate((id) => fetch(`/api/uploads/groups/${encodeURIComponent(id)}`).then((r) => r.json()), group.id)
      assert.deepEqual(read.files.map((f: { name: string }) => f.name).sort(), ['one.txt', 'two.txt'])
      // Removing a file makes a new group of what is left.
      await page.locator('hoist-uploader .uppy-Dashboard-Item-action--remove').first().click()
      await page.waitForFunction((old) => {
        const value = new FormData(document.querySelector('form')!).getAll('attachments')
        return value.length === 1 && value[0] !== old
      }, group.id)
      const regrouped = await page.evaluate(() => String(new FormData(document.querySelector('form')!).get('attachments')))
      assert.match(regrouped, /~1$/)
    })
  })

  describe(`e2e: store: 'manual' (${name})`, () => {
    let app: Running
    let cleanup: () => Promise<void>
    let page: Page | undefined
    before(async () => {
      ;({ app, cleanup } = await start({ HOIST_STORE: 'manual' }))
    })
    after(async () => {
      await page?.close()
      await app?.stop()
      await cleanup?.()
    })

    it('reports uploads as temporary (stored: false) until the app keeps them', async () => {
      page = await open(app, {})
      await addGenerated(page, [
        { name: 'small.txt', size: 100, type: 'text/plain' },
        { name: 'large.bin', size: 6 * MiB },
      ])
      const result = await upload(page)
      assert.equal(result.successful.length, 2)
      for (const f of result.successful) assert.equal(f.stored, false, f.name)
    })
  })
}
