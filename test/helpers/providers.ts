// Each hosted API's contract fake, the environment `hoist-uploader serve --storage <name>` reads for
// it, the secrets that must never reach the browser, and one documented error to provoke.
import type { Fake } from '../fakes/common.js'
import { startCloudinaryFake } from '../fakes/cloudinary.js'
import { startLuwFake } from '../fakes/luw.js'
import { startUploadcareFake, uploadcareErrorBody } from '../fakes/uploadcare.js'
import { startUpscaylFake } from '../fakes/upscayl.js'
import { startViesusFake } from '../fakes/viesus.js'

export interface HostedSetup {
  name: 'viesus' | 'upscayl' | 'luw' | 'uploadcare' | 'cloudinary'
  fake: Fake & { failNext(path: string, status: number, body: unknown): void }
  env: Record<string, string>
  /** Strings that must appear in no request the page sends and no answer it receives. */
  secrets: string[]
  /** Whether the provider reports an image's pixel size. */
  reportsSize: boolean
  /**
   * Makes the next upload fail as the docs say it can; the element's error code for it, and a
   * file name to use for the failing file when the failure depends on the file (else undefined).
   */
  breakNext(): { code: string; name?: string }
}

const KEY = 'hoist-test-api-key-0123456789'
const SECRET = 'hoist-test-api-secret-abcdefghij'

export async function startHosted(name: HostedSetup['name']): Promise<HostedSetup> {
  switch (name) {
    case 'viesus': {
      const fake = await startViesusFake({ apiKey: KEY })
      return {
        name,
        fake,
        env: { VIESUS_API_KEY: KEY, VIESUS_API_URL: `${fake.url}/graphql` },
        secrets: [KEY],
        reportsSize: true,
        breakNext: () => {
          fake.failNext('/graphql', 200, { data: null, errors: [{ message: 'Upload quota exceeded for this account', extensions: { code: 'FORBIDDEN' } }] })
          return { code: 'provider_rejected' }
        },
      }
    }
    case 'upscayl': {
      const fake = await startUpscaylFake({ apiKey: KEY })
      return {
        name,
        fake,
        env: { UPSCAYL_API_KEY: KEY, UPSCAYL_API_URL: fake.url },
        secrets: [KEY],
        reportsSize: false,
        breakNext: () => {
          fake.failNext('/get-upload-url', 402, 'Insufficient credits')
          return { code: 'provider_payment_required' }
        },
      }
    }
    case 'luw': {
      const fake = await startLuwFake({ token: KEY })
      return {
        name,
        fake,
        env: { LUW_API_TOKEN: KEY, LUW_API_URL: fake.url, LUW_PID: '123' },
        secrets: [KEY],
        reportsSize: false,
        // Only the documented types: refused before Luw.ai is asked.
        breakNext: () => ({ code: 'type_not_allowed', name: 'notes.pdf' }),
      }
    }
    case 'uploadcare': {
      const fake = await startUploadcareFake({ publicKey: 'demopublickey', secretKey: SECRET })
      return {
        name,
        fake,
        env: { UPLOADCARE_PUBLIC_KEY: 'demopublickey', UPLOADCARE_SECRET_KEY: SECRET, UPLOADCARE_UPLOAD_URL: fake.url, UPLOADCARE_CDN_URL: `${fake.url}/cdn` },
        secrets: [SECRET],
        reportsSize: true,
        // The form goes from the page straight to Uploadcare, which refuses it there.
        breakNext: () => {
          fake.failNext('/base/', 400, uploadcareErrorBody('FileSizeLimitExceededError'))
          return { code: 'provider_rejected' }
        },
      }
    }
    case 'cloudinary': {
      const fake = await startCloudinaryFake({ cloudName: 'hoist-test', apiKey: '614335564976464', apiSecret: SECRET })
      return {
        name,
        fake,
        env: { CLOUDINARY_URL: `cloudinary://614335564976464:${SECRET}@hoist-test`, CLOUDINARY_UPLOAD_PREFIX: fake.url },
        secrets: [SECRET],
        reportsSize: true,
        breakNext: () => {
          fake.failNext('/auto/upload', 400, { error: { message: 'File size too large. Got 24117248. Maximum is 10485760.' } })
          return { code: 'provider_rejected' }
        },
      }
    }
  }
}
