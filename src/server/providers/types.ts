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
}

export const isProvider = (s: unknown): s is Provider => !!s && typeof s === 'object' && (s as Provider).kind === 'provider'
