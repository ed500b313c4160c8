// <hoist-uploader name required> inside a real <form>, against the demo server.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { demoAndBrowser } from '../helpers/app.js'
import { addGenerated, record, setInputFiles, upload, waitForEvents, writeTestFile } from '../helpers/page.js'

describe('form association', () => {
  const t = demoAndBrowser()
  const dir = mkdtempSync(join(tmpdir(), 'hoist-form-'))
  after(async () => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('submits the stored keys under its name, is invalid until then when required, and resets with the form', async () => {
    const page = await t.browser.newPage()
    await page.goto(t.app.url)
    await record(page)
    await page.evaluate(() => {
      const el = document.querySelector('hoist-uploader')!
      const form = document.createElement('form')
      form.id = 'f'
      el.replaceWith(form)
      form.append(el)
      form.insertAdjacentHTML('beforeend', '<input name="title" value="Trip"><button>Send</button>')
      el.setAttribute('name', 'attachments')
      el.toggleAttribute('required', true)
      form.addEventListener('submit', (e) => {
        e.preventDefault()
        ;(window as unknown as { submitted: [string, string][] }).submitted = [...new FormData(form)].map(([k, v]) => [k, String(v)])
      })
    })
    const form = page.locator('#f')
    assert.equal(await form.evaluate((f: HTMLFormElement) => f.checkValidity()), false)
    assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.form?.id), 'f')

    // While an upload runs the form is not ready either.
    const big = join(dir, 'big.bin')
    writeTestFile(big, 20 * 1024 * 1024)
    await setInputFiles(page, [big])
    await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
    await waitForEvents(page, 'upload-start', 1)
    assert.equal(await form.evaluate((f: HTMLFormElement) => f.checkValidity()), false)
    await waitForEvents(page, 'all-complete', 1)

    await addGenerated(page, [{ name: 'note.txt', size: 100, type: 'text/plain' }])
    const result = await upload(page)
    assert.equal(result.failed.length, 0)
    const keys = await page.evaluate(() => document.querySelector('hoist-uploader')!.value)
    assert.equal(keys.length, 2)
    assert.equal(await form.evaluate((f: HTMLFormElement) => f.checkValidity()), true)
    await page.getByRole('button', { name: 'Send' }).click()
    const submitted = await page.evaluate(() => (window as unknown as { submitted: [string, string][] }).submitted)
    assert.deepEqual(submitted, [...keys.map((k) => ['attachments', k]), ['title', 'Trip']])

    await form.evaluate((f: HTMLFormElement) => f.reset())
    assert.deepEqual(await page.evaluate(() => document.querySelector('hoist-uploader')!.value), [])
    assert.equal(await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getFiles().length), 0)
    assert.equal(await form.evaluate((f: HTMLFormElement) => f.checkValidity()), false)
  })
})
