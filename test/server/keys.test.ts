import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertValidKey, defaultKey, safeName } from '../../src/server/keys.js'
import { parseSize } from '../../src/shared/sizes.js'

describe('safeName', () => {
  it('drops directories and traversal', () => {
    assert.equal(safeName('../../x.pdf'), 'x.pdf')
    assert.equal(safeName('..\\..\\windows\\win.ini'), 'win.ini')
    assert.equal(safeName('/etc/passwd'), 'passwd')
  })
  it('keeps unicode letters and emoji, turns spaces into dashes', () => {
    assert.equal(safeName('résumé 📄 ../../x.pdf'), 'x.pdf')
    assert.equal(safeName('résumé 📄.pdf'), 'résumé-📄.pdf')
  })
  it('removes control and reserved characters and leading dots', () => {
    assert.equal(safeName('a\u0000b\u001fc\u007f.txt'), 'abc.txt')
    assert.equal(safeName('..hidden'), 'hidden')
    assert.equal(safeName('what?<>|*:".txt'), 'what.txt')
    assert.equal(safeName('...'), 'file')
    assert.equal(safeName(''), 'file')
  })
  it('caps the name at 120 bytes and keeps the extension', () => {
    const name = safeName(`${'é'.repeat(200)}.jpeg`)
    assert.ok(Buffer.byteLength(name) <= 120, `${Buffer.byteLength(name)} bytes`)
    assert.ok(name.endsWith('.jpeg'))
  })
})

describe('defaultKey', () => {
  it('is prefix/yyyy/mm/uuid/safe-name', () => {
    const key = defaultKey({ filename: 'a b.png', safeName: 'a-b.png', type: 'image/png', user: {}, prefix: 'uploads/' })
    assert.match(key, /^uploads\/\d{4}\/\d{2}\/[0-9a-f-]{36}\/a-b\.png$/)
  })
})

describe('assertValidKey', () => {
  for (const bad of ['', '../x', 'a/../b', 'a//b', '/abs', 'a/./b', 'a\\b', 'a\u0000b', 'x'.repeat(1025), `${'y'.repeat(256)}/z`]) {
    it(`refuses ${JSON.stringify(bad.slice(0, 20))}`, () => assert.throws(() => assertValidKey(bad), { code: 'invalid_key' }))
  }
  it('accepts a normal key', () => assertValidKey('uploads/2026/11/abc/résumé.pdf'))
})

describe('parseSize', () => {
  it('reads bytes and units', () => {
    assert.equal(parseSize('1048576'), 1048576)
    assert.equal(parseSize('5MB'), 5_000_000)
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3)
    assert.equal(parseSize('1.5 kb'), 1500)
    assert.equal(parseSize(42), 42)
  })
  it('refuses what is not a size', () => {
    assert.equal(parseSize('5 parsecs'), undefined)
    assert.equal(parseSize('-1'), undefined)
    assert.equal(parseSize(''), undefined)
  })
})
