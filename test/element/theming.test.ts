import { expect } from '@esm-bundle/chai'
import '../../src/define.js'
import { mount, unmountAll } from '../helpers/element.js'
import type { HoistUploader } from '../../src/index.js'

const $ = (el: HoistUploader, selector: string) => el.shadowRoot!.querySelector<HTMLElement>(selector)!
const color = (el: HoistUploader, selector: string, prop: 'color' | 'backgroundColor' | 'borderTopColor') => getComputedStyle($(el, selector))[prop]

afterEach(unmountAll)

describe('theming', () => {
  // Properties are set before mounting: Uppy's buttons animate colour changes.
  it('uses Uppy’s colours by default and the --hoist-* properties when set', async () => {
    const plain = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    expect(color(plain, '.uppy-Dashboard-browse', 'color')).to.equal('rgb(18, 105, 207)')
    expect(color(plain, '.uppy-Dashboard-inner', 'backgroundColor')).to.equal('rgb(244, 244, 244)')
    const styled = await mount(
      '<hoist-uploader endpoint="/u" style="--hoist-accent: #e0218a; --hoist-background: rgb(250, 240, 230); --hoist-dropzone-border: rgb(10, 20, 30); --hoist-radius: 14px"></hoist-uploader>',
    )
    expect(color(styled, '.uppy-Dashboard-browse', 'color')).to.equal('rgb(224, 33, 138)')
    expect(color(styled, '.uppy-Dashboard-inner', 'backgroundColor')).to.equal('rgb(250, 240, 230)')
    expect(color(styled, '.uppy-Dashboard-AddFiles', 'borderTopColor')).to.equal('rgb(10, 20, 30)')
    expect(getComputedStyle($(styled, '.uppy-Dashboard-inner')).borderTopLeftRadius).to.equal('14px')
  })

  it('theme="dark" switches the defaults, and --hoist-* still wins', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" theme="dark"></hoist-uploader>')
    expect(color(el, '.uppy-Dashboard-inner', 'backgroundColor')).to.equal('rgb(31, 31, 31)')
    expect(color(el, '.uppy-Dashboard-AddFiles-title', 'color')).to.equal('rgb(234, 234, 234)')
    expect(color(el, '.uppy-Dashboard-browse', 'color')).to.equal('rgb(2, 186, 242)')
    const custom = await mount('<hoist-uploader endpoint="/u" theme="dark" style="--hoist-background: rgb(0, 0, 40)"></hoist-uploader>')
    expect(color(custom, '.uppy-Dashboard-inner', 'backgroundColor')).to.equal('rgb(0, 0, 40)')
  })

  it('picks readable text for the Upload button from whatever the accent is', async () => {
    const buttonText = async (html: string) => {
      const el = await mount(html)
      el.addFiles([new File(['x'], 'a.txt')])
      await new Promise((r) => setTimeout(r, 50))
      return color(el, '.uppy-StatusBar-actionBtn--upload', 'color')
    }
    // Bright cyan (the dark theme's default accent) gets near-black text; darker accents get white.
    expect(await buttonText('<hoist-uploader endpoint="/u" theme="dark"></hoist-uploader>')).to.match(/^(rgb\(0, 0, 0\)|oklch\(0 0 0\))$/)
    expect(await buttonText('<hoist-uploader endpoint="/u" theme="dark" style="--hoist-accent: #2f5bea"></hoist-uploader>')).to.match(/^(rgb\(255, 255, 255\)|oklch\(1 0 0\))$/)
    expect(await buttonText('<hoist-uploader endpoint="/u" style="--hoist-accent-text: rgb(1, 2, 3)"></hoist-uploader>')).to.equal('rgb(1, 2, 3)')
  })

  it('names parts that a page can style with ::part(), and keeps them as the Dashboard re-renders', async () => {
    const style = document.createElement('style')
    style.textContent = 'hoist-uploader::part(dropzone) { border-color: rgb(1, 2, 3) } hoist-uploader::part(status-bar) { background-color: rgb(4, 5, 6) }'
    document.body.append(style)
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    expect($(el, '[part="container"]')).to.exist
    expect($(el, '.uppy-Dashboard-inner').getAttribute('part')).to.equal('dashboard')
    expect(color(el, '[part="dropzone"]', 'borderTopColor')).to.equal('rgb(1, 2, 3)')
    el.addFiles([new File(['x'], 'a.txt')])
    await new Promise((r) => setTimeout(r, 50))
    expect($(el, '.uppy-Dashboard-files').getAttribute('part')).to.equal('file-list')
    expect(color(el, '[part="status-bar"]', 'backgroundColor')).to.equal('rgb(4, 5, 6)')
  })
})
