import { LOCALES } from './generated/locales.js'

/** An Uppy locale: its strings and plural rule (what `@uppy/locales` exports). */
export interface UppyLocale {
  strings: Record<string, string | Record<string, string>>
  pluralize: (count: number) => number
}

/** The @uppy/locales code for a BCP 47 tag: `de-DE` exactly, else the first of the same language (`de-AT` → `de-DE`). */
export function localeCode(tag: string): string | undefined {
  const wanted = tag.replace('_', '-').toLowerCase()
  const codes = Object.keys(LOCALES)
  return codes.find((c) => c.toLowerCase() === wanted) ?? codes.find((c) => c.slice(0, c.indexOf('-')).toLowerCase() === wanted.split('-')[0])
}

/** Loads a locale's strings on demand; each language is its own chunk. */
export async function loadLocale(tag: string): Promise<UppyLocale | undefined> {
  const code = localeCode(tag)
  if (!code) {
    console.error(`<hoist-uploader>: no locale "${tag}"; available: ${Object.keys(LOCALES).join(', ')}.`)
    return undefined
  }
  return (await LOCALES[code]()).default as UppyLocale
}

/** Text direction of the element's context: its own `dir`, else the nearest ancestor's, else the document's. */
export function directionOf(host: HTMLElement): 'ltr' | 'rtl' {
  const dir = host.closest('[dir]')?.getAttribute('dir') ?? document.documentElement.dir
  return dir?.toLowerCase() === 'rtl' ? 'rtl' : 'ltr'
}
