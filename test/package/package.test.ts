// The package as a new user gets it: `npm pack`, the tarball installed into a fresh project on the
// Node version `engines` names as the floor, then what that user runs and compiles there.
import assert from 'node:assert/strict'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { makeConsumer, root, type Consumer, type Result } from './consumer.js'
import { readmeFiles, readmeLinks } from './readme.js'

const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const snippets = readmeFiles()
let app: Consumer
const compiled: Record<string, Promise<Result>> = {}

/** Runs TypeScript in the project on one tsconfig: the README's settings plus the files to compile. */
function compile(name: string, settings: string, files: Record<string, string>, adjust: (options: Record<string, unknown>) => void = () => {}) {
  const options = JSON.parse(snippets[settings]).compilerOptions
  adjust(options)
  for (const [file, text] of Object.entries(files)) app.write(file, text)
  app.write(`tsconfig.${name}.json`, JSON.stringify({ compilerOptions: { ...options, noEmit: true }, files: Object.keys(files) }, null, 2))
  compiled[name] = app.run('node', ['node_modules/typescript/bin/tsc', '-p', `tsconfig.${name}.json`, '--listFiles'])
}

const errorsIn = (out: string) => out.split('\n').filter((l) => /error TS\d+/.test(l))
const loaded = (out: string) => out.split('\n').filter((l) => l.startsWith('/'))
const json = (r: Result) => {
  assert.equal(r.code, 0, r.out)
  return JSON.parse(r.out.trim().split('\n').at(-1)!)
}

before(async () => {
  for (const name of ['browser.ts', 'uppy.ts', 'server.ts', 'tsconfig.browser.json', 'tsconfig.server.json']) assert.ok(snippets[name], `README.md has no block marked <!-- package-test: ${name} -->`)
  app = await makeConsumer()
  for (const f of readdirSync(join(root, 'test/package/app'))) copyFileSync(join(root, 'test/package/app', f), join(app.dir, f))
  // The programs compile side by side; each test awaits its own.
  compile('browser', 'tsconfig.browser.json', {
    'browser.ts': snippets['browser.ts'],
    // A deliberate mistake: `url` is a string.
    'wrong.ts': `import 'hoist-uploader/define'\ndocument.querySelector('hoist-uploader')!.addEventListener('upload-complete', (e) => {\n  const url: number = e.detail.file.url\n  console.log(url)\n})\n`,
  })
  compile(
    'uppy',
    'tsconfig.browser.json',
    {
      'uppy.ts': snippets['uppy.ts'],
      // Uppy's own type must still fit the small UppyHandle that pages without hoist-uploader/uppy see.
      'handle.ts': `import 'hoist-uploader/uppy'\nimport type { UppyHandle } from 'hoist-uploader'\nexport const handle: UppyHandle | undefined = document.querySelector('hoist-uploader')!.uppy\n`,
    },
    (o) => ((o.lib as string[]).push('esnext.disposable')),
  )
  // The README's server snippet calls the app's own session check.
  const server = `declare function sessionUser(request: Request): Promise<{ id: string } | null>\n${snippets['server.ts']}`
  compile('server', 'tsconfig.server.json', { 'server.ts': server })
  // A full-stack project (Next.js and the like): the browser settings plus Node's types.
  compile('fullstack', 'tsconfig.browser.json', { 'fullstack.ts': server }, (o) => (o.types = ['node']))
})

after(async () => {
  // Let the compilers finish before their folder goes.
  await Promise.allSettled(Object.values(compiled))
  app?.cleanup()
})

describe('the packed tarball', () => {
  it('holds the build, the CLI, the manifest and the README, and no tests, sources or temp files', () => {
    const top = new Set(app.files.map((f) => f.split('/')[0]))
    assert.deepEqual([...top].sort(), ['README.md', 'bin', 'custom-elements.json', 'dist', 'package.json'])
    assert.deepEqual(app.files.filter((f) => /(^|\/)(test|tmp|\.test-tmp|src|node_modules)\/|\.test\.|\.tgz$/.test(f)), [])
    for (const entry of ['dist/index.js', 'dist/define.js', 'dist/server/index.js', 'dist/cdn/hoist-uploader.js', 'bin/hoist-uploader.js']) assert.ok(app.files.includes(entry), entry)
  })

  it('has source maps whose every source is shipped or inlined', () => {
    const maps = app.files.filter((f) => f.endsWith('.map'))
    assert.ok(maps.length > 50, `${maps.length} maps`)
    const dangling = maps.flatMap((map) => {
      const { sources, sourcesContent = [], sourceRoot = '' } = JSON.parse(readFileSync(join(app.pkgDir, map), 'utf8'))
      return (sources as string[]).filter((s, i) => typeof sourcesContent[i] !== 'string' && !app.files.includes(posix.join(posix.dirname(map), sourceRoot, s))).map((s) => `${map} → ${s}`)
    })
    assert.deepEqual(dangling, [])
  })

  it('names only shipped modules in custom-elements.json', () => {
    const manifest = JSON.parse(readFileSync(join(app.pkgDir, 'custom-elements.json'), 'utf8'))
    const paths: string[] = []
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>
        if (typeof o.path === 'string') paths.push(o.path)
        if (typeof o.module === 'string' && !o.package) paths.push(o.module)
        Object.values(o).forEach(walk)
      }
    }
    walk(manifest.modules)
    assert.ok(paths.includes('dist/element/hoist-uploader.js'), 'the element module is named')
    assert.deepEqual([...new Set(paths)].filter((p) => !app.files.includes(p)), [])
  })

  it('runs no script when installed, and npm says so', () => {
    const published = JSON.parse(readFileSync(join(app.pkgDir, 'package.json'), 'utf8'))
    assert.deepEqual(Object.keys(published.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s)), [])
    // npm 11 lists such packages as `hoist-uploader@0.1.0 (prepare: npm run build)`.
    assert.doesNotMatch(app.installLog, /hoist-uploader@\S* \((preinstall|install|postinstall|prepare):/)
  })
})

describe('installed on the Node version engines names as the floor', () => {
  it('runs on that version, and npm raises no engine warning for Hoist or its dependencies', async () => {
    assert.equal((await app.run('node', ['--version'])).out.trim(), `v${app.floor}`)
    assert.doesNotMatch(app.installLog, /EBADENGINE/)
  })

  it('resolves every subpath export, and its types, to a shipped file', async () => {
    const results: { spec: string; file: string; exists: boolean; types?: string; typesExist: boolean }[] = json(await app.run('node', ['exports.mjs']))
    assert.deepEqual(
      results.map((r) => r.spec),
      Object.keys(ours.exports).map((k) => (k === '.' ? 'hoist-uploader' : `hoist-uploader/${k.slice(2)}`)),
    )
    for (const r of results) {
      assert.ok(r.exists && r.file.startsWith(app.pkgDir), `${r.spec} → ${r.file}`)
      assert.ok(r.typesExist, `${r.spec} types → ${r.types}`)
    }
  })

  it('imports hoist-uploader without a DOM: nothing registered, no window or document read by Hoist', async () => {
    const r = json(await app.run('node', ['dom-free-import.mjs', 'hoist-uploader']))
    assert.deepEqual(r.exports, ['HoistUploader'])
    assert.equal(r.registered, false, 'importing the class registers no tag')
    // Dependencies may look (`typeof document`); Hoist's own modules must not, nor may anything write.
    const ownOrWrites = r.touches.filter((t: { how: string; file: string }) => t.how === 'write' || t.file.startsWith(app.pkgDir))
    assert.deepEqual(ownOrWrites, [])
  })

  it('imports the define, uppy, vue and server entries without a DOM', async () => {
    for (const [spec, name] of [['hoist-uploader/define', 'HoistUploader'], ['hoist-uploader/uppy', 'HoistTransport'], ['hoist-uploader/server', 'createUploadHandler']]) {
      const r = json(await app.run('node', ['dom-free-import.mjs', spec]))
      assert.ok(r.exports.includes(name), `${spec} exports ${name}`)
      assert.deepEqual(r.touches.filter((t: { file: string }) => t.file.startsWith(app.pkgDir)), [], spec)
    }
    assert.deepEqual(json(await app.run('node', ['dom-free-import.mjs', 'hoist-uploader/vue'])).exports, [], 'the vue entry is types only')
  })

  it('answers upload requests from the server entry, and runs the CLI', async () => {
    const r = json(await app.run('node', ['server.mjs']))
    assert.equal(r.created.status, 200, JSON.stringify(r.created.body))
    assert.ok(r.created.body.uploadId && r.created.body.key, 'a multipart upload is created')
    assert.deepEqual([r.unknown.status, r.unknown.body.error.code], [404, 'not_found'])
    const cli = await app.run('node_modules/.bin/hoist-uploader', ['--help'])
    assert.equal(cli.code, 0, cli.out)
    assert.match(cli.out, /Usage: hoist-uploader serve/)
  })
})

describe('TypeScript in a new project, no skipLibCheck', () => {
  it("compiles the README's browser snippet under its settings, loading neither Uppy's types nor Node's", async () => {
    const r = await compiled.browser
    assert.deepEqual(errorsIn(r.out).filter((l) => !l.startsWith('wrong.ts')), [])
    assert.deepEqual(loaded(r.out).filter((f) => /node_modules\/(@uppy|@types\/node)\//.test(f)), [])
    assert.ok(loaded(r.out).some((f) => f.endsWith('hoist-uploader/dist/element/events.d.ts')), 'the event types are loaded')
  })

  it('refuses a wrong type for e.detail.file.url', async () => {
    const r = await compiled.browser
    assert.notEqual(r.code, 0)
    assert.deepEqual(
      errorsIn(r.out).map((l) => l.replace(/: error (TS\d+):.*/, ' $1')),
      ['wrong.ts(3,9) TS2322'],
      errorsIn(r.out).join('\n'),
    )
    assert.match(r.out, /Type 'string' is not assignable to type 'number'/)
  })

  it("types the uppy property as Uppy's own with hoist-uploader/uppy and lib esnext.disposable", async () => {
    const r = await compiled.uppy
    assert.equal(r.code, 0, errorsIn(r.out).join('\n'))
    assert.ok(loaded(r.out).some((f) => f.includes('node_modules/@uppy/core/')), "Uppy's types are loaded")
  })

  it("compiles the README's server snippet with @types/node and types: ['node']", async () => {
    const r = await compiled.server
    assert.equal(r.code, 0, errorsIn(r.out).join('\n'))
  })

  it('compiles it in a full-stack project too (the browser settings plus Node types)', async () => {
    const r = await compiled.fullstack
    assert.equal(r.code, 0, errorsIn(r.out).join('\n'))
  })
})

describe("the registry's page", () => {
  it('has repository, homepage, bugs and keywords, and the README links only absolute or in-page', () => {
    const base = ours.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
    assert.match(base, /^https:\/\//)
    assert.equal(ours.homepage, `${base}#readme`)
    assert.equal(ours.bugs.url, `${base}/issues`)
    assert.ok(ours.keywords.length >= 5)
    const links = readmeLinks()
    assert.ok(links.length > 0)
    assert.deepEqual(links.filter((l) => !/^(https:\/\/|#)/.test(l)), [], 'relative links break on the registry page')
    // Files of this repository are linked on its host, where the repository says it is.
    const image = links.find((l) => l.endsWith('docs/demo.png'))
    assert.equal(image, `${base}/raw/main/docs/demo.png`)
    assert.ok(existsSync(join(root, 'docs/demo.png')))
  })
})
