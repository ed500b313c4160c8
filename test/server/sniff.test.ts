// The content check as a pure function over byte fixtures: what a file's first bytes are, whether
// they contradict its declared type in a way that matters, and the type and size to report.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HttpError } from '../../src/server/errors.js'
import { checkContent, checkStored, type ContentCheck, HEAD_BYTES, IMAGE_BYTES, SVG_BYTES } from '../../src/server/sniff-rules.js'
import { cfb, DOCX, elf, exe, gif, html, javaClass, jpeg, machO, mp4, pdf, png, shebang, svg, wasm, zip } from '../helpers/content.js'

const text = (t: string) => Buffer.from(t, 'utf8')

function refusal(r: ContentCheck): HttpError {
  assert.ok('refusal' in r, `expected a refusal, got ${JSON.stringify(r)}`)
  assert.equal(r.refusal.status, 400)
  assert.equal(r.refusal.code, 'type_mismatch')
  return r.refusal
}

function accepted(r: ContentCheck) {
  assert.ok(!('refusal' in r), `expected it to pass, got: ${'refusal' in r ? r.refusal.message : ''}`)
  return r
}

describe('checkContent: disguised files are refused with type_mismatch', () => {
  it('HTML declared as a JPEG, and the message names both types', async () => {
    const err = refusal(await checkContent('image/jpeg', 'photo.jpg', html()))
    assert.equal(err.message, "The file's content is HTML (text/html), not image/jpeg as declared.")
  })

  const pages: [string, Buffer][] = [
    ['after a UTF-8 BOM and whitespace', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(' \r\n\t<html><body>x</body></html>')])],
    ['a bare <script>', text('<script>alert(1)</script>')],
    ['a bare <iframe>', text('<IFRAME src="https://example.test/"></IFRAME>')],
    ['a leading comment', text('<!-- page -->\n<p>hello</p>')],
    ['an XHTML page with an XML prolog', text('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>')],
    ['markup after some text', text('GIF89a hello <script>alert(1)</script>')],
    ['UTF-16 with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<html><body>x</body></html>', 'utf16le')])],
  ]
  for (const [name, body] of pages) {
    it(`HTML as ${name}, declared image/png`, async () => {
      assert.match(refusal(await checkContent('image/png', 'a.png', body)).message, /content is (X?HTML) \((text\/html|application\/xhtml\+xml)\), not image\/png/)
    })
  }

  it('HTML declared as a PDF, a video or a Word document', async () => {
    for (const type of ['application/pdf', 'video/mp4', DOCX]) refusal(await checkContent(type, 'x', html()))
  })

  it('XML, and an SVG without script, declared as a raster image', async () => {
    assert.match(refusal(await checkContent('image/jpeg', 'a.jpg', text('<?xml version="1.0"?><feed/>'))).message, /XML \(application\/xml\), not image\/jpeg/)
    assert.match(refusal(await checkContent('image/png', 'a.png', svg())).message, /an SVG image \(image\/svg\+xml\), not image\/png/)
  })

  it('XML that is not an SVG, declared as image/svg+xml', async () => {
    refusal(await checkContent('image/svg+xml', 'a.svg', text('<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>')))
  })

  const scripted: [string, Buffer][] = [
    ['a <script> element', svg('<script>alert(1)</script>')],
    ['a prefixed <svg:script>', svg('<svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script>')],
    ['an onload handler', svg('', ' onload="alert(1)"')],
    ['an onclick handler on a new line', svg('<rect\nonclick="alert(1)"/>')],
    ['a javascript: link', svg('<a href="javascript:alert(1)"><text>x</text></a>')],
    ['an entity-encoded javascript: link', svg('<a href="jav&#x61;script&#58;alert(1)"><text>x</text></a>')],
    ['a javascript: link split by a tab', svg('<a href="java\tscript:alert(1)"><text>x</text></a>')],
    ['an entity declaration', text('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['a foreign iframe', svg('<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="data:text/html,x"/></foreignObject>')],
  ]
  for (const [name, body] of scripted) {
    it(`an SVG with ${name}, declared image/jpeg and image/svg+xml`, async () => {
      assert.match(refusal(await checkContent('image/jpeg', 'a.jpg', body)).message, /an SVG image with .+ \(image\/svg\+xml\), not image\/jpeg as declared/)
      assert.match(refusal(await checkContent('image/svg+xml', 'a.svg', body)).message, /SVG images with script are not accepted/)
    })
  }

  it('an SVG with script sent as application/octet-stream', async () => {
    refusal(await checkContent('application/octet-stream', 'drawing.svg', svg('<script>alert(1)</script>')))
    refusal(await checkContent('application/octet-stream', 'blob', svg('<script>alert(1)</script>')))
  })

  const programs: [string, Buffer, RegExp][] = [
    ['ELF', elf(), /an ELF executable \(application\/x-elf\)/],
    ['PE', exe(), /a Windows executable \(application\/x-msdownload\)/],
    ['Mach-O', machO(), /a Mach-O executable/],
    ['a Java class', javaClass(), /a Java class file \(application\/java-vm\)/],
    ['WebAssembly', wasm(), /a WebAssembly module \(application\/wasm\)/],
    ['a #! script', shebang(), /a script for \/bin\/sh/],
  ]
  for (const [name, body, label] of programs) {
    it(`${name} declared as a PDF, an image, text or a video`, async () => {
      assert.match(refusal(await checkContent('application/pdf', 'report.pdf', body)).message, new RegExp(`${label.source}.*, not application/pdf as declared\\.`))
      for (const type of ['image/png', 'text/plain', 'video/mp4']) refusal(await checkContent(type, 'x', body))
    })
  }

  it('an executable sent as application/octet-stream under a document name', async () => {
    const err = refusal(await checkContent('application/octet-stream', 'report.pdf', elf()))
    assert.equal(err.message, `The file's content is an ELF executable (application/x-elf), not application/pdf as its name "report.pdf" says.`)
  })

  it('a sniffed type that allowedTypes refuses, though the declared one passed', async () => {
    const err = refusal(await checkContent('image/png', 'scan.png', pdf(), ['image/*']))
    assert.equal(err.message, "The file's content is a PDF document (application/pdf), which is not allowed here; allowed: image/*.")
    refusal(await checkContent('image/jpeg', 'a.jpg', png(4, 4), ['image/jpeg']))
    refusal(await checkContent('application/octet-stream', 'a.bin', pdf(), ['.bin', 'image/*']))
  })
})

describe('checkContent: what passes, and the type it reports', () => {
  it('a PNG declared as a JPEG becomes image/png, with its size', async () => {
    assert.deepEqual(accepted(await checkContent('image/jpeg', 'photo.jpg', png(33, 21))), { type: 'image/png', width: 33, height: 21 })
  })

  it('a PNG sent as application/octet-stream', async () => {
    assert.deepEqual(accepted(await checkContent('application/octet-stream', 'x', png(5, 7), ['image/*'])), { type: 'image/png', width: 5, height: 7 })
  })

  it('JPEG and GIF sizes', async () => {
    assert.deepEqual(accepted(await checkContent('image/jpeg', 'a.jpg', jpeg(640, 480))), { type: 'image/jpeg', width: 640, height: 480 })
    assert.deepEqual(accepted(await checkContent('image/gif', 'a.gif', gif(300, 200))), { type: 'image/gif', width: 300, height: 200 })
  })

  it('a JPEG whose EXIF turns it a quarter reports the size it is shown at', async () => {
    assert.deepEqual(accepted(await checkContent('image/jpeg', 'a.jpg', jpeg(640, 480, 0, 6))), { type: 'image/jpeg', width: 480, height: 640 })
    assert.deepEqual(accepted(await checkContent('image/jpeg', 'a.jpg', jpeg(640, 480, 0, 3))), { type: 'image/jpeg', width: 640, height: 480 })
  })

  it('an SVG without script, declared as one, keeps its type and gets its size', async () => {
    assert.deepEqual(accepted(await checkContent('image/svg+xml', 'a.svg', svg())), { type: 'image/svg+xml', width: 120, height: 80 })
  })

  it('markup declared as text keeps the declared text type', async () => {
    assert.deepEqual(accepted(await checkContent('text/plain', 'page.txt', html())), { type: 'text/plain' })
    assert.deepEqual(accepted(await checkContent('text/html', 'page.html', html())), { type: 'text/html' })
    assert.deepEqual(accepted(await checkContent('application/rss+xml', 'feed.xml', text('<?xml version="1.0"?><rss><a onclick="x"/></rss>'))), { type: 'application/rss+xml' })
    assert.deepEqual(accepted(await checkContent('application/octet-stream', 'page', html())), { type: 'text/html' })
    // A README that opens with HTML, sent as octet-stream: its name says text, so it is not reported as a page.
    const readme = text('<p align="center"><img src="logo.png"></p>\n# Project\n')
    assert.deepEqual(accepted(await checkContent('application/octet-stream', 'README.md', readme, ['.md'])), { type: 'application/octet-stream' })
  })

  it('Office documents in their containers, declared as Office types', async () => {
    const docx = zip([['[Content_Types].xml', '<?xml version="1.0"?><Types/>'], ['word/document.xml', '<w:document/>']])
    assert.deepEqual(accepted(await checkContent(DOCX, 'a.docx', docx, ['.docx'])), { type: DOCX })
    assert.deepEqual(accepted(await checkContent('application/msword', 'a.doc', cfb(), ['.doc'])), { type: 'application/msword' })
    assert.deepEqual(accepted(await checkContent('application/vnd.ms-excel', 'a.xls', cfb())), { type: 'application/vnd.ms-excel' })
    assert.deepEqual(accepted(await checkContent('application/zip', 'a.zip', zip([['a.txt', 'hi']]))), { type: 'application/zip' })
  })

  it('an mp4 declared video/quicktime keeps its declared type; declared video/mp4 it is video/mp4', async () => {
    assert.deepEqual(accepted(await checkContent('video/quicktime', 'a.mov', mp4())), { type: 'video/quicktime' })
    assert.deepEqual(accepted(await checkContent('video/mp4', 'a.mp4', mp4())), { type: 'video/mp4' })
  })

  it('content with no magic keeps the declared type: text, CSV, JSON, zeros', async () => {
    const cases: [string, Buffer][] = [
      ['text/plain', text('hello world\n')],
      ['text/csv', text('name,size\nphoto.jpg,1024\n')],
      ['application/json', text('{"a":[1,2,3]}')],
      ['video/mp4', Buffer.alloc(5000)],
      ['image/jpeg', Buffer.concat([Buffer.from([1]), Buffer.alloc(4095)])],
    ]
    for (const [type, body] of cases) assert.deepEqual(accepted(await checkContent(type, 'x', body, [type])), { type })
  })

  it('text that merely begins like a binary signature ("BM", "MZ", "ID3") stays text', async () => {
    for (const t of ['BMW is a car maker.\n', 'MZ is a state code.\n', 'ID3 tags, explained\n', 'GIF89a was a good year\n']) {
      assert.deepEqual(accepted(await checkContent('text/plain', 'notes.txt', text(t), ['text/plain'])), { type: 'text/plain' })
    }
  })

  it('executables sent as executables or octet-stream; scripts as script types', async () => {
    assert.deepEqual(accepted(await checkContent('application/octet-stream', 'tool', elf())), { type: 'application/x-elf' })
    assert.deepEqual(accepted(await checkContent('application/x-msdownload', 'setup.exe', exe())), { type: 'application/x-msdownload' })
    assert.deepEqual(accepted(await checkContent('application/x-sh', 'run.sh', shebang())), { type: 'application/x-sh' })
    assert.deepEqual(accepted(await checkContent('text/x-python', 'run.py', text('#!/usr/bin/env python3\nprint(1)\n'))), { type: 'text/x-python' })
    // A Rust file's inner attribute is not a #! line.
    assert.deepEqual(accepted(await checkContent('text/plain', 'lib.rs', text('#![allow(dead_code)]\nfn main() {}\n'))), { type: 'text/plain' })
  })

  it('a PDF declared as an image, with no allowedTypes, is reported as a PDF', async () => {
    assert.deepEqual(accepted(await checkContent('image/png', 'scan.png', pdf())), { type: 'application/pdf' })
  })
})

describe('checkStored: reads at most twice, and only what it needs', () => {
  function stored(body: Uint8Array) {
    const reads: number[] = []
    const read = async (length: number) => {
      reads.push(length)
      return body.subarray(0, length)
    }
    return { read, reads }
  }

  it('one read of the head for a PNG, and none for an empty file', async () => {
    const image = png(40, 30)
    const s = stored(image)
    assert.deepEqual(accepted(await checkStored(s.read, image.length, 'image/png', 'a.png')), { type: 'image/png', width: 40, height: 30 })
    assert.deepEqual(s.reads, [Math.min(image.length, HEAD_BYTES)])
    const empty = stored(new Uint8Array(0))
    assert.deepEqual(await checkStored(empty.read, 0, 'image/png', 'a.png'), { type: 'image/png' })
    assert.deepEqual(empty.reads, [])
  })

  it('a JPEG whose size follows a 100 KiB EXIF block gets it from a second, longer read', async () => {
    const photo = jpeg(4032, 3024, 100 * 1024)
    assert.equal((await checkContent('image/jpeg', 'a.jpg', photo.subarray(0, HEAD_BYTES)) as { width?: number }).width, undefined)
    const s = stored(photo)
    assert.deepEqual(accepted(await checkStored(s.read, photo.length, 'image/jpeg', 'a.jpg')), { type: 'image/jpeg', width: 4032, height: 3024 })
    assert.deepEqual(s.reads, [HEAD_BYTES, Math.min(photo.length, IMAGE_BYTES)])
  })

  it('finds script deep in an SVG, past the first read', async () => {
    const body = svg(`<desc>${'x'.repeat(100 * 1024)}</desc><script>alert(1)</script>`)
    const s = stored(body)
    refusal(await checkStored(s.read, body.length, 'image/svg+xml', 'a.svg'))
    assert.deepEqual(s.reads, [HEAD_BYTES, body.length])
  })

  it('refuses an SVG sent as an image that is too large to check whole', async () => {
    const body = svg(`<desc>${'x'.repeat(SVG_BYTES)}</desc>`)
    assert.match(refusal(await checkStored(stored(body).read, body.length, 'image/svg+xml', 'a.svg')).message, /larger than 1 MiB/)
    assert.deepEqual(accepted(await checkStored(stored(body).read, body.length, 'text/xml', 'a.xml')), { type: 'text/xml' })
  })

  it('a file that vanished between head and read keeps its declared type', async () => {
    assert.deepEqual(await checkStored(async () => null, 100, 'image/png', 'a.png'), { type: 'image/png' })
  })
})
