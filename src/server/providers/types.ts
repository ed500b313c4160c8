import type { ChunksPlan, FinishRequest, FormPlan, PartsPlan, PutPlan } from '../../shared/plan.js'

type Untokened<P> = Omit<P, 'token'>
/** A plan before the handler signs its token. */
export type ProviderPlan = Untokened<PutPlan> | Untokened<FormPlan> | Untokened<PartsPlan> | Untokened<ChunksPlan>

/** A file the handler has checked against policy (type, size, name) and wants uploaded. */
export interface ProviderFile {
  /** The original file name. */
  filename: string
  /** The name made safe for storage (no path, no control characters). */
  safeName: string
  type: string
  size: number
  /** The app's own metadata from the element's `meta`, as strings. */
  metadata: Record<string, string>
  /** Seconds the plan's signatures should stay valid (the handler's `expiresIn`). */
  expiresIn: number
}

/** What a provider reports about a finished upload; the handler checks it against policy. */
export interface ProviderRecord {
  id: string
  url: string
  size: number
  type: string
  name: string
  width?: number
  height?: number
  etag?: string
  raw: unknown
}

/**
 * A hosted upload API, as the handler sees it: it plans how the browser sends the bytes, and
 * finishes the upload with what storage answered. `State` is what the provider needs between
 * the two (its own ids); the handler signs it into the plan's token, so it must hold no secret.
 */
export interface Provider<State extends object = object> {
  readonly kind: 'provider'
  /** `viesus`, `upscayl`, … (`FileInfo.provider.name`). */
  readonly name: string
  /** Human name for messages, e.g. `Upscayl`. */
  readonly title: string
  /** Whether an upload survives a page reload (none of the hosted plans does today). */
  readonly resumable: boolean
  plan(file: ProviderFile): Promise<{ plan: ProviderPlan; state: State }>
  finish(state: State, result: Omit<FinishRequest, 'token'>, file: { size: number; type: string; name: string }): Promise<ProviderRecord>
  /** Removes a finished file that breaks policy, where the API can. */
  delete?(record: ProviderRecord, state: State): Promise<void>
  /**
   * Starts a fetch of a link on the provider's side. `state` is signed into a token by the handler,
   * so it must hold no secret. Throws an `HttpError` when the provider refuses the link at once.
   */
  fromUrl?(link: LinkFile): Promise<{ state: object }>
  /**
   * Where that fetch stands; `record` once it succeeded. A fetch the provider reports failed answers
   * `error`; a provider that cannot be asked throws an `HttpError` (the fetch may still be running).
   */
  urlStatus?(state: object): Promise<LinkStatus>
  /** Deletes stored files by the ids the app holds (`FileInfo.provider.id`); ids already gone are not an error. */
  deleteIds?(ids: string[]): Promise<void>
  /** Keeps files uploaded as temporary (no adapter can today: see the README). */
  store?(ids: string[]): Promise<void>
  /** A group of files, its id as the provider gives it (Uploadcare: `uuid~N`) and each file's record. */
  group?(ids: string[]): Promise<ProviderGroup>
  /** The group, or null when the provider knows no such group. */
  groupInfo?(id: string): Promise<ProviderGroup | null>
}

/** A link to fetch: `metadata` is the app's, as strings. */
export interface LinkFile {
  url: string
  filename?: string
  metadata: Record<string, string>
}

/** A link fetch as the provider reports it; `done`/`total` in bytes where the provider reports them. */
export interface LinkStatus {
  status: 'waiting' | 'progress' | 'success' | 'error'
  done?: number
  total?: number
  record?: ProviderRecord
  error?: { code: string; message: string }
}

export interface ProviderGroup {
  id: string
  count: number
  records: ProviderRecord[]
}

export const isProvider = (s: unknown): s is Provider => !!s && typeof s === 'object' && (s as Provider).kind === 'provider'
