// The name and type a link upload gets: the user's, else the server's, else the URL's.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { dispositionName, linkFilename, linkType } from '../../src/server/from-url/name.js'

const url = (s: string) => new URL(s)

describe('link upload names', () => {
  it('reads Content-Disposition, preferring filename*', () => {
    assert.equal(dispositionName('attachment; filename="report 2026.pdf"'), 'report 2026.pdf')
    assert.equal(dispositionName('attachment; filename=plain.txt'), 'plain.txt')
    assert.equal(dispositionName(`attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC%20rates.txt`), '€ rates.txt')
    assert.equal(dispositionName('attachment; filename="say \\"hi\\".txt"'), 'say "hi".txt')
    // UTF-8 bytes in a plain filename, as Node hands them over (one character per byte).
    assert.equal(dispositionName(`attachment; filename="${Buffer.from('café.txt').toString('latin1')}"`), 'café.txt')
    assert.equal(dispositionName('attachment; filename="caf\u00e9.txt"'), 'café.txt')
    assert.equal(dispositionName('inline'), undefined)
    assert.equal(dispositionName(undefined), undefined)
  })

  it('takes the given name, else the disposition, else the last path segment, else "file"', () => {
    assert.equal(linkFilename('mine.png', 'attachment; filename="theirs.png"', url('http://a.test/x/path.png')), 'mine.png')
    assert.equal(linkFilename(undefined, 'attachment; filename="theirs.png"', url('http://a.test/x/path.png')), 'theirs.png')
    assert.equal(linkFilename(undefined, undefined, url('http://a.test/x/caf%C3%A9%20menu.pdf?v=2')), 'café menu.pdf')
    assert.equal(linkFilename(undefined, undefined, url('http://a.test/x/')), 'file')
    assert.equal(linkFilename(undefined, undefined, url('http://a.test')), 'file')
    // A server's name is only a name: no directories, no control characters.
    assert.equal(linkFilename(undefined, 'attachment; filename="../../etc/passwd"', url('http://a.test/')), 'passwd')
    assert.equal(linkFilename(undefined, 'attachment; filename="a\u0000b.txt"', url('http://a.test/')), 'ab.txt')
    assert.equal(linkFilename(undefined, 'attachment; filename=".."', url('http://a.test/z.txt')), 'z.txt')
    assert.equal(linkFilename(undefined, undefined, url('http://a.test/bad%E0%A4%A')), 'bad%E0%A4%A')
    assert.equal([...linkFilename(undefined, `attachment; filename="${'x'.repeat(2000)}"`, url('http://a.test/'))].length, 255)
  })

  it('types by a valid Content-Type, else by the name, else application/octet-stream', () => {
    assert.equal(linkType('image/PNG', 'x.bin'), 'image/png')
    assert.equal(linkType('text/html; charset=utf-8', 'x.png'), 'text/html')
    assert.equal(linkType('application/octet-stream', 'photo.jpg'), 'image/jpeg')
    assert.equal(linkType('not a type', 'photo.jpg'), 'image/jpeg')
    assert.equal(linkType(undefined, 'doc.pdf'), 'application/pdf')
    assert.equal(linkType(undefined, 'file'), 'application/octet-stream')
  })
})
