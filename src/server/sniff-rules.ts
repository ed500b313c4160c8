// Whether a file's content contradicts its declared type in a way that matters, and the type to
// report. Only contradictions that change what a browser or an operating system does with the file
// are refused: markup or a program passed off as a picture, a document or a video. Others (a PNG
// sent as image/jpeg, a video as another video type) just get their real type.
import mimeTypes from 'mime-types'
import { HttpError } from './errors.js'
import { typeRefusal } from './policy.js'
import { type Content, sniff } from './sniff.js'
import { extensionOf } from '../shared/names.js'
import { formatSize } from '../shared/sizes.js'

/** What the content check says about a file that passes. */
export interface ContentInfo {
  type: string
  width?: number
  height?: number
}

export type ContentCheck = ContentInfo | { refusal: HttpError }

/** Bytes read first: file-type needs about 4,100. */
export const HEAD_BYTES = 8 * 1024
/** Read when the head held no image size (a JPEG's size can follow a long EXIF block). */
export const IMAGE_BYTES = 256 * 1024
/** Read to look through a whole SVG for script; a bigger SVG sent as an image is refused. */
export const SVG_BYTES = 1024 * 1024

const GENERIC = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/unknown'])
const isGeneric = (type: string) => GENERIC.has(type)

/** Types that say "a program": any of them fits any executable. */
const EXECUTABLE_CLAIM = /^application\/(x-msdownload|x-dosexec|vnd\.microsoft\.portable-executable|x-ms-dos-executable|x-msdos-program|x-winexe|exe|x-exe|x-elf|x-executable|x-sharedlib|x-pie-executable|x-object|x-mach-binary|x-mach-o(-executable)?|java-vm|x-java-vm|x-java-class|java|wasm)$/
/** Script types; a `#!` file fits these, and the executables, but not text/plain. */
const SCRIPT_CLAIM = /^(text\/x-[\w.+-]+|text\/javascript|application\/(javascript|ecmascript|x-javascript|x-sh|x-csh|x-shellscript|x-python|x-perl|x-ruby|x-php|x-httpd-php|x-tcl|x-lua))$/
const isTextual = (type: string) => !type.startsWith('image/') && (type.startsWith('text/') || /[+/](json|xml)$/.test(type) || SCRIPT_CLAIM.test(type))

/**
 * One format under several names, or one container under many document types: a declared member
 * is kept unless it is the family's plain `base` and the bytes name a more specific member.
 */
const FAMILIES: { members: RegExp; base?: string }[] = [
  {
    base: 'application/zip',
    members: /^application\/(zip|x-zip-compressed|x-zip|epub\+zip|java-archive|x-java-archive|vnd\.android\.package-archive|x-xpinstall|x-google-chrome-extension|vnd\.openxmlformats-officedocument\.[\w.+-]+|vnd\.oasis\.opendocument\.[\w.+-]+|vnd\.ms-[\w-]+\.[\w.]*macroenabled\.12|vnd\.ms-xpsdocument|oxps)$/,
  },
  { base: 'application/x-cfb', members: /^application\/(x-cfb|msword|vnd\.ms-excel|vnd\.ms-powerpoint|vnd\.ms-outlook|vnd\.ms-project|vnd\.visio|x-msi|x-ole-storage)$/ },
  { base: 'video/mp4', members: /^(video\/(mp4|quicktime|x-m4v|3gpp2?)|audio\/(mp4|x-m4a|m4a|3gpp2?)|application\/mp4)$/ },
  { base: 'image/tiff', members: /^image\/(tiff|x-adobe-dng|x-canon-cr2|x-nikon-nef|x-sony-arw|x-olympus-orf|x-panasonic-rw2)$/ },
  { members: /^(audio|video|application)\/ogg(; ?codecs=\w+)?$|^audio\/opus$/ },
  { members: /^(video|audio)\/(webm|matroska|x-matroska)$/ },
  { members: /^audio\/(mpeg|mp3|mpeg3|x-mpeg|x-mp3)$/ },
  { members: /^audio\/(wav|x-wav|wave|vnd\.wave)$/ },
  { members: /^(audio\/x-ms-(asf|wma)|video\/x-ms-(asf|wmv)|application\/vnd\.ms-asf)$/ },
  { members: /^video\/(vnd\.avi|avi|x-msvideo|msvideo)$/ },
  { members: /^audio\/(aac|x-aac|aacp)$/ },
  { members: /^audio\/(flac|x-flac)$/ },
  { members: /^audio\/(midi|x-midi|mid)$/ },
  { members: /^audio\/(aiff|x-aiff)$/ },
  { members: /^image\/(jpeg|pjpeg|jpg)$/ },
  { members: /^image\/(png|apng|x-png)$/ },
  { members: /^image\/(heic|heif)(-sequence)?$/ },
  { members: /^image\/(x-icon|vnd\.microsoft\.icon|ico)$/ },
  { members: /^image\/(bmp|x-bmp|x-ms-bmp)$/ },
  { members: /^application\/(pdf|x-pdf)$/ },
  { members: /^application\/(gzip|x-gzip)$/ },
  { members: /^application\/(x-rar-compressed|vnd\.rar|x-rar)$/ },
  { members: /^application\/(x-bzip2|x-bzip)$/ },
  { members: /^application\/(x-msdownload|x-dosexec|vnd\.microsoft\.portable-executable|x-ms-dos-executable|x-msdos-program|x-winexe|exe|x-exe)$/ },
  { members: /^(font\/ttf|font\/sfnt|application\/(x-font-ttf|font-sfnt))$/ },
  { members: /^(font\/otf|application\/x-font-otf)$/ },
  { members: /^(font\/woff|application\/(font-woff|x-font-woff))$/ },
]

/** Which declared types each kind of content fits; `image` and `other` fit any (their type is just corrected). */
const FITS: Record<Content['kind'], (claim: string) => boolean> = {
  html: (claim) => isTextual(claim) || isGeneric(claim),
  xml: (claim) => isTextual(claim) || isGeneric(claim),
  svg: (claim) => claim === 'image/svg+xml' || isTextual(claim) || isGeneric(claim),
  executable: (claim) => EXECUTABLE_CLAIM.test(claim) || isGeneric(claim),
  script: (claim) => SCRIPT_CLAIM.test(claim) || EXECUTABLE_CLAIM.test(claim) || isGeneric(claim),
  image: () => true,
  other: () => true,
}

/** What the file claims to be: its declared type, or when that says nothing, its name's. */
function claimOf(declared: string, filename: string): { claim: string; byName: boolean } {
  const byName = isGeneric(declared) ? mimeTypes.lookup(extensionOf(filename)) : false
  return byName && !isGeneric(byName) ? { claim: byName.toLowerCase(), byName: true } : { claim: declared, byName: false }
}

/** The type to report: the content's, except where the declared one says as much or more. */
function typeFor(declared: string, claim: string, content: Content): string {
  if (content.kind === 'script' || isGeneric(content.type)) return declared
  // Markup is text: a text type declared or named (text/plain, text/markdown, application/rss+xml) stays.
  if ((content.kind === 'html' || content.kind === 'xml' || content.kind === 'svg') && isTextual(claim)) return declared
  if (isGeneric(declared)) return content.type
  const family = FAMILIES.find((f) => f.members.test(content.type) && f.members.test(declared))
  if (!family) return content.type
  return declared === family.base && content.type !== family.base ? content.type : declared
}

const mismatch = (message: string) => ({ refusal: new HttpError(400, 'type_mismatch', message) })

/**
 * Judges what `sniff` found against the declared type. `whole` is false when only the file's first
 * bytes were looked at, which for an SVG sent as an image is not enough to clear it of script.
 */
export function judge(declared: string, filename: string, content: Content | undefined, allowedTypes?: readonly string[], whole = true): ContentCheck {
  if (!content) return { type: declared }
  const { claim, byName } = claimOf(declared, filename)
  const label = content.active ? `${content.label} with ${content.active}` : content.label
  if (!FITS[content.kind](claim)) {
    const shown = filename.length > 100 ? `${filename.slice(0, 97)}...` : filename
    return mismatch(`The file's content is ${label} (${content.type}), not ${claim} as ${byName ? `its name "${shown}" says` : 'declared'}.`)
  }
  // An app that takes images expects pictures, not programs: an SVG that runs script is refused when
  // sent as an image, image/svg+xml included (opening its URL runs the script), or as octet-stream.
  // Sent as a text type (text/xml) it is taken for the document it is.
  const asImage = !isTextual(claim)
  if (content.kind === 'svg' && asImage && content.active) {
    return mismatch(`The file is an SVG image with ${content.active}, which would run when the file is opened; SVG images with script are not accepted.`)
  }
  if (content.kind === 'svg' && asImage && !whole) {
    return mismatch(`The SVG image is larger than ${formatSize(SVG_BYTES)}, more than is checked for script; SVG images that large are not accepted.`)
  }
  const type = typeFor(declared, claim, content)
  if (type !== declared && typeRefusal(allowedTypes, type, '')) {
    return mismatch(`The file's content is ${label} (${content.type}), which is not allowed here; allowed: ${allowedTypes!.join(', ')}.`)
  }
  const sized = type.startsWith('image/') && content.width !== undefined && content.height !== undefined
  return sized ? { type, width: content.width, height: content.height } : { type }
}

/** The content check on a file's first bytes (`head`), pure: what it is, or why it is refused. */
export async function checkContent(declared: string, filename: string, head: Uint8Array, allowedTypes?: readonly string[], whole = true): Promise<ContentCheck> {
  return judge(declared, filename, await sniff(head), allowedTypes, whole)
}

/**
 * The content check on a stored file of `size` bytes, reading its start with `read(length)`: one
 * read of {@link HEAD_BYTES}, and a second, longer one only for an image whose size the head did
 * not hold or an SVG that runs past it.
 */
export async function checkStored(
  read: (length: number) => Promise<Uint8Array | null>,
  size: number,
  declared: string,
  filename: string,
  allowedTypes?: readonly string[],
): Promise<ContentCheck> {
  if (size === 0) return { type: declared }
  let head = (await read(Math.min(size, HEAD_BYTES))) ?? new Uint8Array(0)
  let content = await sniff(head)
  const more = content?.kind === 'svg' ? SVG_BYTES : content?.kind === 'image' && content.width === undefined ? IMAGE_BYTES : 0
  if (head.length < Math.min(size, more)) {
    head = (await read(Math.min(size, more))) ?? head
    content = await sniff(head)
  }
  return judge(declared, filename, content, allowedTypes, head.length >= size)
}
