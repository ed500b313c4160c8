import assert from 'node:assert/strict'
import { describe, it, mock } from 'node:test'
import type { Backend, LinkStatus } from '../../src/transport/backend.js'
import { LinkUpload } from '../../src/transport/link-upload.js'

const file = { key: 'uploads/u1/a.png', url: 'http://s/a.png', size: 10, type: 'image/png', etag: 'e', name: 'a.png', stored: true }

/** A backend that answers the link's statuses in turn, recording the calls. */
function backend(statuses: LinkStatus[]) {
  const calls: string[] = []
  let i = 0
  const b = {
    startLink: async (url: string, filename: string | undefined, meta: Record<string, unknown>) => {
      calls.push(`start ${url} ${filename ?? '-'} ${JSON.stringify(meta)}`)
      return { token: `t${calls.length}` }
    },
    linkStatus: async (token: string) => {
      calls.push(`status ${token}`)
      return statuses[Math.min(i++, statuses.length - 1)]
    },
  }
  return { b: b as unknown as Backend, calls }
}

describe('LinkUpload', () => {
  it('starts the fetch once, reports progress in bytes and ends with the stored file', async () => {
    mock.timers.enable({ apis: ['setTimeout'] })
    try {
      const { b, calls } = backend([
        { status: 'waiting', done: 0 },
        { status: 'progress', done: 4, total: 10 },
        { status: 'success', done: 10, total: 10, file },
      ])
      const progress: [number, number | null][] = []
      const sent = mock.fn()
      const upload = new LinkUpload({ backend: b, url: 'https://files.test/a.png', metadata: { ticket: '7' }, onProgress: (d, t) => progress.push([d, t]) })
      const done = upload.start(sent)
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r))
        mock.timers.tick(500)
      }
      const result = await done
      assert.deepEqual(result, { key: file.key, location: file.url, info: file, parts: 1 })
      assert.deepEqual(progress, [[0, null], [4, 10], [10, 10]])
      assert.equal(sent.mock.callCount(), 1)
      assert.deepEqual(calls, ['start https://files.test/a.png - {"ticket":"7"}', 'status t1', 'status t1', 'status t1'])
    } finally {
      mock.timers.reset()
    }
  })

  it('fails with the server\'s code, and fetches the link again on a retry', async () => {
    const { b, calls } = backend([{ status: 'error', done: 0, error: { code: 'url_forbidden', message: 'That address is private.' } }])
    const upload = new LinkUpload({ backend: b, url: 'https://files.test/a.png', metadata: {}, onProgress: () => {} })
    await assert.rejects(upload.start(), (err: { code: string; message: string }) => err.code === 'url_forbidden' && err.message === 'That address is private.')
    await assert.rejects(upload.start())
    assert.equal(calls.filter((c) => c.startsWith('start')).length, 2)
  })

  it('pausing stops watching; starting again watches the same fetch', async () => {
    const { b, calls } = backend([{ status: 'progress', done: 1, total: 10 }])
    const upload = new LinkUpload({ backend: b, url: 'https://files.test/a.png', metadata: {}, onProgress: () => {} })
    const first = upload.start()
    await new Promise((r) => setTimeout(r, 20))
    assert.equal(upload.running, true)
    upload.pause()
    await assert.rejects(first, (err: Error) => err.name === 'AbortError')
    assert.equal(upload.running, false)
    const again = upload.start()
    await new Promise((r) => setTimeout(r, 20))
    upload.pause()
    await assert.rejects(again, (err: Error) => err.name === 'AbortError')
    assert.equal(calls.filter((c) => c.startsWith('start')).length, 1)
    assert.ok(calls.filter((c) => c === 'status t1').length >= 2)
  })
})
