import '../src/define.js'
import type { FileInfo, HoistEventName } from '../src/index.js'

const uploader = document.querySelector('hoist-uploader')!
// The page's query sets these attributes: `?sources=url` shows the Link tab (the demo's server fetches
// links when started with HOIST_FROM_URL=on), `?sources=camera+screen+audio&image-editor&resize-images=2048`
// the capture tabs, the editor and resizing.
const query = new URLSearchParams(location.search)
for (const name of ['sources', 'image-editor', 'crop-aspect', 'resize-images', 'image-quality', 'convert-heic', 'keep-metadata']) {
  const value = query.get(name)
  if (value !== null) uploader.setAttribute(name, value)
}
const log = document.querySelector<HTMLOListElement>('#log')!
const files = document.querySelector<HTMLUListElement>('#files')!
const count = document.querySelector<HTMLSpanElement>('#file-count')!
let stored = 0

const formatSize = (n: number) =>
  n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`

function addLog(name: HoistEventName, text: string, tone = '') {
  const li = document.createElement('li')
  li.className = tone
  const time = document.createElement('time')
  time.textContent = new Date().toLocaleTimeString()
  const tag = document.createElement('span')
  tag.className = 'event'
  tag.textContent = name
  li.append(time, tag, document.createTextNode(` ${text}`))
  log.prepend(li)
  while (log.children.length > 200) log.lastElementChild!.remove()
}

function addFile(file: FileInfo) {
  files.querySelector('.empty')?.remove()
  const li = document.createElement('li')
  const thumb = document.createElement(file.type.startsWith('image/') ? 'img' : 'div')
  thumb.className = 'thumb'
  if (thumb instanceof HTMLImageElement) {
    thumb.src = file.url
    thumb.alt = ''
  } else thumb.textContent = file.extension.toUpperCase().slice(0, 4) || 'FILE'
  const body = document.createElement('div')
  body.className = 'meta'
  const link = document.createElement('a')
  link.href = file.url
  link.target = '_blank'
  link.rel = 'noopener'
  link.textContent = file.name
  const detail = document.createElement('small')
  const dims = file.width ? ` · ${file.width}×${file.height}` : ''
  const how = file.multipart ? `${file.parts} parts` : 'one request'
  detail.textContent = `${formatSize(file.size)}${dims} · ${how} · ${(file.durationMs / 1000).toFixed(1)} s`
  body.append(link, detail)
  li.append(thumb, body)
  files.prepend(li)
  count.textContent = String(++stored)
}

const lastProgress = new Map<string, number>()
uploader.addEventListener('file-added', (e) => addLog('file-added', `${e.detail.file.name} (${formatSize(e.detail.file.size)})`))
uploader.addEventListener('file-removed', (e) => addLog('file-removed', e.detail.file.name))
uploader.addEventListener('restriction-failed', (e) => addLog('restriction-failed', e.detail.error.message, 'warn'))
uploader.addEventListener('upload-start', (e) => addLog('upload-start', `${e.detail.files.length} file(s)`))
uploader.addEventListener('upload-progress', (e) => {
  const { file, bytesUploaded, bytesTotal } = e.detail
  const pct = bytesTotal ? Math.floor((bytesUploaded / bytesTotal) * 4) * 25 : 100
  if (lastProgress.get(file.id) === pct) return
  lastProgress.set(file.id, pct)
  addLog('upload-progress', `${file.name} ${pct}%`, 'quiet')
})
uploader.addEventListener('upload-complete', (e) => {
  addLog('upload-complete', `${e.detail.file.name} → ${e.detail.file.key}`, 'ok')
  addFile(e.detail.file)
})
uploader.addEventListener('upload-error', (e) => addLog('upload-error', `${e.detail.file?.name ?? ''}: ${e.detail.error.code} — ${e.detail.error.message}`, 'error'))
uploader.addEventListener('all-complete', (e) => addLog('all-complete', `${e.detail.successful.length} stored, ${e.detail.failed.length} failed`, 'ok'))
document.querySelector('#clear-log')!.addEventListener('click', () => log.replaceChildren())
