// Types only: `import 'hoist-uploader/vue'` (or list it in tsconfig "types") makes Vue's template
// checker (vue-tsc, Volar) know <hoist-uploader>: its properties and its events with their details.
import type { DefineComponent } from 'vue'
import type { HoistEventDetails } from './element/events.js'
import type { HoistUploader } from './element/hoist-uploader.js'

type On<K extends keyof HoistEventDetails> = (event: CustomEvent<HoistEventDetails[K]>) => void

export type HoistUploaderVueProps = Partial<
  Pick<
    HoistUploader,
    | 'endpoint' | 'maxFileSize' | 'minFileSize' | 'maxFiles' | 'accept' | 'autoUpload' | 'disabled' | 'note'
    | 'height' | 'theme' | 'multipartThreshold' | 'meta' | 'name' | 'required' | 'sources' | 'deleteOnRemove' | 'group' | 'formValue'
  >
> & {
  // Vue's checker maps kebab-case attributes (max-file-size) and @events (@upload-complete) to these.
  onFileAdded?: On<'file-added'>
  onFileRemoved?: On<'file-removed'>
  onRestrictionFailed?: On<'restriction-failed'>
  onUploadStart?: On<'upload-start'>
  onUploadProgress?: On<'upload-progress'>
  onUploadComplete?: On<'upload-complete'>
  onUploadError?: On<'upload-error'>
  onAllComplete?: On<'all-complete'>
  onFileDeleted?: On<'file-deleted'>
}

declare module 'vue' {
  interface GlobalComponents {
    'hoist-uploader': DefineComponent<HoistUploaderVueProps>
  }
}

export {}
