import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'

describe('README API tables', () => {
  it('agree with custom-elements.json (run `npm run docs` after `npm run analyze`)', () => {
    const r = spawnSync(process.execPath, ['scripts/api-docs.mjs', '--check'], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
  })
})

describe('custom-elements.json', () => {
  it('matches what the analyzer makes from the source today (run `npm run analyze` after changing the element)', () => {
    // The analyzer resolves --outdir against the working directory.
    const out = join('.test-tmp', `cem-${process.pid}`)
    try {
      const r = spawnSync('npx', ['cem', 'analyze', '--config', 'custom-elements-manifest.config.mjs', '--outdir', out], { encoding: 'utf8' })
      assert.equal(r.status, 0, r.stderr)
      const fresh = JSON.parse(readFileSync(join(out, 'custom-elements.json'), 'utf8'))
      const committed = JSON.parse(readFileSync('custom-elements.json', 'utf8'))
      assert.deepEqual(committed, fresh, 'custom-elements.json is stale: run `npm run analyze` and commit it')
      // Tools find the manifest through package.json; running the analyzer must not repoint it.
      assert.equal(JSON.parse(readFileSync('package.json', 'utf8')).customElements, 'custom-elements.json')
      const element = fresh.modules.flatMap((m: { declarations?: unknown[] }) => m.declarations ?? []).find((d: { tagName?: string }) => d.tagName === 'hoist-uploader')
      assert.ok(element, 'the manifest declares <hoist-uploader>')
      assert.deepEqual(
        element.events.map((e: { name: string }) => e.name),
        ['file-added', 'file-removed', 'restriction-failed', 'upload-start', 'upload-progress', 'upload-complete', 'upload-error', 'all-complete', 'file-deleted'],
      )
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
