/** Where a request came from, for storages whose URLs point back at the handler. */
export interface StorageContext {
  /** Absolute URL of the handler's base path, e.g. `https://app.example/api/uploads`. */
  baseUrl: string
  /** Lifetime of read URLs, in seconds, for storages that hand one out with an upload (disk's form uploads). */
  readExpiresIn: number
}

export interface StoredObject {
  key: string
  size: number
  type: string
  etag: string
  lastModified: Date
  metadata: Record<string, string>
}

export interface UploadedPart {
  PartNumber: number
  Size: number
  ETag: string
}

export interface PostTarget {
  url: string
  fields: Record<string, string>
}

export interface NewObject {
  key: string
  type: string
  metadata: Record<string, string>
}

/**
 * What the upload handler needs from a storage. The routes never know which storage they talk to;
 * the multipart upload id and the key are the only state.
 */
export interface Storage {
  readonly name: string
  /** A form upload (S3 POST policy) for a single-request upload of `minSize`..`maxSize` bytes. */
  presignPost(object: NewObject, limits: { minSize: number; maxSize: number }, expiresIn: number, ctx: StorageContext): Promise<PostTarget>
  /** A URL for a single PUT of exactly `contentLength` bytes, and the headers the PUT must send. */
  presignPut(object: NewObject, contentLength: number, expiresIn: number, ctx: StorageContext): Promise<{ url: string; headers: Record<string, string> }>
  createMultipart(object: NewObject): Promise<{ uploadId: string }>
  /**
   * A URL to PUT one part to; when `contentLength` is given, a body of any other length is refused.
   * `maxLength` bounds a part whose length is not known, where the storage can enforce it (disk can;
   * S3 cannot, so the handler measures the parts before it completes).
   */
  presignPart(
    part: { key: string; uploadId: string; partNumber: number; contentLength?: number; maxLength?: number },
    expiresIn: number,
    ctx: StorageContext,
  ): Promise<string>
  /** Every uploaded part, all pages, sorted by part number. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>
  completeMultipart(key: string, uploadId: string, parts: { PartNumber: number; ETag: string }[]): Promise<void>
  abortMultipart(key: string, uploadId: string): Promise<void>
  head(key: string): Promise<StoredObject | null>
  delete(key: string): Promise<void>
  readUrl(key: string, expiresIn: number, ctx: StorageContext): Promise<string>
  /** Serves this storage's own routes under `{base}/disk/…`, if it has any. */
  handle?(request: Request, path: string, ctx: StorageContext): Promise<Response>
}
