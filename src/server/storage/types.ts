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
  /** Marked temporary (`store: 'manual'`) and not yet kept by the app. */
  temporary?: boolean
}

/** One entry of {@link Storage.list}. */
export interface ListedObject {
  key: string
  size: number
  lastModified: Date
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
  /** Store it marked temporary (an object tag on S3), to be kept by the app or expire. */
  temporary?: boolean
}

/** How {@link Storage.write} reads a body the server fetches itself. */
export interface WriteOptions {
  /** Stop reading past this many bytes, store nothing and throw `file_too_large` (413). */
  maxSize: number
  /** Called with the bytes read so far, as they arrive. */
  onProgress?: (bytes: number) => void
}

/** The tag (S3) or flag (disk) that marks a temporary object; a lifecycle rule on it expires them. */
export const TEMPORARY_TAG = { Key: 'hoist-temporary', Value: 'true' } as const

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
  /** The object's bytes, or `length` of them from `start` (fewer at its end); null when nothing is stored there. */
  read(key: string, range?: { start: number; length: number }): Promise<Uint8Array | null>
  /**
   * Streams a body the server reads itself (a link upload, a small JSON record) into a new object, in
   * parts for a big one: never the whole body in memory. Past `maxSize` it stops reading and stores nothing.
   */
  write(object: NewObject, body: AsyncIterable<Uint8Array>, options: WriteOptions): Promise<StoredObject>
  /** Every object whose key starts with `prefix`, all pages. */
  list(prefix: string): AsyncIterable<ListedObject>
  /** Marks an object temporary, or kept (`false`); other tags an app set are left alone. */
  setTemporary(key: string, temporary: boolean): Promise<void>
  delete(key: string): Promise<void>
  readUrl(key: string, expiresIn: number, ctx: StorageContext): Promise<string>
  /** Serves this storage's own routes under `{base}/disk/…`, if it has any. */
  handle?(request: Request, path: string, ctx: StorageContext): Promise<Response>
}
