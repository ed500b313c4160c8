// Interop: stock @uppy/aws-s3 in companionEndpoint mode uploads through `hoist-uploader serve` to Ceph RGW.
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { build } from 'esbuild'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { startCli, startSite, type Running, type Site } from '../helpers/app.js'
import { launchChromium } from '../helpers/browser.js'
import { emptyBucket, makeBucket, openUploads } from '../helpers/s3.js'

const expectedSha = (size: number, i: number) => {
  const bytes = new Uint8Array(size)
  for (let j = 0; j < bytes.length; j++) bytes[j] = (j * 13 + i) & 0xff
  return createHash('sha256').update(bytes).digest('hex')
}

describe('interop: stock Uppy → hoist-uploader serve → Ceph RGW', () => {
  let s3: Awaited<ReturnType<typeof makeBucket>>
  let cli: Running
  let site: Site

  before(async () => {
    s3 = await makeBucket('interop')
    cli = await startCli([], { bucket: s3.bucket })
    const bundle = await build({ entryPoints: ['test/e2e/fixtures/stock-uppy.ts'], bundle: true, format: 'esm', write: false, logLevel: 'error' })
    const js = bundle.outputFiles[0].text
    site = await startSite('<!doctype html><script type="module" src="/app.js"></script>', (path) => (path === '/app.js' ? js : undefined))
  })
  after(async () => {
    site?.close()
    await cli?.stop()
    if (s3) await emptyBucket(s3.client, s3.bucket)
  })

  it('uploads a small file (form) and a 12 MiB file (multipart), byte for byte', async () => {
    const browser = await launchChromium()
    try {
      const tab = await browser.newPage()
      await tab.goto(site.url)
      await tab.waitForFunction(() => typeof window.uploadWithStockUppy === 'function')
      const specs = [{ name: 'small.bin', size: 150_000 }, { name: 'large.bin', size: 12 * 1024 * 1024 }]
      const result = await tab.evaluate(([endpoint, s]) => window.uploadWithStockUppy(endpoint, s), [cli.url, specs] as const)
      assert.deepEqual(result.failed, [])
      assert.deepEqual(result.ok.sort(), ['large.bin', 'small.bin'])
      for (const [i, spec] of specs.entries()) {
        const key = result.keys[spec.name]
        assert.match(key, new RegExp(`^uploads/\\d{4}/\\d{2}/[0-9a-f-]{36}/${spec.name.replace('.', '\\.')}$`))
        const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
        const bytes = await object.Body!.transformToByteArray()
        assert.equal(createHash('sha256').update(bytes).digest('hex'), expectedSha(spec.size, i), spec.name)
      }
      assert.equal((await openUploads(s3.client, s3.bucket)).length, 0)
    } finally {
      await browser.close()
    }
  })
})
