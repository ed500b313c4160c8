// The server entry as a new user's code calls it: a handler on disk storage answers an upload
// request and an unknown route.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createUploadHandler, diskStorage } from 'hoist-uploader/server'

const dir = mkdtempSync(join(tmpdir(), 'hoist-package-disk-'))
try {
  const secret = 'package-test-secret-0123456789'
  const handler = createUploadHandler({ storage: diskStorage({ dir, secret }), secret, basePath: '/api/uploads', authorize: () => ({ id: 'u1' }) })
  const post = (path, body) => handler(new Request(`http://127.0.0.1/api/uploads${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }))
  const created = await post('/s3/multipart', { filename: 'a.png', type: 'image/png' })
  const unknown = await post('/nope', {})
  console.log(JSON.stringify({ created: { status: created.status, body: await created.json() }, unknown: { status: unknown.status, body: await unknown.json() } }))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
