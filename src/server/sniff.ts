// What a file's first bytes say it is. `file-type` knows binary formats by their magic bytes; markup
// (HTML, SVG, XML without a prolog) and `#!` scripts carry none it looks for, so those are read here,
// much as a browser sniffs them.
import { fileTypeFromBuffer } from 'file-type'
import { imageSize } from 'image-size'

/** How the rules treat what was found (sniff-rules.ts). */
export type Kind = 'image' | 'svg' | 'html' | 'xml' | 'executable' | 'script' | 'other'

export interface Content {
  /** The MIME type the bytes show. */
  type: string
  kind: Kind
  /** How a message names it: "HTML", "a PNG image". */
  label: string
  /** For SVG: what in it would run when the file is opened. */
  active?: string
  width?: number
  height?: number
}

/** Native code and bytecode: what an operating system or a runtime runs. */
const EXECUTABLE_TYPES = new Set([
  'application/x-elf',
  'application/x-msdownload',
  'application/x-mach-binary',
  'application/java-vm',
  'application/wasm',
])

/**
 * Formats that may begin with printable text and still be what file-type says. Any other answer
 * for a head that is all text came from a short signature ("BM", "MZ", "ID3") that plain words
 * also begin with, and is dropped.
 */
const TEXT_FORMATS = new Set([
  'application/pdf',
  'application/postscript',
  'application/eps',
  'application/rtf',
  'application/xml',
  'application/x-ms-regedit',
  'text/calendar',
  'text/vcard',
  'text/vtt',
])

const LABELS: Record<string, string> = {
  'application/pdf': 'a PDF document',
  'application/zip': 'a ZIP archive',
  'application/x-cfb': 'an Office (OLE) container',
  'application/xml': 'XML',
  'application/x-elf': 'an ELF executable',
  'application/x-msdownload': 'a Windows executable',
  'application/x-mach-binary': 'a Mach-O executable',
  'application/java-vm': 'a Java class file',
  'application/wasm': 'a WebAssembly module',
}

function labelOf(mime: string, ext: string): string {
  if (LABELS[mime]) return LABELS[mime]
  const name = ext.toUpperCase()
  const noun = mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : mime.startsWith('audio/') ? 'audio file' : 'file'
  return `${/^[AEFHILMNORSX]/.test(name) ? 'an' : 'a'} ${name} ${noun}`
}

/** The head as text when it reads as text (no control bytes in its first 256), else undefined. */
function textOf(head: Uint8Array): string | undefined {
  if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe)) {
    return new TextDecoder(head[0] === 0xfe ? 'utf-16be' : 'utf-16le').decode(head)
  }
  const start = head.subarray(0, 256)
  // Tab, line feed, vertical tab, form feed, carriage return and escape occur in text; other controls do not.
  if (start.some((b) => (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f))) return undefined
  return new TextDecoder('utf-8').decode(head)
}

// Elements a page begins with (the WHATWG sniffing list, and a few more that only HTML has).
const HTML_TAGS = new Set(
  'html head body script iframe h1 h2 h3 h4 h5 h6 div font table a style title b br p meta link img form input object embed frameset frame base span ul ol li section main header footer nav article template button select textarea video audio canvas noscript center marquee pre'.split(' '),
)
/** Markup that makes text a page wherever it sits in the first KiB, since an HTML parser starts anywhere. */
const HTML_ANYWHERE = /<(script|html|!doctype\s+html|iframe|body|svg|img|object|embed)[\s>/]/i

const HTML: Omit<Content, 'kind'> = { type: 'text/html', label: 'HTML' }

/** HTML, SVG or XML by the first element, after a BOM, whitespace, the XML prolog, comments and a doctype. */
function markup(text: string): Content | undefined {
  // The start is enough to find the root element; a bounded walk keeps a file of empty comments cheap.
  let rest = text.slice(0, 16 * 1024).replace(/^\uFEFF/, '')
  let prolog = false
  for (let i = 0; i < 64; i++) {
    rest = rest.trimStart()
    // A doctype may carry an internal subset in brackets, with `>` inside it.
    const skip = /^(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!doctype[^[>]*(\[[\s\S]*?\])?\s*>)/i.exec(rest)
    if (!skip) break
    if (/^<!doctype\s+html[\s>]/i.test(skip[0])) return { ...HTML, kind: 'html' }
    if (/^<\?xml[\s?]/i.test(skip[0])) prolog = true
    rest = rest.slice(skip[0].length)
  }
  // A comment that runs past the head: a page, as WHATWG sniffing has it.
  if (/^<!--/.test(rest)) return { ...HTML, kind: 'html' }
  const root = /^<([a-z][\w.:-]*)/i.exec(rest)?.[1].toLowerCase()
  if (root === 'svg' || root?.endsWith(':svg')) return { type: 'image/svg+xml', kind: 'svg', label: 'an SVG image', active: activeSvg(text) }
  if (root === 'html' && prolog) return { type: 'application/xhtml+xml', kind: 'html', label: 'XHTML' }
  if (root === 'html' || (!prolog && root !== undefined && HTML_TAGS.has(root))) return { ...HTML, kind: 'html' }
  if (root !== undefined || prolog) return { type: 'application/xml', kind: 'xml', label: 'XML' }
  if (HTML_ANYWHERE.test(rest.slice(0, 1024))) return { ...HTML, kind: 'html' }
  return undefined
}

// What in an SVG runs, or loads what runs, when the file is opened as a page.
const ACTIVE: [RegExp, string][] = [
  [/<([\w.-]+:)?script[\s>/]/i, 'a <script> element'],
  [/[\s"'/]on[a-z]+\s*=/i, 'an event handler attribute (on…=)'],
  [/attributeName\s*=\s*["']?\s*on/i, 'an animated event handler'],
  [/<([\w.-]+:)?(iframe|embed|object)[\s>/]/i, 'an embedded frame'],
  [/<!ENTITY/i, 'an entity declaration'],
  [/<\?xml-stylesheet/i, 'a style sheet instruction'],
]

function activeSvg(text: string): string | undefined {
  // Character references are decoded before matching: `jav&#97;script:` is still a script link.
  const decoded = text.replace(/&#(x[0-9a-f]+|\d+);/gi, (_, n: string) => {
    const code = n[0].toLowerCase() === 'x' ? parseInt(n.slice(1), 16) : Number(n)
    return code <= 0x10ffff ? String.fromCodePoint(code) : ''
  })
  for (const [pattern, what] of ACTIVE) if (pattern.test(decoded)) return what
  // A URL's parser drops tabs and line breaks, so `java\tscript:` runs too.
  if (/javascript:/i.test(decoded.replace(/[\t\n\r]/g, ''))) return 'a javascript: link'
  return undefined
}

function script(head: Uint8Array): Content | undefined {
  // `#!` then a path: `#![…]` (a Rust attribute) is not one.
  const line = /^#!\s*(\/\S*)/.exec(new TextDecoder('latin1').decode(head.subarray(0, 128)))
  return line ? { type: 'text/x-script', kind: 'script', label: `a script for ${line[1]}` } : undefined
}

/** Pixel size, turned the way EXIF says the image is shown; undefined when the head lacks it. */
export function dimensions(head: Uint8Array): { width: number; height: number } | undefined {
  try {
    const d = imageSize(head)
    if (!Number.isSafeInteger(d.width) || !Number.isSafeInteger(d.height) || d.width < 1 || d.height < 1) return undefined
    return d.orientation !== undefined && d.orientation >= 5 ? { width: d.height, height: d.width } : { width: d.width, height: d.height }
  } catch {
    return undefined
  }
}

/** What `head` (a file's first bytes) is, or undefined when it shows no known type (plain text, CSV, JSON, zeros). */
export async function sniff(head: Uint8Array): Promise<Content | undefined> {
  if (head.length === 0) return undefined
  const text = textOf(head)
  let found = await fileTypeFromBuffer(head).catch(() => undefined)
  if (found && text !== undefined && !TEXT_FORMATS.has(found.mime)) found = undefined
  let content: Content | undefined
  if (found?.mime === 'application/xml') content = markup(text ?? new TextDecoder().decode(head))
  else if (found) {
    const kind: Kind = found.mime.startsWith('image/') ? 'image' : EXECUTABLE_TYPES.has(found.mime) ? 'executable' : 'other'
    content = { type: found.mime, kind, label: labelOf(found.mime, found.ext) }
  } else content = script(head) ?? (text === undefined ? undefined : markup(text))
  if (content?.kind === 'image' || content?.kind === 'svg') Object.assign(content, dimensions(head))
  return content
}
