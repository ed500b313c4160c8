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

/** Uppy's own English: an empty set of strings leaves Uppy and each plugin on its defaults. */
export const ENGLISH: UppyLocale = { strings: {}, pluralize: (count) => (count === 1 ? 0 : 1) }

/**
 * Loads a locale's strings on demand; each language is its own chunk. A tag with no language here, or
 * whose chunk does not load (a page that serves the CDN entry without its chunks/ folder), gets
 * English and one warning that names it: the widget still works, in the wrong language.
 */
export async function loadLocale(tag: string): Promise<UppyLocale> {
  const code = localeCode(tag)
  if (!code) {
    console.warn(`<hoist-uploader>: no locale "${tag}", so the strings are English; available: ${Object.keys(LOCALES).join(', ')}.`)
    return ENGLISH
  }
  try {
    return (await LOCALES[code]()).default as UppyLocale
  } catch (err) {
    console.warn(`<hoist-uploader>: the strings of locale "${tag}" did not load, so they are English.`, err)
    return ENGLISH
  }
}

/** Text direction of the element's context: its own `dir`, else the nearest ancestor's, else the document's. */
export function directionOf(host: HTMLElement): 'ltr' | 'rtl' {
  const dir = host.closest('[dir]')?.getAttribute('dir') ?? document.documentElement.dir
  return dir?.toLowerCase() === 'rtl' ? 'rtl' : 'ltr'
}
