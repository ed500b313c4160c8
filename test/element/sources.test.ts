import { expect } from '@esm-bundle/chai'
import '../../src/define.js'
import { mount, unmountAll } from '../helpers/element.js'

/** What `find` finds once the Dashboard has rendered it (it renders on the next frame), within 2 s. */
async function until<T>(find: () => T | null | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const found = find()
    if (found) return found
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('not rendered within 2 s')
}
const root = (el: HTMLElement) => el.shadowRoot!

afterEach(unmountAll)

describe('<hoist-uploader> sources="url"', () => {
  it('shows a Link tab only while sources lists url', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const tab = () => root(el).querySelector('[data-uppy-acquirer-id="HoistLink"]')
    expect(tab(), 'off by default').to.equal(null)
    el.sources = 'url'
    await el.updateComplete
    expect(await until(tab), 'on').to.exist
    el.sources = ''
    await el.updateComplete
    await until(() => !tab())
    expect(tab(), 'off again').to.equal(null)
  })

  it('refuses a link that is not http(s) with invalid_url, adding nothing', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    for (const bad of ['ftp://files.test/a.png', 'not a link', 'javascript:alert(1)', 'file:///etc/passwd']) {
      let code = ''
      await el.addFromUrl(bad).catch((err: { code: string }) => (code = err.code))
      expect(code, bad).to.equal('invalid_url')
    }
    expect(el.uppy!.getFiles().length).to.equal(0)
  })

  it('puts a link in the list named after its path, its size left to the server', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const added: CustomEvent[] = []
    el.addEventListener('file-added', (e) => added.push(e as CustomEvent))
    void el.addFromUrl('https://files.test/photos/caf%C3%A9.png?x=1').catch(() => {})
    const [file] = el.uppy!.getFiles()
    expect(file.name).to.equal('café.png')
    expect(file.size).to.equal(null)
    expect(file.meta.hoistLink).to.equal('https://files.test/photos/caf%C3%A9.png?x=1')
    expect(added.length).to.equal(1)
  })

  it('refuses links with transport="uppy-aws-s3", which cannot fetch them', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" transport="uppy-aws-s3"></hoist-uploader>')
    let code = ''
    await el.addFromUrl('https://files.test/a.png').catch((err: { code: string }) => (code = err.code))
    expect(code).to.equal('not_supported')
  })

  it('the Link tab shows why a link is refused, and adds a good one', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" sources="url"></hoist-uploader>')
    ;(await until(() => root(el).querySelector<HTMLButtonElement>('[data-uppy-acquirer-id="HoistLink"] button'))).click()
    const input = await until(() => root(el).querySelector<HTMLInputElement>('input[name=url]'))
    expect(root(el).querySelector(`label[for="${input.id}"]`)?.textContent).to.equal('Enter URL to import a file')
    input.value = 'ftp://files.test/a.png'
    ;(root(el).querySelector('.hoist-Link-button') as HTMLButtonElement).click()
    const error = await until(() => root(el).querySelector('.hoist-Link-error'))
    expect(error?.textContent).to.contain('Only http and https')
    expect(error?.getAttribute('role')).to.equal('alert')
    expect(input.getAttribute('aria-invalid')).to.equal('true')
    input.value = 'https://files.test/report.pdf'
    ;(root(el).querySelector('.hoist-Link-button') as HTMLButtonElement).click()
    expect(await until(() => el.uppy!.getFiles().map((f) => f.name)[0])).to.equal('report.pdf')
  })
})

describe('<hoist-uploader> delete-on-remove', () => {
  it('says so in the remove button', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    await el.addFiles([new File(['x'], 'a.txt', { type: 'text/plain' })])
    const label = () => root(el).querySelector('.uppy-Dashboard-Item-action--remove')?.getAttribute('aria-label')
    expect(await until(label)).to.equal('Remove file')
    el.deleteOnRemove = true
    await el.updateComplete
    expect(await until(() => label() !== 'Remove file' && label())).to.equal('Remove and delete from storage')
  })
})
