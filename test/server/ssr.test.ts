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

  it('React renderToString of HoistUploader does not throw and renders the tag', () => {
    const code = `
      const React = await import('react');
      const { renderToString } = await import('react-dom/server');
      const { HoistUploader } = await import('./src/react/index.ts');
      console.log(renderToString(React.createElement(HoistUploader, { endpoint: '/api/uploads', note: 'hi' })));
    `
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    // @lit/react sets element properties on the client after hydration, so the server renders the bare tag.
    assert.match(r.stdout, /^<hoist-uploader[^>]*><\/hoist-uploader>$/m)
  })
})
