// The first wave of a file's parts starts staggered, so parallel requests stop finishing together.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ramp } from '../../src/transport/ramp.js'

describe('Ramp', () => {
  it('starts each part of the first wave once the one before it has sent its share, then lets the rest go', async () => {
    const sent = new Map<number, number>()
    const ramp = new Ramp(3, 100, (n) => sent.get(n) ?? 0, 10_000)
    const signal = new AbortController().signal
    const started: number[] = []
    const go = (n: number) => ramp.gate(n, signal).then(() => started.push(n))
    const gates = [1, 2, 3, 4].map(go)
    await new Promise((r) => setTimeout(r, 20))
    // Part 1 starts at once; part 4 is past the first wave (limit 3) and is not held either.
    assert.deepEqual(started, [1, 4])
    sent.set(1, 99)
    ramp.progressed()
    await new Promise((r) => setTimeout(r, 0))
    assert.deepEqual(started, [1, 4])
    sent.set(1, 100)
    ramp.progressed()
    await new Promise((r) => setTimeout(r, 0))
    assert.deepEqual(started, [1, 4, 2])
    sent.set(2, Infinity)
    ramp.progressed()
    await Promise.all(gates)
    assert.deepEqual(started, [1, 4, 2, 3])
  })
  it('waits at most maxWait, and stops waiting when the run is aborted', async () => {
    const ramp = new Ramp(6, 100, () => 0, 30)
    const stop = new AbortController()
    await ramp.gate(1, stop.signal)
    const t0 = Date.now()
    await ramp.gate(2, stop.signal)
    assert.ok(Date.now() - t0 >= 25, 'held until maxWait')
    const held = ramp.gate(3, stop.signal)
    stop.abort()
    await assert.rejects(held, { name: 'AbortError' })
  })
})
