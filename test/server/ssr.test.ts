import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'

describe('server-side rendering', () => {
  it('importing the element module in Node (no DOM) does not throw and registers nothing', () => {
    // A clean Node process, as a server renderer has: no window, no document.
    const code = `
      const mod = await import('./src/index.ts');
      if (typeof mod.HoistUploader !== 'function') throw new Error('no HoistUploader export');
      if (globalThis.customElements?.get?.('hoist-uploader')) throw new Error('index registered the tag');
      console.log('ok');
    `
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stdout, /ok/)
  })
})
