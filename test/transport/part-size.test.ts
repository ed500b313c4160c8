import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { choosePartSize, LinkRate, MAX_CHOSEN_PART } from '../../src/transport/part-size.js'
import { MAX_PARTS, MIN_PART_SIZE } from '../../src/shared/parts.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

describe('choosePartSize', () => {
  it('with nothing measured, cuts a file into about 64 parts of whole MiB, at least 5 MiB', () => {
    assert.equal(choosePartSize(8 * MiB, 6, undefined), MIN_PART_SIZE)
    assert.equal(choosePartSize(256 * MiB, 6, undefined), MIN_PART_SIZE)
    assert.equal(choosePartSize(GiB, 6, undefined), 16 * MiB)
    assert.equal(choosePartSize(512 * MiB, 6, undefined), 8 * MiB)
  })

  it('makes parts about 4 s of one connection’s share of the measured link', () => {
    // 60 MB/s over 6 connections: 10 MB/s each, 40 MB a part, in whole MiB.
    assert.equal(choosePartSize(4 * GiB, 6, 60e6), 38 * MiB)
    // A slow link keeps small parts, so a retry resends little.
    assert.equal(choosePartSize(4 * GiB, 6, 1e6), MIN_PART_SIZE)
  })

  it('keeps at least 4 waves of parts across the request limit', () => {
    // 240 MiB over 6 connections: 10 MiB parts at most, even on a fast link.
    assert.equal(choosePartSize(240 * MiB, 6, 1e9), 10 * MiB)
  })

  it('stays at most 64 MiB, and within S3’s 10,000 parts for the largest files', () => {
    assert.equal(choosePartSize(100 * GiB, 6, 1e9), MAX_CHOSEN_PART)
    const huge = 4000 * GiB
    const part = choosePartSize(huge, 6, 1e9)
    assert.ok(Math.ceil(huge / part) <= MAX_PARTS)
    assert.equal(part % MiB, 0)
  })
})

describe('LinkRate', () => {
  it('keeps the rate of the latest upload large enough to tell', () => {
    const link = new LinkRate()
    assert.equal(link.bytesPerSecond, undefined)
    link.record(MiB, 10)
    assert.equal(link.bytesPerSecond, undefined, 'a small upload says more about round trips')
    link.record(32 * MiB, 1000)
    assert.equal(link.bytesPerSecond, 32 * MiB)
    link.record(64 * MiB, 4000)
    assert.equal(link.bytesPerSecond, 16 * MiB)
  })
})
