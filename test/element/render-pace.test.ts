import { expect } from '@esm-bundle/chai'
import type { Uppy } from '@uppy/core'
import { paceRenders } from '../../src/element/render-pace.js'

/** A UI plugin that records each state it renders. */
function fakeDashboard() {
  const rendered: number[] = []
  const plugin = { update: (state: { n: number }) => void rendered.push(state.n) }
  const uppy = { getPlugin: () => plugin } as unknown as Uppy
  return { plugin: plugin as { update: (s: unknown) => void }, rendered, uppy }
}

const uploading = (n: number) => ({ n, currentUploads: { run1: {} } })
const idle = (n: number) => ({ n, currentUploads: {} })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('paceRenders', () => {
  it('renders every change at once while nothing uploads', () => {
    const d = fakeDashboard()
    paceRenders(d.uppy, 'x')
    for (let n = 1; n <= 3; n++) d.plugin.update(idle(n))
    expect(d.rendered).to.deep.equal([1, 2, 3])
  })

  it('while files upload, renders the first change at once and then the latest at most every 200 ms', async () => {
    const d = fakeDashboard()
    paceRenders(d.uppy, 'x')
    for (let n = 1; n <= 20; n++) d.plugin.update(uploading(n))
    expect(d.rendered).to.deep.equal([1])
    await sleep(260)
    expect(d.rendered).to.deep.equal([1, 20], 'one render of the latest state')
    d.plugin.update(uploading(21))
    d.plugin.update(idle(22))
    expect(d.rendered).to.deep.equal([1, 20, 22], 'the end of the upload renders at once')
    await sleep(260)
    expect(d.rendered).to.deep.equal([1, 20, 22], 'and nothing stale after it')
  })

  it('gives the plugin its own update back', () => {
    const d = fakeDashboard()
    const original = d.plugin.update
    const undo = paceRenders(d.uppy, 'x')
    expect(d.plugin.update).to.not.equal(original)
    undo()
    d.plugin.update(uploading(1))
    d.plugin.update(uploading(2))
    expect(d.rendered).to.deep.equal([1, 2])
  })
})
