import { expect } from '@esm-bundle/chai'
import '../../src/define.js'
import { mount, unmountAll } from '../helpers/element.js'
import type { HoistUploader } from '../../src/index.js'
import { localeCode } from '../../src/element/locales.js'


async function textBecomes(el: HoistUploader, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = el.shadowRoot!.textContent ?? ''
    if (pattern.test(text)) return text
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`the widget never showed ${pattern}; it shows: ${el.shadowRoot!.textContent}`)
}

afterEach(unmountAll)

describe('locales', () => {
  it('maps tags to @uppy/locales codes, falling back within a language', () => {
    expect(localeCode('de-DE')).to.equal('de-DE')
    expect(localeCode('de_de')).to.equal('de-DE')
    expect(localeCode('de-AT')).to.equal('de-DE')
    expect(localeCode('xx-YY')).to.equal(undefined)
  })

  it('locale="de-DE" switches the strings to German', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" locale="de-DE"></hoist-uploader>')
    await textBecomes(el, /Dateien hierher ziehen|durchsuchen/)
    el.addFiles([new File(['x'], 'a.txt')])
    await textBecomes(el, /hochladen/i)
  })

  it('locale="ja-JP" switches to Japanese, and back to English when removed', async () => {
    const el = await mount('<hoist-uploader endpoint="/u" locale="ja-JP"></hoist-uploader>')
    await textBecomes(el, /ファイル/)
    el.removeAttribute('locale')
    await textBecomes(el, /Drop files here/)
  })

  it('locale="ar-SA" with dir="rtl" renders Arabic right to left', async () => {
    const el = await mount('<div dir="rtl"><hoist-uploader endpoint="/u" locale="ar-SA"></hoist-uploader></div>')
    await textBecomes(el, /[\u0600-\u06FF]/)
    expect(el.shadowRoot!.querySelector('.uppy-Root')!.getAttribute('dir')).to.equal('rtl')
    expect(getComputedStyle(el.shadowRoot!.querySelector('.uppy-Dashboard-inner')!).direction).to.equal('rtl')
  })

  it('an unknown locale falls back to English, with one warning that names it', async () => {
    const warnings: unknown[][] = []
    const warn = console.warn
    console.warn = (...args: unknown[]) => warnings.push(args)
    try {
      const el = await mount('<hoist-uploader endpoint="/u" locale="de-DE"></hoist-uploader>')
      await textBecomes(el, /Dateien hierher ziehen|durchsuchen/)
      el.setAttribute('locale', 'xx_YY')
      await textBecomes(el, /Drop files here/)
      expect(warnings.length).to.equal(1)
      expect(String(warnings[0][0])).to.contain('"xx_YY"')
    } finally {
      console.warn = warn
    }
  })

  it('accepts an Uppy locale object as the locale property', async () => {
    const el = await mount('<hoist-uploader endpoint="/u"></hoist-uploader>')
    el.locale = { strings: { dropPasteFiles: 'Déposez ici, ou %{browseFiles}', browseFiles: 'parcourez' }, pluralize: (n) => (n === 1 ? 0 : 1) }
    await textBecomes(el, /Déposez ici, ou parcourez/)
  })
})
