import type Uppy from '@uppy/core'

/** What a capture chunk (src/element/capture/*.ts) exports: Uppy's plugin, its CSS and Hoist's options for it. */
export interface Tab {
  // Each of Uppy's plugins takes its own options type; Hoist's are checked where they are written.
  plugin: Parameters<Uppy['use']>[0]
  css: string
  options: Record<string, unknown>
}

export interface CaptureConfig {
  sources: string[]
  imageEditor: boolean
  /** Width / height the editor's crop keeps, when set. */
  cropAspect: number | undefined
}

/** The tabs `sources` can add, each a chunk loaded the first time a page asks for it. */
const TABS: Record<string, () => Promise<{ tab: Tab }>> = {
  camera: () => import('./capture/camera.js'),
  screen: () => import('./capture/screen.js'),
  audio: () => import('./capture/audio.js'),
}
const loadEditor = () => import('./capture/editor.js')
export const CAPTURE_SOURCES = Object.keys(TABS)

const idOf = (name: string) => `Hoist-${name}`
/** The editor's plugin id carries its options, so a new `crop-aspect` installs it anew. */
const editorId = (config: CaptureConfig) => idOf(`editor-${config.cropAspect ?? 'free'}`)

/** The plugins `config` asks for, by id, each with its loader and the options Hoist adds to the chunk's own. */
function wanted(config: CaptureConfig): Map<string, { load: () => Promise<{ tab: Tab }>; options: Record<string, unknown> }> {
  const out = new Map(config.sources.filter((s) => s in TABS).map((s) => [idOf(s), { load: TABS[s], options: {} }]))
  if (config.imageEditor) {
    const ratio = config.cropAspect
    const fixed = ratio ? { cropperOptions: { aspectRatio: ratio, initialAspectRatio: ratio }, actions: { cropSquare: false, cropWidescreen: false, cropWidescreenVertical: false } } : {}
    out.set(editorId(config), { load: loadEditor, options: fixed })
  }
  return out
}

const adopted = new WeakMap<ShadowRoot, Set<string>>()
/** Adds a chunk's CSS to the element's shadow root, once. */
function adopt(root: ShadowRoot, css: string): void {
  const seen = adopted.get(root) ?? new Set<string>()
  adopted.set(root, seen)
  if (seen.has(css)) return
  seen.add(css)
  const sheet = new CSSStyleSheet()
  sheet.replaceSync(css)
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet]
}

/** Every id a capture plugin may have, so one no longer asked for can be found and removed. */
const isCaptureId = (id: string) => id.startsWith('Hoist-')

/**
 * Installs the capture tabs and the image editor that `current()` asks for and removes the others.
 * A chunk that cannot load (a page that serves only hoist-uploader.js) leaves its tab out, with a
 * console warning: picking files and uploading go on.
 */
export async function applyCapture(uppy: Uppy, root: ShadowRoot, dashboardId: string, current: () => CaptureConfig | undefined): Promise<void> {
  const config = current()
  if (!config) return
  const plugins = wanted(config)
  for (const plugin of capturePlugins(uppy)) if (!plugins.has(plugin.id)) uppy.removePlugin(plugin)
  openEditorOnAdd(uppy, dashboardId, config.imageEditor && config.cropAspect !== undefined)
  // Loaded together, installed in the order `sources` lists them.
  const loaded = await Promise.all(
    [...plugins].filter(([id]) => !uppy.getPlugin(id)).map(async ([id, { load, options }]) => {
      try {
        return { id, options, tab: (await load()).tab }
      } catch (err) {
        console.warn(`<hoist-uploader>: ${id.slice('Hoist-'.length)} could not load (${(err as Error).message}); it is left out.`)
        return undefined
      }
    }),
  )
  for (const { id, options, tab } of loaded.filter((l) => l !== undefined)) {
    // The page may have asked for something else, or closed the element, while the chunks loaded.
    const now = current()
    if (!now || !wanted(now).has(id) || uppy.getPlugin(id) || !uppy.getPlugin(dashboardId)) continue
    adopt(root, tab.css)
    uppy.use(tab.plugin, { id, target: uppy.getPlugin(dashboardId), ...tab.options, ...options } as never)
  }
}

const openers = new WeakMap<Uppy, (files: { id: string }[]) => void>()

/**
 * With a fixed crop, the editor opens by itself for the first image of each batch added, as the
 * Dashboard's `autoOpen` would (which it reads only when it is installed, before the editor is).
 */
function openEditorOnAdd(uppy: Uppy, dashboardId: string, on: boolean): void {
  const opener = openers.get(uppy)
  if (on === !!opener) return
  if (opener) {
    uppy.off('files-added', opener)
    openers.delete(uppy)
    return
  }
  const open = (files: { id: string }[]) => {
    const dashboard = uppy.getPlugin(dashboardId) as unknown as { canEditFile(f: unknown): boolean; openFileEditor(f: unknown): void } | undefined
    const image = files.map((f) => uppy.getFile(f.id)).find((f) => f && dashboard?.canEditFile(f))
    if (image) dashboard!.openFileEditor(image)
  }
  openers.set(uppy, open)
  uppy.on('files-added', open)
}

/** The capture plugins installed now. */
function capturePlugins(uppy: Uppy) {
  const all: { id: string }[] = []
  uppy.iteratePlugins((p) => isCaptureId(p.id) && all.push(p))
  return all as Parameters<Uppy['removePlugin']>[0][]
}
