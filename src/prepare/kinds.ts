// Which files preparation handles, by type and name: read by the element, which decides whether to
// load the preparation chunk at all, and by the chunk itself.

/** Types that `resize-images` scales (and re-encodes as the same type). */
export const RESIZABLE = /^image\/(jpeg|png|webp)$/
/** HEIC/HEIF by type, including the image sequences phones write. */
export const HEIC_TYPE = /^image\/hei[cf](-sequence)?$/
/** HEIC/HEIF by file name. */
export const HEIC_NAME = /\.hei[cf]$/i
/** JPEG by file name, for a file the browser gave no type. */
export const JPEG_NAME = /\.jpe?g$/i
