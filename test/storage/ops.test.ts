// `hoist-uploader sweep` and `hoist-uploader doctor` against Ceph RGW (and sweep on disk storage).
import { CreateMultipartUploadCommand, PutBucketCorsCommand, PutBucketLifecycleConfigurationCommand, DeleteBucketCorsCommand } from '@aws-sdk/client-s3'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, describe, it } from 'node:test'
import { doctor, sweepDisk, sweepS3 } from '../../src/server/ops.js'
import { parseDuration } from '../../src/server/numbers.js'
import { call, diskHandler } from '../helpers/server.js'
import { emptyBucket, makeBucket, openUploads } from '../helpers/s3.js'

const cli = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import('./src/server/cli.ts').then(async (m) => process.exit(await m.main(${JSON.stringify(args)})))`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })

describe('parseDuration', () => {
  it('reads s, m, h and d and refuses the rest', () => {
    assert.equal(parseDuration('90s'), 90_000)
    assert.equal(parseDuration('24h'), 86_400_000)
    assert.equal(parseDuration('7d'), 604_800_000)
    assert.throws(() => parseDuration('soon'), /not a duration/)
  })
})

describe('sweep', () => {
  const disk = diskHandler()
  after(disk.cleanup)

  it('aborts only the incomplete S3 uploads older than the limit', async () => {
    const s3 = await makeBucket('sweep')
    try {
      for (const key of ['a/1', 'a/2', 'b/3']) await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }))
      assert.equal((await sweepS3(s3.client, s3.bucket, parseDuration('1h'))).length, 0)
      assert.equal((await openUploads(s3.client, s3.bucket)).length, 3)
      const dry = await sweepS3(s3.client, s3.bucket, 0, true)
      assert.equal(dry.length, 3)
      assert.equal((await openUploads(s3.client, s3.bucket)).length, 3, 'a dry run aborts nothing')
      const swept = await sweepS3(s3.client, s3.bucket, 0)
      assert.deepEqual(swept.map((u) => u.key).sort(), ['a/1', 'a/2', 'b/3'])
      assert.equal((await openUploads(s3.client, s3.bucket)).length, 0)
    } finally {
      await emptyBucket(s3.client, s3.bucket)
    }
  })

  it('removes stale upload folders of disk storage', async () => {
    const created = await call(disk.handler, 'POST', '/s3/multipart', { filename: 'x.bin' })
    assert.equal(created.status, 200)
    assert.equal((await sweepDisk(disk.dir, parseDuration('1h'))).length, 0)
    const swept = await sweepDisk(disk.dir, 0)
    assert.deepEqual(swept.map((u) => u.key), [created.json.key])
    assert.equal((await sweepDisk(disk.dir, 0)).length, 0)
  })

  it('runs from the CLI', async () => {
    const s3 = await makeBucket('sweepcli')
    try {
      await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'left/behind' }))
      const r = cli(['sweep', '--older-than', '0s'], { S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: 'true' })
      assert.equal(r.status, 0, r.stderr)
      assert.match(r.stdout, /aborted left\/behind/)
      assert.match(r.stdout, /1 incomplete upload\(s\) older than 0s aborted/)
      assert.equal((await openUploads(s3.client, s3.bucket)).length, 0)
    } finally {
      await emptyBucket(s3.client, s3.bucket)
    }
  })
})

describe('doctor', () => {
  it('says what is missing, then passes once CORS and the lifecycle rule are right', async () => {
    const s3 = await makeBucket('doctor')
    try {
      await s3.client.send(new DeleteBucketCorsCommand({ Bucket: s3.bucket }))
      let checks = await doctor(s3.client, s3.bucket, 'https://app.example')
      assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.name), ['cors', 'lifecycle'])
      assert.match(checks[0].fix!, /put-bucket-cors/)

      await s3.client.send(new PutBucketCorsCommand({ Bucket: s3.bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['*'] }] } }))
      checks = await doctor(s3.client, s3.bucket, 'https://app.example')
      assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.name), ['cors-etag', 'lifecycle'])
      assert.deepEqual((await doctor(s3.client, s3.bucket, 'https://other.example')).filter((c) => !c.ok).map((c) => c.name), ['cors', 'lifecycle'])

      await s3.client.send(new PutBucketCorsCommand({ Bucket: s3.bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://*.example'], AllowedMethods: ['GET', 'PUT', 'POST'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }] } }))
      await s3.client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: s3.bucket,
          LifecycleConfiguration: { Rules: [{ ID: 'abort', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] },
        }),
      )
      checks = await doctor(s3.client, s3.bucket, 'https://app.example')
      assert.deepEqual(checks.filter((c) => !c.ok), [])

      const r = cli(['doctor', '--origin', 'https://app.example'], { S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: 'true' })
      assert.equal(r.status, 0, r.stdout + r.stderr)
      assert.match(r.stdout, /is ready for uploads from https:\/\/app\.example/)
      const bad = cli(['doctor', '--origin', 'https://nope.test'], { S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: 'true' })
      assert.equal(bad.status, 1)
      assert.match(bad.stdout, /FAIL cors: No CORS rule allows the origin https:\/\/nope\.test/)
      assert.match(bad.stdout, new RegExp(`fix: aws s3api put-bucket-cors --bucket ${s3.bucket}`))
    } finally {
      await emptyBucket(s3.client, s3.bucket)
    }
  })
})
