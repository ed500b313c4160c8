import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import { Batcher, type BatchTiming } from '../../src/transport/batcher.js'
import { TransportError } from '../../src/transport/errors.js'

type Answer = { n: number } | { error: { code: string; message: string; status: number } }

/** A batcher whose endpoint doubles numbers, refuses negatives, and records every call. */
function doubling(timing: BatchTiming, fail?: () => Error | undefined) {
  const calls: number[][] = []
  const answer = (n: number): Answer => (n < 0 ? { error: { code: 'negative', message: 'No negatives.', status: 400 } } : { n: n * 2 })
  const b = new Batcher<number, { n: number }>(
    async (n) => {
      calls.push([n])
      const a = answer(n)
      if ('error' in a) throw new TransportError(a.error.code, a.error.message, { status: 400 })
      return a
    },
    async (items) => {
      calls.push(items)
      const err = fail?.()
      if (err) throw err
      return items.map(answer)
    },
    (status, error) => new TransportError(error.code ?? 'x', error.message ?? '', { status, retryable: status >= 500 }),
    timing,
  )
  return { b, calls }
}

const soon = { max: 100, quiet: 0, maxWait: 0 }

describe('Batcher', () => {
  it('sends what is asked for in the same task as one call, and each caller gets its own answer', async () => {
    const { b, calls } = doubling(soon)
    const answers = await Promise.all([1, 2, 3].map((n) => b.add(n)))
    assert.deepEqual(answers, [{ n: 2 }, { n: 4 }, { n: 6 }])
    assert.deepEqual(calls, [[1, 2, 3]])
  })

  it('sends a lone item in the single form', async () => {
    const { b, calls } = doubling(soon)
    assert.deepEqual(await b.add(5), { n: 10 })
    assert.deepEqual(calls, [[5]])
  })

  it('fails only the item the endpoint refused', async () => {
    const { b } = doubling(soon)
    const results = await Promise.allSettled([b.add(1), b.add(-1), b.add(3)])
    assert.equal(results[0].status, 'fulfilled')
    assert.equal(results[2].status, 'fulfilled')
    assert.equal(results[1].status, 'rejected')
    const err = (results[1] as PromiseRejectedResult).reason
    assert.ok(err instanceof TransportError)
    assert.equal(err.code, 'negative')
    assert.equal(err.status, 400)
  })

  it('fails every item of a call that failed, with the call’s error', async () => {
    const boom = new TransportError('network_error', 'cut', { retryable: true })
    const { b } = doubling(soon, () => boom)
    const results = await Promise.allSettled([b.add(1), b.add(2)])
    assert.deepEqual(results.map((r) => (r as PromiseRejectedResult).reason), [boom, boom])
  })

  it('splits at max items a call', async () => {
    const { b, calls } = doubling({ max: 2, quiet: 0, maxWait: 0 })
    await Promise.all([1, 2, 3, 4, 5].map((n) => b.add(n)))
    assert.deepEqual(calls, [[1, 2], [3, 4], [5]])
  })

  it('takes an item aborted while it waits out of the call', async () => {
    const { b, calls } = doubling(soon)
    const stop = new AbortController()
    const gone = b.add(1, stop.signal)
    const kept = b.add(2)
    stop.abort()
    await assert.rejects(gone, { name: 'AbortError' })
    assert.deepEqual(await kept, { n: 4 })
    assert.deepEqual(calls, [[2]])
  })

  it('waits `quiet` ms after the latest item, but never more than `maxWait` after the first', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] })
    try {
      const { b, calls } = doubling({ max: 100, quiet: 30, maxWait: 100 })
      const pending: Promise<unknown>[] = []
      // One item every 20 ms: each arrives inside the quiet time of the one before.
      for (let i = 0; i < 8; i++) {
        pending.push(b.add(i))
        mock.timers.tick(20)
        await Promise.resolve()
      }
      mock.timers.tick(100)
      await Promise.all(pending)
      // Items 0–4 came by 80 ms; the call left at 100 ms, as item 5 came.
      assert.deepEqual(calls, [[0, 1, 2, 3, 4], [5, 6, 7]], 'the first call left 100 ms after its first item')
      // A lone item leaves once the quiet time has passed.
      const late = b.add(9)
      mock.timers.tick(29)
      await Promise.resolve()
      assert.equal(calls.length, 2)
      mock.timers.tick(1)
      assert.deepEqual(await late, { n: 18 })
      assert.deepEqual(calls.at(-1), [9])
    } finally {
      mock.timers.reset()
    }
  })
})
