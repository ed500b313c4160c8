const EDGE = 64 * 1024

/**
 * Identifies a file's content cheaply, to check that a re-selected file is the one a stored upload
 * belongs to: its size and a hash of its first and last 64 KiB. SHA-256 where Web Crypto is available;
 * pages on plain http (other than localhost) have no `crypto.subtle`, and there a 64-bit
 * non-cryptographic hash serves, which is enough to tell files apart, not to resist forgery.
 */
export async function fingerprintOf(data: Blob): Promise<string> {
  const edges = data.size <= 2 * EDGE ? data : new Blob([data.slice(0, EDGE), data.slice(data.size - EDGE)])
  const bytes = new Uint8Array(await edges.arrayBuffer())
  const subtle = globalThis.crypto?.subtle
  if (!subtle) return `${data.size}:fnv:${fnv64(bytes)}`
  const digest = await subtle.digest('SHA-256', bytes)
  return `${data.size}:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')}`
}

/** FNV-1a, two independent 32-bit lanes (different offsets), as 16 hex digits. */
export function fnv64(bytes: Uint8Array): string {
  let a = 0x811c9dc5
  let b = 0x050c5d1f
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193)
    b = Math.imul(b ^ bytes[i], 0x01000193) ^ (b >>> 15)
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
}
