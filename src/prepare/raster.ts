/** What a worker answers for one image: the new bytes and their pixel size, or why not. */
export interface Encoded {
  blob: Blob
  width: number
  height: number
}

/**
 * Draws `image` with its long side at most `maxSide` pixels (never larger than it is) and encodes it
 * as `type`. Self-contained, with no imports and no helpers from outside it: the resize worker runs
 * it from its source text, and the HEIC worker imports it.
 */
export async function encodeScaled(image: ImageBitmap, maxSide: number | undefined, type: string, quality: number): Promise<Encoded> {
  const long = Math.max(image.width, image.height)
  const scale = maxSide && long > maxSide ? maxSide / long : 1
  const width = Math.max(1, Math.round(image.width * scale))
  const height = Math.max(1, Math.round(image.height * scale))
  const canvas = new OffscreenCanvas(width, height)
  const context = canvas.getContext('2d')
  if (!context) throw new Error('this browser gives no 2D canvas in a worker')
  context.imageSmoothingEnabled = true
  context.imageSmoothingQuality = 'high'
  context.drawImage(image, 0, 0, width, height)
  const blob = await canvas.convertToBlob({ type, quality })
  return { blob, width, height }
}
