import { createComponent, type EventName } from '@lit/react'
import * as React from 'react'
import '../define.js'
import { HoistUploader as HoistUploaderElement } from '../element/hoist-uploader.js'
import type { HoistEventDetails } from '../element/events.js'

type Event<K extends keyof HoistEventDetails> = EventName<CustomEvent<HoistEventDetails[K]>>

/**
 * `<hoist-uploader>` as a React component. Properties (including `meta`) pass straight to the
 * element, events arrive as typed `on…` props, and `ref` gives the element.
 */
export const HoistUploader = createComponent({
  tagName: 'hoist-uploader',
  elementClass: HoistUploaderElement,
  react: React,
  events: {
    onFileAdded: 'file-added' as Event<'file-added'>,
    onFileRemoved: 'file-removed' as Event<'file-removed'>,
    onRestrictionFailed: 'restriction-failed' as Event<'restriction-failed'>,
    onUploadStart: 'upload-start' as Event<'upload-start'>,
    onUploadProgress: 'upload-progress' as Event<'upload-progress'>,
    onUploadComplete: 'upload-complete' as Event<'upload-complete'>,
    onUploadError: 'upload-error' as Event<'upload-error'>,
    onAllComplete: 'all-complete' as Event<'all-complete'>,
  },
})

export type { FileInfo, FileSummary, UploadErrorInfo, FailedUpload } from '../element/events.js'
export { HoistUploaderElement }
