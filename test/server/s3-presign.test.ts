// Hoist's own SigV4 presigning must sign exactly what the AWS SDK signs: same URL, byte for byte,
// for path-style (RGW, MinIO), virtual-hosted custom endpoints (R2) and AWS itself.
import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { addressFrom, fastPresigner, presignUrl } from '../../src/server/storage/s3-presign.js'
import { createS3Client, s3Storage } from '../../src/server/storage/s3.js'

const date = new Date('2026-12-02T07:00:00Z')
const keys = ['uploads/u1/2026/12/a.png', 'uploads/u 1/ä+x(1)!*\'.png', 'k/~tilde/%41/日本語.bin', 'a//double/slash']
const setups = [
  { name: 'path-style endpoint', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true },
  { name: 'virtual-hosted endpoint', region: 'auto', endpoint: 'https://acc.r2.cloudflarestorage.com' },
  { name: 'AWS', region: 'eu-west-3' },
]
const credentialSets = [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, { accessKeyId: 'ASIA1', secretAccessKey: 'sk', sessionToken: 'session/token+=' }]

for (const setup of setups) {
  for (const credentials of credentialSets) {
    describe(`presigned URLs as the SDK signs them: ${setup.name}${credentials.sessionToken ? ', temporary credentials' : ''}`, () => {
      // As s3Storage makes it (no checksums on presigned PUTs, which S3-compatible stores do not all accept).
      const client = createS3Client({ ...setup, credentials })
      const probe = () => getSignedUrl(client, new GetObjectCommand({ Bucket: 'my-bucket', Key: 'hoist-probe/ä b+(1).bin' }), { expiresIn: 60, signingDate: date })
      it('signs PUTs (length, type and metadata), part PUTs and GETs identically', async () => {
        const at = addressFrom(await probe())
        assert.ok(at, 'the address is learned from the SDK')
        for (const Key of keys) {
          const Metadata = { 'original-name': encodeURIComponent('a b.png'), note: 'x%2By' }
          const sdkPut = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'my-bucket', Key, ContentType: 'image/png', ContentLength: 1234, Metadata }), { expiresIn: 900, signingDate: date, signableHeaders: new Set(['content-length', 'content-type']) })
          const hoisted = Object.fromEntries(Object.entries(Metadata).map(([k, v]) => [`x-amz-meta-${k}`, v]))
          assert.equal(presignUrl(at, credentials, { method: 'PUT', key: Key, query: { 'x-id': 'PutObject' }, headers: { 'content-length': '1234', 'content-type': 'image/png' }, hoisted, expiresIn: 900, date }), sdkPut, Key)
          const sdkPart = await getSignedUrl(client, new UploadPartCommand({ Bucket: 'my-bucket', Key, UploadId: 'up~id/with+chars', PartNumber: 7, ContentLength: 5242880 }), { expiresIn: 3600, signingDate: date, signableHeaders: new Set(['content-length']) })
          assert.equal(presignUrl(at, credentials, { method: 'PUT', key: Key, query: { 'x-id': 'UploadPart', partNumber: '7', uploadId: 'up~id/with+chars' }, headers: { 'content-length': '5242880' }, expiresIn: 3600, date }), sdkPart, Key)
          const sdkGet = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'my-bucket', Key }), { expiresIn: 120, signingDate: date })
          assert.equal(presignUrl(at, credentials, { method: 'GET', key: Key, query: { 'x-id': 'GetObject' }, expiresIn: 120, date }), sdkGet, Key)
        }
      })
    })
  }
}

describe('the fast presigner', () => {
  it('signs without the SDK once its first URL matched the SDK’s', async () => {
    const client = createS3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: credentialSets[1] })
    const presign = fastPresigner(client, 'my-bucket')
    const notTheSdk = async (): Promise<string> => assert.fail('the SDK was asked to sign')
    const url = await presign({ method: 'GET', key: 'a b.png', query: { 'x-id': 'GetObject' }, expiresIn: 60, date }, notTheSdk)
    assert.equal(url, await getSignedUrl(client, new GetObjectCommand({ Bucket: 'my-bucket', Key: 'a b.png' }), { expiresIn: 60, signingDate: date }))
  })

  it('hands over to the SDK when its own signature would differ', async () => {
    const client = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: credentialSets[0] })
    // A client whose presigned URLs this signer cannot reproduce (here: a different signing service).
    client.middlewareStack.add((next) => (args) => next(args), { step: 'build' })
    ;(client.config as { signingName?: string }).signingName = 'not-s3'
    const presign = fastPresigner(client, 'my-bucket')
    let sdkCalls = 0
    const url = await presign({ method: 'GET', key: 'a.png', query: { 'x-id': 'GetObject' }, expiresIn: 60 }, async () => {
      sdkCalls++
      return 'from-the-sdk'
    })
    assert.equal(url, 'from-the-sdk')
    assert.equal(sdkCalls, 1)
  })

  it('signs itself what the SDK would, for a storage built with s3Storage', async () => {
    const storage = s3Storage({ bucket: 'my-bucket', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: credentialSets[0] })
    const url = new URL(await storage.readUrl('uploads/a b.png', 300, { baseUrl: '', readExpiresIn: 300 }))
    assert.equal(url.origin + url.pathname, 'http://127.0.0.1:9000/my-bucket/uploads/a%20b.png')
    assert.equal(url.searchParams.get('X-Amz-Expires'), '300')
    assert.match(url.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/)
  })
})
