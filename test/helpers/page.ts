import { createHash } from 'node:crypto'
import { openSync, writeSync, closeSync, readFileSync } from 'node:fs'
import type { Page, Request } from 'playwright-core'
import type { FileInfo, FailedUpload } from '../../src/index.js'

export interface Recorded { type: string; detail: any }

/** A call the page makes to the demo's upload endpoint (not a preflight, not disk storage's own routes). */
export function isEndpointCall(request: Request): boolean {
  const path = new URL(request.url()).pathname
  return path.startsWith('/api/uploads/') && !path.startsWith('/api/uploads/disk/') && request.method() !== 'OPTIONS'
}

/** The files of a POST /plan or /finish body: the single-file form, or each of a batch's `files`. */
export function batchItems(body: Record<string, any>): Record<string, any>[] {
  return Array.isArray(body.files) ? body.files : [body]
}

/**
 * What starts an upload, as the page asks for it: one entry per file planned (`plan:<name>`, a batch of
 * plans counted per file) and one per Companion route call that starts one.
 */
export function uploadsStarted(request: Request): string[] {
  const path = new URL(request.url()).pathname
  if (request.method() !== 'POST' && !path.endsWith('/s3/params')) return []
  if (path.endsWith('/plan')) return batchItems(request.postDataJSON()).map((f) => `plan:${f.filename}`)
  if (path.endsWith('/s3/params') || path.endsWith('/s3/multipart')) return [path]
  return []
}

/** Records every Hoist event the element fires into `window.__events`. */
export async function record(page: Page): Promise<void> {
  await page.waitForFunction(() => !!document.querySelector('hoist-uploader')?.uppy)
  await page.evaluate(() => {
    const w = window as unknown as { __events: { type: string; detail: unknown }[] }
    w.__events = []
    const names = ['file-added', 'file-removed', 'restriction-failed', 'upload-start', 'upload-progress', 'upload-complete', 'upload-error', 'all-complete', 'file-deleted']
    const el = document.querySelector('hoist-uploader')!
    for (const n of names) el.addEventListener(n, (e) => w.__events.push({ type: n, detail: (e as CustomEvent).detail }))
  })
}

export const events = (page: Page, type?: string): Promise<Recorded[]> =>
  page.evaluate((t) => (window as unknown as { __events: Recorded[] }).__events.filter((e) => !t || e.type === t), type)

export async function waitForEvents(page: Page, type: string, count: number, timeout = 60_000): Promise<Recorded[]> {
  await page.waitForFunction(
    ([t, n]) => (window as unknown as { __events: Recorded[] }).__events.filter((e) => e.type === t).length >= (n as number),
    [type, count] as const,
    { timeout, polling: 100 },
  )
  return events(page, type)
}

/** Adds files made in the page (name, size, type; bytes are a repeatable pattern) and returns their sha256 by name. */
export async function addGenerated(page: Page, files: { name: string; size: number; type?: string }[]): Promise<Record<string, string>> {
  return page.evaluate(async (specs) => {
    const out: Record<string, string> = {}
    const made: File[] = []
    for (const [i, s] of specs.entries()) {
      const bytes = new Uint8Array(s.size)
      for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 31 + i * 7) & 0xff
      const file = new File([bytes], s.name, { type: s.type ?? 'application/octet-stream' })
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      out[s.name] = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
      made.push(file)
    }
    document.querySelector('hoist-uploader')!.addFiles(made)
    return out
  }, files)
}

/** A JPEG of about `kb` kilobytes drawn on a canvas in the page; returns its sha256 and pixel size. */
export async function addJpeg(page: Page, name: string, kb = 200): Promise<{ sha: string; width: number; height: number; size: number }> {
  return page.evaluate(
    async ([fileName, target]) => {
      const canvas = document.createElement('canvas')
      canvas.width = 640
      canvas.height = 480
      const ctx = canvas.getContext('2d')!
      const img = ctx.createImageData(640, 480)
      let seed = 42
      for (let i = 0; i < img.data.length; i++) img.data[i] = i % 4 === 3 ? 255 : (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff
      ctx.putImageData(img, 0, 0)
      let quality = 0.9
      let blob = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/jpeg', quality))
      while (blob.size > (target as number) * 1024 && quality > 0.2) {
        quality -= 0.1
        blob = await new Promise<Blob>((r) => canvas.toBlob((b) => r(b!), 'image/jpeg', quality))
      }
      const bytes = new Uint8Array(await blob.arrayBuffer())
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      document.querySelector('hoist-uploader')!.addFiles([new File([bytes], fileName as string, { type: 'image/jpeg' })])
      return { sha: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''), width: 640, height: 480, size: bytes.length }
    },
    [name, kb] as const,
  )
}

/** Writes the test files' repeatable pattern into `chunk`, which starts `offset` bytes into its file. */
function fillPattern(chunk: Buffer, offset: number, seed: number): Buffer {
  for (let i = 0; i + 4 <= chunk.length; i += 512) chunk.writeUInt32LE((offset + i + seed) >>> 0, i)
  return chunk
}

/** `size` bytes of the pattern `writeTestFile` writes, in memory. */
export const testBytes = (size: number, seed = 1): Buffer => fillPattern(Buffer.alloc(size), 0, seed)

/** Writes a file of `size` bytes (a repeatable pattern) to `path`; returns its sha256. */
export function writeTestFile(path: string, size: number, seed = 1): string {
  const hash = createHash('sha256')
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(1024 * 1024)
  for (let written = 0; written < size; written += chunk.length) {
    fillPattern(chunk, written, seed)
    const n = Math.min(chunk.length, size - written)
    writeSync(fd, chunk, 0, n)
    hash.update(chunk.subarray(0, n))
  }
  closeSync(fd)
  return hash.digest('hex')
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
export const fileSha = (path: string) => sha256(readFileSync(path))

/** The sha256 of what a FileInfo's `url` serves. */
export async function storedSha(info: FileInfo): Promise<string> {
  const r = await fetch(info.url)
  if (!r.ok) throw new Error(`GET ${info.url} answered ${r.status}`)
  return sha256(new Uint8Array(await r.arrayBuffer()))
}

export const upload = (page: Page): Promise<{ successful: FileInfo[]; failed: FailedUpload[] }> =>
  page.evaluate(() => document.querySelector('hoist-uploader')!.upload())

export async function setInputFiles(page: Page, paths: string[]): Promise<void> {
  await page.locator('hoist-uploader input[type=file]').first().setInputFiles(paths)
}
