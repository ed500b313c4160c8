/**
 * Calls to a worker, one promise each: it is sent `{ id, job }` and answers `{ id, answer }` or
 * `{ id, error }`. The worker starts on the first call; with `idleMs` it stops after that long
 * without work. A worker that fails rejects every call waiting on it (with `failure(reason)`), and
 * the next call starts a new one.
 */
export function workerCalls<Job, Answer>(start: () => Worker, options: { idleMs?: number; failure: (reason: string) => string }): (job: Job) => Promise<Answer> {
  let worker: Worker | undefined
  let idle: ReturnType<typeof setTimeout> | undefined
  let nextId = 0
  const pending = new Map<number, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>()
  const stop = () => {
    worker?.terminate()
    worker = undefined
  }
  const running = (): Worker => {
    clearTimeout(idle)
    if (worker) return worker
    const started = (worker = start())
    started.onmessage = (e: MessageEvent<{ id: number; answer?: Answer; error?: string }>) => {
      const waiting = pending.get(e.data.id)
      pending.delete(e.data.id)
      if (e.data.answer) waiting?.resolve(e.data.answer)
      else waiting?.reject(new Error(e.data.error))
      if (pending.size === 0 && options.idleMs) idle = setTimeout(stop, options.idleMs)
    }
    started.onerror = (e) => {
      // Each waiting call is rejected with the reason: the page need not log it again.
      e.preventDefault()
      for (const waiting of pending.values()) waiting.reject(new Error(options.failure(e.message)))
      pending.clear()
      stop()
    }
    return started
  }
  return (job) =>
    new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      running().postMessage({ id, job })
    })
}
