import { expect } from '@esm-bundle/chai'
import '../../src/define.js'
import { mount, unmountAll } from '../helpers/element.js'

const tick = () => new Promise((r) => setTimeout(r, 0))


function collect(el: HTMLElement, name: string): CustomEvent[] {
  const seen: CustomEvent[] = []
  el.addEventListener(name, (e) => seen.push(e as CustomEvent))
  return seen
}

afterEach(unmountAll)

describe('<hoist-uploader>', () => {
  it('renders the Dashboard inside its shadow root with Uppy’s styles applied there', async () => {
    const el = await mount('<hoist-uploader endpoint="/api/uploads"></hoist-uploader>')
    const dashboard = el.shadowRoot!.querySelector('.uppy-Dashboard')
    expect(dashboard, 'dashboard').to.exist
    expect(document.querySelector('.uppy-Dashboard'), 'nothing leaks into the page').to.equal(null)
    expect(getComputedStyle(el.shadowRoot!.querySelector('.uppy-Dashboard-inner')!).borderRadius).to.not.equal('0px')
    expect(el.shadowRoot!.querySelector('[part="container"]')).to.exist
  })

  it('maps attributes to Uppy restrictions, with sizes in units', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" max-file-size="2GiB" min-file-size="1KB" max-files="3" accept="image/*, .pdf" auto-upload></hoist-uploader>')
    const opts = el.uppy!.opts
    expect(opts.restrictions.maxFileSize).to.equal(2 * 1024 ** 3)
    expect(opts.restrictions.minFileSize).to.equal(1000)
    expect(opts.restrictions.maxNumberOfFiles).to.equal(3)
    expect(opts.restrictions.allowedFileTypes).to.deep.equal(['image/*', '.pdf'])
    expect(opts.autoProceed).to.equal(true)
  })

  it('accepts sizes as strings on the properties too (frameworks set attributes as properties)', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    el.maxFileSize = '1KB'
    el.maxFiles = '2'
    el.multipartThreshold = '10MiB'
    await el.updateComplete
    expect(el.uppy!.opts.restrictions.maxFileSize).to.equal(1000)
    expect(el.uppy!.opts.restrictions.maxNumberOfFiles).to.equal(2)
    el.addFiles([new File([new Uint8Array(900)], 'a.bin')])
    expect(el.uppy!.getFiles()[0].meta.partSize).to.equal(undefined)
  })

  it('adds many files 100 per task, resolving when all are in; a batch over max-files is refused whole', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const files = (n: number, tag: string) => Array.from({ length: n }, (_, i) => new File([`${tag}${i}`], `${tag}-${i}.txt`, { type: 'text/plain' }))
    const added = collect(el, 'file-added')
    const done = el.addFiles(files(250, 'a'))
    expect(el.uppy!.getFiles().length, 'the first slice is in at once').to.equal(100)
    // A second call waits behind the first, so files keep their order.
    const more = el.addFiles(files(2, 'b'))
    await done
    await more
    expect(el.uppy!.getFiles().length).to.equal(252)
    expect(added.length).to.equal(252)
    expect(el.uppy!.getFiles().at(-1)!.name).to.equal('b-1.txt')

    const limited = await mount('<hoist-uploader endpoint="/u" max-files="150"></hoist-uploader>')
    const refused = collect(limited, 'restriction-failed')
    await limited.addFiles(files(250, 'c'))
    expect(limited.uppy!.getFiles().length, 'as one Uppy call would, nothing of the batch is added').to.equal(0)
    expect(refused.length).to.be.greaterThan(0)
  })

  it('updates options in place and keeps files already added', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const uppy = el.uppy
    el.addFiles([new File(['hello'], 'a.txt', { type: 'text/plain' })])
    el.setAttribute('max-files', '5')
    el.note = 'Up to 5 files'
    el.endpoint = '/other'
    await el.updateComplete
    expect(el.uppy).to.equal(uppy)
    expect(uppy!.getFiles().map((f) => f.name)).to.deep.equal(['a.txt'])
    expect(uppy!.opts.restrictions.maxNumberOfFiles).to.equal(5)
    expect((uppy!.getPlugin('HoistDashboard')!.opts as { note: string }).note).to.equal('Up to 5 files')
    expect((uppy!.getPlugin('HoistTransport')!.opts as { endpoint: string }).endpoint).to.equal('/other')
  })

  it('fires composed, bubbling file-added / file-removed events and declares sizes', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" multipart-threshold="5MiB"></hoist-uploader>')
    const added = collect(document.body, 'file-added')
    const removed = collect(document.body, 'file-removed')
    el.addFiles([new File([new Uint8Array(10)], 'a.bin'), new File([new Uint8Array(6 * 1024 * 1024)], 'b.bin')])
    expect(added.map((e) => e.detail.file.name)).to.deep.equal(['a.bin', 'b.bin'])
    expect(added[0].composed && added[0].bubbles).to.equal(true)
    const [a, b] = el.uppy!.getFiles()
    expect(a.meta.declaredSize).to.equal(10)
    expect(a.meta.partSize).to.equal(undefined)
    expect(b.meta.declaredSize).to.equal(6 * 1024 * 1024)
    expect(b.meta.partSize).to.equal(5 * 1024 * 1024)
    el.uppy!.removeFile(a.id)
    expect(removed.map((e) => e.detail.file.name)).to.deep.equal(['a.bin'])
  })

  it('reports restriction failures with a code and message', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" max-file-size="1KB" accept=".png"></hoist-uploader>')
    const failed = collect(el, 'restriction-failed')
    el.addFiles([new File([new Uint8Array(5000)], 'big.png', { type: 'image/png' }), new File(['x'], 'doc.txt', { type: 'text/plain' })])
    expect(failed.length).to.equal(2)
    expect(failed.every((e) => e.detail.error.code === 'restriction')).to.equal(true)
    expect(failed[0].detail.error.message).to.match(/big\.png|1 KB/)
    expect(el.uppy!.getFiles().length).to.equal(0)
  })

  it('without an endpoint, logs a clear console error and fails uploads with missing_endpoint', async () => {
    const logged: string[] = []
    const original = console.error
    console.error = (...args: unknown[]) => logged.push(args.join(' '))
    try {
      const el = await mount('<hoist-uploader></hoist-uploader>')
      expect(logged.some((l) => l.includes('needs an "endpoint" attribute'))).to.equal(true)
      const errors = collect(el, 'upload-error')
      el.addFiles([new File(['x'], 'a.txt')])
      const result = await el.upload()
      expect(errors.map((e) => e.detail.error.code)).to.deep.equal(['missing_endpoint'])
      expect(result.failed.map((f) => f.error.code)).to.deep.equal(['missing_endpoint'])
      expect(result.successful).to.deep.equal([])
    } finally {
      console.error = original
    }
  })

  it('destroys Uppy on disconnect and builds a new one on reconnect; a move keeps it', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const first = el.uppy!
    const other = document.createElement('div')
    document.body.append(other)
    other.append(el) // a move: disconnect + connect in one task
    await tick()
    expect(el.uppy).to.equal(first)
    el.remove()
    await tick()
    expect(el.uppy).to.equal(undefined)
    other.append(el)
    await el.updateComplete
    await tick()
    expect(el.uppy).to.exist
    expect(el.uppy).to.not.equal(first)
    expect(el.shadowRoot!.querySelectorAll('.uppy-Dashboard').length).to.equal(1)
  })

  it('accepts files pasted while focus is inside the widget', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const button = el.shadowRoot!.querySelector<HTMLButtonElement>('.uppy-Dashboard-browse')!
    button.focus()
    expect(document.activeElement).to.equal(el) // what Uppy's own check sees
    const data = new DataTransfer()
    data.items.add(new File(['pasted'], 'clip.png', { type: 'image/png' }))
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true }))
    expect(el.uppy!.getFiles().map((f) => f.name)).to.deep.equal(['clip.png'])
  })

  it('accepts files dropped on the dashboard', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    const added = collect(el, 'file-added')
    const zone = el.shadowRoot!.querySelector('.uppy-Dashboard-inner')!
    const data = new DataTransfer()
    data.items.add(new File(['dropped'], 'dropped.txt', { type: 'text/plain' }))
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, composed: true, cancelable: true }))
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, composed: true, cancelable: true }))
    for (let i = 0; i < 50 && added.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(added.map((e) => e.detail.file.name)).to.deep.equal(['dropped.txt'])
  })

  it('ignores pastes while focus is elsewhere on the page', async () => {
    const el = await mount('<input id="other"><hoist-uploader endpoint="/u"></hoist-uploader>')
    document.querySelector<HTMLInputElement>('#other')!.focus()
    const data = new DataTransfer()
    data.items.add(new File(['pasted'], 'clip.png', { type: 'image/png' }))
    document.querySelector('#other')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true }))
    expect(el.uppy!.getFiles().length).to.equal(0)
  })

  it('reflects disabled and theme, and passes them to the Dashboard', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    el.disabled = true
    el.theme = 'dark'
    await el.updateComplete
    expect(el.hasAttribute('disabled')).to.equal(true)
    expect(el.getAttribute('theme')).to.equal('dark')
    const dashboard = el.shadowRoot!.querySelector('.uppy-Dashboard')!
    expect(dashboard.getAttribute('data-uppy-theme')).to.equal('dark')
    expect(dashboard.classList.contains('uppy-Dashboard--isDisabled')).to.equal(true)
  })

  it('sends the meta property with every file', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    el.meta = { album: 'trip' }
    await el.updateComplete
    el.addFiles([new File(['x'], 'a.txt')])
    expect(el.uppy!.getFiles()[0].meta.album).to.equal('trip')
  })

  it('upload() resolves with nothing when Uppy refuses to start, instead of hanging', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    // A restriction checked only at upload time: Uppy rejects and never emits `complete`.
    el.uppy!.setOptions({ restrictions: { ...el.uppy!.opts.restrictions, minNumberOfFiles: 2 } })
    el.addFiles([new File(['x'], 'a.txt')])
    const result = await Promise.race([el.upload(), new Promise((r) => setTimeout(() => r('timed out'), 2000))])
    expect(result).to.deep.equal({ successful: [], failed: [] })
  })

  it('reset() clears every file', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    el.addFiles([new File(['x'], 'a.txt'), new File(['y'], 'b.txt')])
    el.reset()
    expect(el.uppy!.getFiles().length).to.equal(0)
  })
})
