// Checking stored parts against the local file before trusting them, and keeping what that check
// needs where storage's ETags are not MD5s. Node has no Worker: the hashing runs on the main thread here.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import type { ListedPart } from '../../src/transport/backend.js'
import { checkStored, PartLedger, type PartSums, StorageFacts } from '../../src/transport/part-check.js'

const KiB = 1024
const partSize = 64 * KiB
const bytes = randomBytes(4 * partSize + 100)
const data = new Blob([bytes])
const md5 = (n: number) => createHash('md5').update(bytes.subarray((n - 1) * partSize, Math.min(bytes.length, n * partSize))).digest('hex')
const size = (n: number) => Math.min(bytes.length, n * partSize) - (n - 1) * partSize
const part = (n: number, etag = md5(n), Size = size(n)): ListedPart => ({ PartNumber: n, Size, ETag: etag })

async function check(listed: ListedPart[], sums: PartSums = {}) {
  const matched: number[] = []
  const same = await checkStored(data, { partSize, ...sums }, listed, (p) => matched.push(p.PartNumber), new AbortController().signal)
  return { same, matched }
}

describe('checkStored', () => {
  it('trusts parts whose ETag is the MD5 of the same slice of the file, quoted or not, in any case', async () => {
    const listed = [part(3), part(1, `"${md5(1)}"`), part(2, md5(2).toUpperCase()), part(5)]
    assert.deepEqual(await check(listed), { same: true, matched: [1, 2, 3, 5] })
  })
  it('says the upload belongs to another file at the first part whose bytes differ', async () => {
    const other = createHash('md5').update('another file').digest('hex')
    assert.deepEqual(await check([part(1), part(2, other), part(3)]), { same: false, matched: [1] })
  })
  it('leaves out parts of the wrong size and parts nothing can check (they are sent again)', async () => {
    const listed = [part(1, md5(1), size(1) - 1), part(2, 'abc-2'), part(3)]
    assert.deepEqual(await check(listed), { same: true, matched: [3] })
  })
  it('uses the MD5s kept with the upload where storage ETags are not MD5s', async () => {
    const opaque = (n: number) => createHash('sha1').update(String(n)).digest('hex').slice(0, 32)
    const sums: PartSums = { etagsAreMd5: false, md5s: { 1: md5(1), 2: md5(3) } }
    // Part 2's kept MD5 is not its bytes': another file. Part 3 has none: not checked, sent again.
    assert.deepEqual(await check([part(1, opaque(1)), part(2, opaque(2)), part(3, opaque(3))], sums), { same: false, matched: [1] })
    assert.deepEqual(await check([part(1, opaque(1)), part(3, opaque(3))], sums), { same: true, matched: [1] })
  })
  it('keeps no part, and says nothing of another file, when the MD5 code cannot be fetched (every part is sent again)', async () => {
    const matched: number[] = []
    const same = await checkStored(data, { partSize }, [part(1), part(2)], (p) => matched.push(p.PartNumber), new AbortController().signal, async () => undefined)
    assert.deepEqual({ same, matched }, { same: true, matched: [] })
  })
  it('stops when the upload is paused', async () => {
    const pause = new AbortController()
    pause.abort()
    await assert.rejects(checkStored(data, { partSize }, [part(1)], () => {}, pause.signal), { name: 'AbortError' })
  })
})

/** Runs `fn` with a ledger and waits until it has saved `count` times. */
async function ledger(upload: PartSums, count: number, fn: (l: PartLedger) => void, facts?: StorageFacts): Promise<PartSums[]> {
  const saved: PartSums[] = []
  await new Promise<void>((resolve) => {
    const l = new PartLedger(data, { partSize, ...upload }, (s) => {
      saved.push(structuredClone(s))
      if (saved.length === count) resolve()
    }, facts)
    fn(l)
  })
  return saved
}

describe('PartLedger', () => {
  it('hashes a part only for the first upload to a storage: later ones take the answer it learned', async () => {
    const facts = new StorageFacts()
    assert.deepEqual(await ledger({}, 1, (l) => l.stored(1, md5(1)), facts), [{ etagsAreMd5: true }])
    assert.equal(facts.etagsAreMd5, true)
    // The second upload saves the answer at once, and hashes nothing: its ETags need no check.
    const saved: PartSums[] = []
    const l = new PartLedger(data, { partSize }, (s) => saved.push(structuredClone(s)), facts)
    l.stored(1, 'not-looked-at')
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(saved, [{ etagsAreMd5: true }])
    l.close()
  })
  it('uploads that start together wait for the one finding out instead of each hashing a part', async () => {
    const facts = new StorageFacts()
    const saves: Record<string, PartSums[]> = { a: [], b: [] }
    const a = new PartLedger(data, { partSize }, (s) => saves.a.push(structuredClone(s)), facts)
    const b = new PartLedger(data, { partSize }, (s) => saves.b.push(structuredClone(s)), facts)
    a.stored(1, md5(1))
    b.stored(2, 'would-not-match') // hashed, this would mark ETags as not MD5s
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual([saves.a, saves.b], [[{ etagsAreMd5: true }], [{ etagsAreMd5: true }]])
    a.close()
    b.close()
  })
  it('a waiting upload finds out itself when the one finding out stops first', async () => {
    const facts = new StorageFacts()
    const a = new PartLedger(data, { partSize }, () => {}, facts)
    const saved: PartSums[] = []
    const b = new PartLedger(data, { partSize }, (s) => saved.push(structuredClone(s)), facts)
    a.stored(1, md5(1))
    b.stored(2, md5(2))
    a.close() // before its hash is done
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(saved, [{ etagsAreMd5: true }])
    b.close()
  })
  it('remembers for later uploads that ETags are not MD5s, so they keep every part\'s MD5 from the start', async () => {
    const facts = new StorageFacts()
    await ledger({}, 1, (l) => l.stored(1, 'kms-etag-1'), facts)
    assert.equal(facts.etagsAreMd5, false)
    const saved = await ledger({}, 2, (l) => l.stored(2, 'kms-etag-2'), facts)
    assert.deepEqual(saved, [{ etagsAreMd5: false, md5s: {} }, { etagsAreMd5: false, md5s: { 2: md5(2) } }])
  })
  it('learns from the first part stored that ETags are MD5s, and saves that once', async () => {
    const saved = await ledger({}, 1, (l) => {
      l.stored(2, `"${md5(2)}"`)
      l.stored(1, md5(1))
    })
    assert.deepEqual(saved, [{ etagsAreMd5: true }])
  })
  it('keeps every part\'s MD5 where ETags are not MD5s', async () => {
    const saved = await ledger({}, 3, (l) => {
      l.stored(1, 'kms-etag-1')
      l.stored(3, 'kms-etag-3')
      l.stored(2, 'kms-etag-2')
    })
    assert.deepEqual(saved.at(-1), { etagsAreMd5: false, md5s: { 1: md5(1), 3: md5(3), 2: md5(2) } })
  })
  it('goes on keeping MD5s for a resumed upload that already keeps them', async () => {
    const saved = await ledger({ etagsAreMd5: false, md5s: { 1: md5(1) } }, 1, (l) => l.stored(2, 'opaque'))
    assert.deepEqual(saved, [{ etagsAreMd5: false, md5s: { 1: md5(1), 2: md5(2) } }])
  })
})
