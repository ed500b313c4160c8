// The wire between the transport and the server: the server plans how a file's bytes travel
// (POST {base}/plan), the transport executes the plan, then sends what storage answered to one
// finish call (POST {base}/finish), which answers the stored file's description.

type Headers = Record<string, string>

/** What the transport asks for: "I want to upload this file". */
export interface PlanRequest {
  filename: string
  type: string
  size: number
  /** The part size the client would cut a multipart upload to; absent for one request. S3 and disk follow it; hosted APIs dictate their own. */
  partSize?: number
  /** Parts whose URLs to sign at once, for part plans signed on demand. */
  partNumbers?: number[]
  metadata: Record<string, unknown>
}

interface PlanBase {
  /** Opaque and signed: the finish call sends it back. It carries the provider's own ids, so the server keeps no state. */
  token: string
  /** Seconds the plan's URLs stay valid. */
  expires?: number
}

/** One PUT of the whole file. */
export interface PutPlan extends PlanBase {
  kind: 'put'
  url: string
  headers: Headers
}

/** One form POST: `fields` in order, then the file under `fileField`. The finish call sends the answer's JSON. */
export interface FormPlan extends PlanBase {
  kind: 'form'
  url: string
  fields: Record<string, string>
  fileField: string
}

/** Part PUTs, in parallel: every part `partSize` bytes but the last. */
export interface PartsPlan extends PlanBase {
  kind: 'parts'
  partSize: number
  /** Part URLs by number: all of them now (hosted APIs), or the first few when `uploadId` says more are signed on demand. */
  urls: Record<string, string>
  /** Headers every part PUT sends. */
  headers: Headers
  /** Whether the finish call needs each part's ETag. */
  etags: boolean
  /** S3 and disk: the upload id and key of the Companion routes that sign more parts, list them (resume) and complete. */
  uploadId?: string
  key?: string
}

/** Chunk POSTs one after another, each a form of `fields` plus its slice, with `Content-Range`; the last answer goes to the finish call. */
export interface ChunksPlan extends PlanBase {
  kind: 'chunks'
  url: string
  chunkSize: number
  fields: Record<string, string>
  fileField: string
  headers: Headers
}

export type Plan = PutPlan | FormPlan | PartsPlan | ChunksPlan

/** What the transport sends once the bytes are stored. */
export interface FinishRequest {
  token: string
  /** Part plans that need ETags. */
  parts?: { PartNumber: number; ETag: string }[]
  /** Form and chunk plans: storage's JSON answer (the last chunk's). */
  response?: unknown
}

/** A hosted API's own record of the file. */
export interface ProviderInfo {
  /** `viesus`, `upscayl`, `luw`, `uploadcare` or `cloudinary`. */
  name: string
  /** The handle the app needs next (the provider's upload id, path, URL, uuid or public id). */
  id: string
  /** The provider's final answer, as it came. */
  raw: unknown
}

/** What the finish call (and a multipart complete) answers about the stored file. */
export interface StoredInfo {
  key: string
  url: string
  size: number
  type: string
  etag: string
  name: string
  /** Pixel size, where the storage reports it (hosted APIs do for images). */
  width?: number
  height?: number
  /** False while the file is temporary (the server's `store: 'manual'`) and not yet kept by the app. */
  stored?: boolean
  provider?: ProviderInfo
}
