import type Uppy from '@uppy/core'

/** What a capture chunk (src/element/capture/*.ts) exports: Uppy's plugin, its CSS and Hoist's options for it. */
export interface Tab {
  // Each of Uppy's plugins takes its own options type; Hoist's are checked where they are written.
  plugin: Parameters<Uppy['use']>[0]
  css: string
  options: (config: CaptureConfig) => Record<string, unknown>
}

export interface CaptureConfig {
  sources: string[]
  imageEditor: boolean
  /** Width / height the editor's crop keeps, when set. */
  cropAspect: number | undefined
}

/** The tabs `sources` can add and the editor, each a chunk loaded the first time a page asks for it. */
const CHUNKS: Record<string, () => Promise<{ tab: Tab }>> = {
  camera: () => import('./capture/camera.js'),
  screen: () => import('./capture/screen.js'),
  audio: () => import('./capture/audio.js'),
  editor: () => import('./capture/editor.js'),
}

/**
 * The plugin ids `config` asks for, by chunk, in the order `sources` lists them. The editor's id
 * carries its crop, so a new `crop-aspect` installs it anew.
 */
const wanted = (config: CaptureConfig): Map<string, string> =>
  new Map([...config.sources.filter((s) => s !== 'editor' && s in CHUNKS), ...(config.imageEditor ? ['editor'] : [])].map((name) => [`Hoist-${name}${name === 'editor' ? `-${config.cropAspect ?? 'free'}` : ''}`, name]))

const adopted = new WeakMap<ShadowRoot, Set<string>>()

/**
 * Installs the capture tabs and the image editor that `current()` asks for and removes the others.
 * A chunk that cannot load (a page that serves only hoist-uploader.js) is left out, with a console
 * warning: picking files and uploading go on.
 */
export async function applyCapture(uppy: Uppy, root: ShadowRoot, dashboardId: string, current: () => CaptureConfig | undefined): Promise<void> {
  const ids = wanted(current()!)
  const installed: Parameters<Uppy['removePlugin']>[0][] = []
  uppy.iteratePlugins((p) => p.id.startsWith('Hoist-') && installed.push(p))
  for (const plugin of installed) if (!ids.has(plugin.id)) uppy.removePlugin(plugin)
  const loaded = await Promise.all(
    [...ids].map(([id, name]) =>
      uppy.getPlugin(id)
        ? undefined
        : CHUNKS[name]().then(
            ({ tab }) => ({ id, tab }),
            (err: Error) => console.warn(`<hoist-uploader>: ${name} could not load (${err.message}); it is left out.`),
          ),
    ),
  )
  for (const { id, tab } of loaded.filter((l) => l !== undefined)) {
    // The page may have asked for something else, or closed the element, while the chunks loaded.
    const now = current()
    if (!now || !wanted(now).has(id) || uppy.getPlugin(id) || !uppy.getPlugin(dashboardId)) continue
    const seen = adopted.get(root) ?? new Set<string>()
    adopted.set(root, seen)
    if (!seen.has(tab.css)) {
      seen.add(tab.css)
      const sheet = new CSSStyleSheet()
      sheet.replaceSync(tab.css)
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet]
    }
    uppy.use(tab.plugin, { id, target: uppy.getPlugin(dashboardId), ...tab.options(now) } as never)
  }
}
