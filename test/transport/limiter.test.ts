import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Limiter } from '../../src/transport/limiter.js'

/** Tasks that run until their `finish` is called, recording which have started. */
function tasks(limiter: Limiter, count: number) {
  const started: number[] = []
  const finishers: (() => void)[] = []
  const done = Array.from({ length: count }, (_, i) =>
    limiter.run(
      () =>
        new Promise<void>((resolve) => {
          started.push(i)
          finishers[i] = resolve
        }),
    ),
  )
  return { started, finish: async (i: number) => {
    finishers[i]()
    await done[i]
    await new Promise((r) => setTimeout(r, 0))
  }, done }
}

describe('Limiter', () => {
  it('runs at most `limit` tasks at once, first come first served', async () => {
    const l = new Limiter(2)
    const t = tasks(l, 4)
    await new Promise((r) => setTimeout(r, 0))
    assert.deepEqual(t.started, [0, 1])
    await t.finish(1)
    assert.deepEqual(t.started, [0, 1, 2])
    await t.finish(0)
    assert.deepEqual(t.started, [0, 1, 2, 3])
  })

  it('with refillAt, starts the waiting tasks together once few enough run', async () => {
    const l = new Limiter(4, 2)
    const t = tasks(l, 8)
    await new Promise((r) => setTimeout(r, 0))
    assert.deepEqual(t.started, [0, 1, 2, 3])
    await t.finish(0)
    assert.deepEqual(t.started, [0, 1, 2, 3], 'three still run: more than refillAt')
    await t.finish(1)
    assert.deepEqual(t.started, [0, 1, 2, 3, 4, 5], 'down to two: refilled to four at once')
  })

  it('lets the next task start when a running one hands its slot on early', async () => {
    const l = new Limiter(1)
    const order: string[] = []
    let finishFirst!: () => void
    const first = l.run(
      (release) =>
        new Promise<void>((resolve) => {
          order.push('first sent')
          release()
          release() // a second release changes nothing
          finishFirst = resolve
        }),
    )
    const second = l.run(async () => order.push('second'))
    const third = l.run(async () => order.push('third'))
    await second
    await third
    assert.deepEqual(order, ['first sent', 'second', 'third'], 'the slot moved on before the first task ended')
    finishFirst()
    await first
    assert.equal(await l.run(async () => 'next'), 'next')
  })

  it('drops a waiting task whose signal aborts', async () => {
    const l = new Limiter(1)
    const t = tasks(l, 1)
    const stop = new AbortController()
    const waiting = l.run(async () => 'ran', stop.signal)
    stop.abort()
    await assert.rejects(waiting, { name: 'AbortError' })
    await t.finish(0)
    assert.equal(await l.run(async () => 'next'), 'next')
  })
})
