// The executors of the plans that need nothing of S3's machinery: one PUT, one form POST, and chunk
// POSTs one after another. Parts (parallel, signed on demand or all in the plan) stay in FileUpload,
// which they share with resumable multipart uploads.
import type { ChunksPlan, FinishRequest, FormPlan, Plan, PutPlan } from '../shared/plan.js'
import { TransportError } from './errors.js'
import { answerOf, type Sent } from './send.js'

/** What an executor gets from the file's upload: the bytes, and requests that count towards its progress. */
export interface Lane {
  readonly data: Blob
  readonly name: string
  /** Runs `attempt` under the shared request limit, retried with backoff. */
  request<T>(attempt: () => Promise<T>): Promise<T>
  /** One request to storage whose upload progress counts as slot `n`'s. */
  send(n: number, method: 'PUT' | 'POST', url: string, body: Blob | FormData, headers: Record<string, string>): Promise<Sent>
  /** Slot `n`'s `size` bytes are stored. */
  stored(n: number, size: number): void
  /** A fresh plan, after storage refused an expired or spent one. */
  replan(): Promise<Plan | undefined>
  /** Bytes the chunks acknowledged so far; kept across a pause. */
  readonly chunked: { bytes: number }
}

/** What the finish call sends, and how many requests the bytes took. */
export interface Executed {
  finish: FinishRequest
  requests: number
}

/**
 * Sends one whole-file request, retried; storage's 403 for an expired URL or signature gets a
 * fresh plan of the same kind for the next try. A failed request stored nothing.
 */
async function whole<P extends PutPlan | FormPlan>(lane: Lane, plan: P, send: (plan: P) => Promise<Sent>): Promise<{ plan: P; sent: Sent }> {
  let target = plan
  const sent = await lane.request(async () => {
    try {
      return await send(target)
    } catch (err) {
      if (err instanceof TransportError && err.status === 403 && err.retryable) {
        const fresh = await lane.replan()
        if (fresh?.kind === plan.kind) target = fresh as P
      }
      throw err
    }
  })
  lane.stored(0, lane.data.size)
  return { plan: target, sent }
}

export async function putFile(lane: Lane, plan: PutPlan): Promise<Executed> {
  const done = await whole(lane, plan, (p) => lane.send(0, 'PUT', p.url, lane.data, p.headers))
  return { finish: { token: done.plan.token }, requests: 1 }
}

function formOf(fields: Record<string, string>, fileField: string, file: Blob, name: string): FormData {
  const form = new FormData()
  for (const [field, value] of Object.entries(fields)) form.append(field, value)
  form.append(fileField, file, name)
  return form
}

export async function postForm(lane: Lane, plan: FormPlan): Promise<Executed> {
  const done = await whole(lane, plan, (p) => lane.send(0, 'POST', p.url, formOf(p.fields, p.fileField, lane.data, lane.name), {}))
  return { finish: { token: done.plan.token, response: answerOf(done.sent) }, requests: 1 }
}

/** Chunk POSTs one after another, each with its Content-Range; the last answer describes the file. */
export async function postChunks(lane: Lane, plan: ChunksPlan): Promise<Executed> {
  const total = lane.data.size
  let answer: unknown
  let n = 0
  for (let start = 0; start < total; start += plan.chunkSize) {
    n++
    const end = Math.min(total, start + plan.chunkSize)
    if (end <= lane.chunked.bytes) continue // acknowledged before a pause
    const form = formOf(plan.fields, plan.fileField, lane.data.slice(start, end), lane.name)
    const headers = { ...plan.headers, 'content-range': `bytes ${start}-${end - 1}/${total}` }
    answer = answerOf(await lane.request(() => lane.send(n, 'POST', plan.url, form, headers)))
    lane.chunked.bytes = end
    lane.stored(n, end - start)
  }
  if (answer === undefined) throw new TransportError('invalid_plan', 'The chunked upload ended without an answer from storage; upload the file again.')
  return { finish: { token: plan.token, response: answer }, requests: n }
}
