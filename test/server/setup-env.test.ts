import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

// A PATH with the shell tools the script uses but none of Ceph's binaries.
const bin = mkdtempSync(join(tmpdir(), 'hoist-path-'))
for (const tool of ['id', 'cat']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool))
after(() => rmSync(bin, { recursive: true, force: true }))

const setup = (env: Record<string, string>) =>
  spawnSync('/bin/bash', ['scripts/setup-test-env.sh'], { encoding: 'utf8', env: { PATH: process.env.PATH!, HOIST_NO_APT: '1', ...env } })

describe('test environment setup', () => {
  it('fails and says what to install when Chromium and Ceph are missing and it may not install them', () => {
    const r = setup({ PATH: bin, HOIST_CHROMIUM: '/nonexistent/chromium' })
    assert.equal(r.status, 1)
    assert.match(r.stderr, /needs: chromium ceph-mon ceph-osd radosgw ceph-common/)
    assert.match(r.stderr, /apt-get install -y --no-install-recommends chromium ceph-mon/)
    assert.match(r.stderr, /CHROME_PATH/)
  })
  it('passes when CHROME_PATH and S3_ENDPOINT point at parts already there', () => {
    const r = setup({ CHROME_PATH: process.execPath, S3_ENDPOINT: 'http://127.0.0.1:1' })
    assert.equal(r.status, 0, r.stderr)
  })
})
