import type { Body, Meta, UppyFile } from '@uppy/core'
import ImageEditor from '@uppy/image-editor'
import { editorCss } from '../generated/capture-css.js'
import type { Tab } from '../capture.js'

type AnyFile = UppyFile<Meta, Body>
interface DashboardLike {
  canEditFile(file: AnyFile): boolean
  openFileEditor(file: AnyFile): void
}

/**
 * Uppy's image editor (crop, rotate and flip), opened from a listed image's edit button. With a
 * fixed crop it also opens by itself for the first image of each batch added, as the Dashboard's
 * `autoOpen` would (which the Dashboard reads only when it is installed, before the editor is).
 */
class Editor extends ImageEditor<Meta, Body> {
  override install(): void {
    super.install()
    if (this.opts.cropperOptions?.aspectRatio) this.uppy.on('files-added', this.#open)
  }

  override uninstall(): void {
    this.uppy.off('files-added', this.#open)
    super.uninstall()
  }

  #open = (files: AnyFile[]): void => {
    const dashboard = this.opts.target as unknown as DashboardLike
    const image = files.map((f) => this.uppy.getFile(f.id)).find((f) => f && dashboard.canEditFile(f))
    if (image) dashboard.openFileEditor(image)
  }
}

export const tab: Tab = {
  plugin: Editor as unknown as Tab['plugin'],
  css: editorCss,
  options: ({ cropAspect: ratio }) => ({
    quality: 0.9,
    ...(ratio ? { cropperOptions: { aspectRatio: ratio, initialAspectRatio: ratio }, actions: { cropSquare: false, cropWidescreen: false, cropWidescreenVertical: false } } : {}),
  }),
}
