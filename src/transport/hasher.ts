import { abortError } from './retry.js'
import { TransportError } from './errors.js'
import { type Md5, md5Kernel } from './md5.js'

/** MD5s of byte ranges of one file, computed off the main thread, in the order they are asked for. */
export interface Hasher {
  /** MD5 hex of `data.slice(start, end)`. */
  md5(start: number, end: number): Promise<string>
  /** Stops the work in progress; pending `md5()` calls reject with an AbortError. */
  close(): void
}

/** Bytes read from the file at a time: the file is never held whole in memory. */
const READ = 4 * 1024 * 1024

/** The Worker's program. Self-contained like `md5Kernel`: it runs from its source text. */
function workerMain(makeMd5: () => Md5): void {
  const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage: (m: unknown) => void }
  let data: Blob | undefined
  let chunk = 0
  let queue = Promise.resolve()
  // Requests are answered one after another, in order, each read a chunk ahead of its hashing.
  scope.onmessage = (e) => {
    const m = e.data as { data?: Blob; chunk: number; id: number; start: number; end: number }
    if (m.data) {
      data = m.data
      chunk = m.chunk
      return
    }
    queue = queue.then(async () => {
      try {
        const md5 = makeMd5()
        let next = data!.slice(m.start, Math.min(m.end, m.start + chunk)).arrayBuffer()
        for (let at = m.start; at < m.end; ) {
          const bytes = new Uint8Array(await next)
          if (bytes.length === 0) throw new Error('the file is shorter than when it was picked')
          at += bytes.length
          if (at < m.end) next = data!.slice(at, Math.min(m.end, at + chunk)).arrayBuffer()
          md5.update(bytes)
        }
        scope.postMessage({ id: m.id, hex: md5.hex() })
      } catch (err) {
        scope.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) })
      }
    })
  }
}

let workerUrl: string | undefined

/**
 * The Worker's script, from the two functions' source text. Builds that keep function names
 * (esbuild's keepNames, as tsx uses) call a `__name` helper inside functions: the script brings its
 * own. A build that renames that helper too makes the script fail, and the main thread hashes instead.
 */
const workerScript = () => `var __name = (f) => f;\n(${workerMain})((${md5Kernel})())`

function startWorker(): Worker | undefined {
  if (typeof Worker !== 'function' || typeof URL.createObjectURL !== 'function') return undefined
  try {
    workerUrl ??= URL.createObjectURL(new Blob([workerScript()], { type: 'text/javascript' }))
    return new Worker(workerUrl)
  } catch {
    return undefined // e.g. a Content-Security-Policy whose worker-src leaves out blob:
  }
}

const unreadable = (detail: string) =>
  new TransportError('file_unreadable', `The file could not be read to check what is already stored (${detail}); pick it again.`)

interface Pending {
  start: number
  end: number
  resolve: (hex: string) => void
  reject: (err: unknown) => void
}

/**
 * A Hasher for `data`: in a Worker where the page may start one (from a Blob URL), otherwise on the
 * main thread in idle-time slices. A Worker that fails to start hands its pending work to the latter.
 */
export function openHasher(data: Blob): Hasher {
  const pending = new Map<number, Pending>()
  let ids = 0
  let closed = false
  let worker = startWorker()
  let local: Promise<void> = Promise.resolve()

  const onMessage = (e: MessageEvent) => {
    const { id, hex, error } = e.data as { id: number; hex?: string; error?: string }
    const p = pending.get(id)
    pending.delete(id)
    if (error !== undefined) p?.reject(unreadable(error))
    else p?.resolve(hex!)
  }
  const hashLocally = (id: number, p: Pending) => {
    local = local.then(async () => {
      if (closed) return
      try {
        const hex = await md5Here(data, p.start, p.end, () => closed)
        p.resolve(hex)
      } catch (err) {
        p.reject(closed ? abortError() : unreadable(String((err as Error)?.message ?? err)))
      } finally {
        pending.delete(id)
      }
    })
  }
  const onError = (e: Event) => {
    // The Worker could not start (its script was refused, or failed): the rest is hashed here instead.
    e.preventDefault()
    worker?.terminate()
    worker = undefined
    for (const [id, p] of [...pending].sort((a, b) => a[0] - b[0])) hashLocally(id, p)
  }
  if (worker) {
    worker.addEventListener('message', onMessage)
    worker.addEventListener('error', onError)
    worker.postMessage({ data, chunk: READ })
  }

  return {
    md5(start, end) {
      if (closed) return Promise.reject(abortError())
      const id = ++ids
      return new Promise<string>((resolve, reject) => {
        const p = { start, end, resolve, reject }
        pending.set(id, p)
        if (worker) worker.postMessage({ id, start, end })
        else hashLocally(id, p)
      })
    },
    close() {
      closed = true
      worker?.terminate()
      worker = undefined
      for (const p of pending.values()) p.reject(abortError())
      pending.clear()
    },
  }
}

let makeMd5: (() => Md5) | undefined

/** Hashes on this thread, a slice per idle period, so input and rendering go first. */
async function md5Here(data: Blob, start: number, end: number, stopped: () => boolean): Promise<string> {
  makeMd5 ??= md5Kernel()
  const md5 = makeMd5()
  for (let at = start; at < end; ) {
    const bytes = new Uint8Array(await data.slice(at, Math.min(end, at + READ)).arrayBuffer())
    if (bytes.length === 0) throw new Error('the file is shorter than when it was picked')
    at += bytes.length
    for (let i = 0; i < bytes.length; ) {
      const budget = await idle()
      if (stopped()) throw abortError()
      // 64 KiB at a time takes a fraction of a millisecond.
      do {
        md5.update(bytes.subarray(i, i + 65536))
        i += 65536
      } while (i < bytes.length && budget())
    }
  }
  return md5.hex()
}

/** Waits for an idle period (or 100 ms at most) and returns whether time is left in it. */
function idle(): Promise<() => boolean> {
  const ric = (globalThis as { requestIdleCallback?: (cb: (d: { timeRemaining: () => number }) => void, o: { timeout: number }) => number }).requestIdleCallback
  if (ric) return new Promise((resolve) => ric((deadline) => resolve(() => deadline.timeRemaining() > 2), { timeout: 100 }))
  return new Promise((resolve) =>
    setTimeout(() => {
      const until = performance.now() + 8
      resolve(() => performance.now() < until)
    }, 0),
  )
}
