import type { PrepareConfig } from './prepare.js'

/** `crop-aspect` as width / height: `1/1`, `16:9` or `1.5`; undefined for anything else. */
export function aspectOf(value: string | null | undefined): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:[/:]\s*(\d+(?:\.\d+)?))?\s*$/.exec(value ?? '')
  const ratio = match ? Number(match[1]) / Number(match[2] ?? 1) : NaN
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined
}

interface ImageAttributes {
  resizeImages?: number | string | null
  imageQuality?: number | string | null
  convertHeic?: string | null
  keepMetadata: boolean
}

/** What the image attributes ask of preparation; HEIC conversion follows `resize-images` unless set. */
export function prepareOf(el: ImageAttributes): PrepareConfig {
  const side = Math.floor(Number(el.resizeImages))
  const maxSide = Number.isFinite(side) && side > 0 ? side : undefined
  const quality = Number(el.imageQuality)
  const heic = el.convertHeic?.trim().toLowerCase()
  return {
    maxSide,
    quality: Number.isFinite(quality) && quality > 0 && quality <= 1 ? quality : 0.85,
    convertHeic: heic === undefined || heic === null ? maxSide !== undefined : heic !== 'off' && heic !== 'false',
    stripLocation: !el.keepMetadata,
  }
}
