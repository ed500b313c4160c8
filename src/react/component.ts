import { createComponent, type EventName } from '@lit/react'
import type * as React from 'react'
import '../define.js'
import { HoistUploader as HoistUploaderElement } from '../element/hoist-uploader.js'
import type { HoistEventDetails } from '../element/events.js'

type Event<K extends keyof HoistEventDetails> = EventName<CustomEvent<HoistEventDetails[K]>>

/** Makes the React component with the React you pass (the package's `HoistUploader` uses yours). */
export function createHoistUploader(react: typeof React) {
  return createComponent({
    tagName: 'hoist-uploader',
    elementClass: HoistUploaderElement,
    react,
    events: {
      onFileAdded: 'file-added' as Event<'file-added'>,
      onFileRemoved: 'file-removed' as Event<'file-removed'>,
      onRestrictionFailed: 'restriction-failed' as Event<'restriction-failed'>,
      onUploadStart: 'upload-start' as Event<'upload-start'>,
      onUploadProgress: 'upload-progress' as Event<'upload-progress'>,
      onUploadComplete: 'upload-complete' as Event<'upload-complete'>,
      onUploadError: 'upload-error' as Event<'upload-error'>,
      onAllComplete: 'all-complete' as Event<'all-complete'>,
      onFileDeleted: 'file-deleted' as Event<'file-deleted'>,
    },
  })
}
