// MD5 of file slices off the main thread: the kernel against Node's own MD5, the Worker's program run
// from its source text (as the page runs it, from a Blob URL), and the idle-time fallback Node gets.
import assert from 'node:assert/strict'
import { resolveObjectURL } from 'node:buffer'
import { createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, it } from 'node:test'
import { openHasher } from '../../src/transport/hasher.js'
import { md5Kernel } from '../../src/transport/md5.js'

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')

describe('md5Kernel', () => {
  it('matches MD5 for every length around the block and padding edges, fed in uneven pieces', () => {
    const make = md5Kernel()
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_537, 1_000_003]) {
      const bytes = randomBytes(n)
      const h = make()
      // Pieces of 1, 5, 16, … bytes, so most start at an offset that is not a multiple of 4.
      for (let at = 0, step = 1; at < n; at += step, step = (step * 5 + 3) % 4099) h.update(bytes.subarray(at, Math.min(n, at + step)))
      assert.equal(h.hex(), md5(bytes), `${n} bytes`)
    }
  })
  it('hashes more than 512 MiB worth of bits correctly (the length field past 32 bits)', () => {
    // 2^29 bytes is where the bit count leaves 32 bits; a zero-filled buffer checks the length field only.
    const size = 2 ** 29 + 77
    const zeros = new Uint8Array(8 * 1024 * 1024)
    const h = md5Kernel()()
    const node = createHash('md5')
    for (let left = size; left > 0; left -= zeros.length) {
      const piece = zeros.subarray(0, Math.min(left, zeros.length))
      h.update(piece)
      node.update(piece)
    }
    assert.equal(h.hex(), node.digest('hex'))
  })
  it('needs nothing outside its own source text (a Worker runs it from a Blob URL)', () => {
    // `__name`: tsx keeps function names through a helper, which the Worker's script defines too.
    const fromSource = new Function('__name', `return (${md5Kernel})()`)((f: unknown) => f) as ReturnType<typeof md5Kernel>
    const bytes = randomBytes(1000)
    const h = fromSource()
    h.update(bytes)
    assert.equal(h.hex(), md5(bytes))
  })
})

const data = new Blob([randomBytes(9 * 1024 * 1024 + 17)])
const bytes = async (start: number, end: number) => new Uint8Array(await data.slice(start, end).arrayBuffer())
const ranges: [number, number][] = [
  [0, 5 * 1024 * 1024],
  [5 * 1024 * 1024, data.size],
  [100, 101],
]

const realWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker')
afterEach(() => {
  if (realWorker) Object.defineProperty(globalThis, 'Worker', realWorker)
  else delete (globalThis as { Worker?: unknown }).Worker
})

/** A stand-in for the browser's Worker: runs the Blob URL's script with its own `self`, messages passed asynchronously. */
class ScriptWorker extends EventTarget {
  static started = 0
  #scope: { onmessage: ((e: { data: unknown }) => void) | null; postMessage: (m: unknown) => void }
  constructor(url: string) {
    super()
    ScriptWorker.started++
    this.#scope = { onmessage: null, postMessage: (m) => setTimeout(() => this.dispatchEvent(new MessageEvent('message', { data: m }))) }
    void resolveObjectURL(url)!
      .text()
      .then((source) => new Function('self', source)(this.#scope))
  }
  postMessage(m: unknown): void {
    // The script is read asynchronously, as a real Worker's is; messages wait for it, as they do there.
    setTimeout(() => this.#deliver(m), 20)
  }
  #deliver(m: unknown): void {
    if (!this.#scope.onmessage) return void setTimeout(() => this.#deliver(m), 5)
    this.#scope.onmessage({ data: m })
  }
  terminate(): void {}
}

/** A Worker whose script the page refuses (a Content-Security-Policy without blob:). */
class RefusedWorker extends EventTarget {
  constructor() {
    super()
    setTimeout(() => this.dispatchEvent(new Event('error', { cancelable: true })))
  }
  postMessage(): void {}
  terminate(): void {}
}

async function hashAll(): Promise<string[]> {
  const hasher = openHasher(data)
  try {
    return await Promise.all(ranges.map(([s, e]) => hasher.md5(s, e)))
  } finally {
    hasher.close()
  }
}

describe('openHasher', () => {
  it('hashes each range in a Worker running the program from its source text', async () => {
    Object.defineProperty(globalThis, 'Worker', { value: ScriptWorker, configurable: true, writable: true })
    const before = ScriptWorker.started
    const expected = await Promise.all(ranges.map(async ([s, e]) => md5(await bytes(s, e))))
    assert.deepEqual(await hashAll(), expected)
    assert.equal(ScriptWorker.started, before + 1)
  })
  it('hashes on the main thread in idle-time slices where no Worker can start', async () => {
    delete (globalThis as { Worker?: unknown }).Worker
    const expected = await Promise.all(ranges.map(async ([s, e]) => md5(await bytes(s, e))))
    assert.deepEqual(await hashAll(), expected)
  })
  it('hands the pending work to the main thread when the Worker is refused', async () => {
    Object.defineProperty(globalThis, 'Worker', { value: RefusedWorker, configurable: true, writable: true })
    const expected = await Promise.all(ranges.map(async ([s, e]) => md5(await bytes(s, e))))
    assert.deepEqual(await hashAll(), expected)
  })
  it('close() stops the work: what is pending rejects with an AbortError', async () => {
    delete (globalThis as { Worker?: unknown }).Worker
    const hasher = openHasher(data)
    const pending = hasher.md5(0, data.size)
    hasher.close()
    await assert.rejects(pending, { name: 'AbortError' })
    await assert.rejects(hasher.md5(0, 10), { name: 'AbortError' })
  })
})
