// Resume after a reload, end to end: the element with `restore` in Chromium, on disk storage and on
// Ceph RGW, behind the fault proxy. The reload lands when half the parts are stored and the others
// stall in the proxy (so the page has sent, and shows, more than storage holds); then the file is
// picked again, through the app (`addFiles`, `upload()`) or through the Dashboard.
import assert from 'node:assert/strict'
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, utimesSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import type { FileInfo, FailedUpload } from '../../src/index.js'
import { events, record, setInputFiles, sha256, storedSha, waitForEvents, writeTestFile } from '../helpers/page.js'
import { chromiumFor, openPage, type Setup, STORAGES } from '../helpers/setups.js'

const MiB = 1024 * 1024
const PART = 5 * MiB
const dir = mkdtempSync(join(tmpdir(), 'hoist-resume-'))

interface TestFile {
  path: string
  size: number
  sha: string
}

/** `name` in its own folder (a file picked again has the same name); `edit` changes its bytes, `later` its modification time. */
function variant(folder: string, from: string, { edit, later = false }: { edit?: [number, number]; later?: boolean } = {}): TestFile {
  mkdirSync(join(dir, folder))
  const path = join(dir, folder, 'clip.bin')
  copyFileSync(from, path)
  if (edit) {
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(edit[1] - edit[0], 0x5a), 0, edit[1] - edit[0], edit[0])
    closeSync(fd)
  }
  const { atime, mtime } = statSync(from)
  utimesSync(path, atime, later ? new Date(mtime.getTime() + 3_600_000) : mtime)
  return { path, size: statSync(path).size, sha: sha256(readFileSync(path)) }
}

mkdirSync(join(dir, 'a'))
const SIZE = 40 * MiB
const A: TestFile = { path: join(dir, 'a', 'clip.bin'), size: SIZE, sha: writeTestFile(join(dir, 'a', 'clip.bin'), SIZE, 1) }
/** A's name, size and modification time, and its first and last 64 KiB; another middle. */
const SPLICED = variant('spliced', A.path, { edit: [64 * 1024, SIZE - 64 * 1024] })
/** A's bytes, modified an hour later: another Uppy id. */
const TOUCHED = variant('touched', A.path, { later: true })
/** A's name and size, other bytes, modified later. */
const OTHER = variant('other', A.path, { edit: [0, SIZE], later: true })
/** Small enough (≤ 10 MiB) for Golden Retriever to keep its bytes: restored without a ghost. */
const KEPT: TestFile = { path: join(dir, 'kept.bin'), size: 9 * MiB, sha: writeTestFile(join(dir, 'kept.bin'), 9 * MiB, 2) }

const chromium = chromiumFor(dir)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
type Result = { successful: FileInfo[]; failed: FailedUpload[] }

interface Interrupted {
  page: Page
  /** Bytes storage holds for the file when the page comes back. */
  stored: number
  /** What the page showed as uploaded just before the reload. */
  shown: number
  /** Proxy bytes received before the page came back. */
  sentBefore: number
}

/**
 * Starts uploading `file` with `restore` on and reloads once half its parts are stored, the others
 * stalled in the proxy. Counts Workers and records, at the first PUT after the reload, what the
 * file's progress says (the bar shows that).
 */
async function interrupted(s: Setup, file: TestFile, props: Record<string, unknown> = {}): Promise<Interrupted> {
  const parts = Math.ceil(file.size / PART)
  const half = Math.floor(parts / 2)
  let seen = 0
  let passed = 0
  const stalledBefore = s.proxy.faults.length
  const storedBefore = s.proxy.bytesStored
  s.proxy.pick = (req) => {
    if (++seen > half) return 'stall'
    passed += Number(req.headers['content-length'])
  }
  const page = await openPage(chromium.browser, s.pageUrl, { restore: true, ...props })
  await page.addInitScript(() => {
    const w = window as unknown as { __workers: number; __atFirstPut?: number }
    w.__workers = 0
    const Original = window.Worker
    window.Worker = class extends Original {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        super(...args)
        w.__workers++
      }
    }
    const open = XMLHttpRequest.prototype.open
    XMLHttpRequest.prototype.open = function (this: XMLHttpRequest, method: string, ...rest: unknown[]) {
      if (method === 'PUT' && w.__atFirstPut === undefined) w.__atFirstPut = document.querySelector('hoist-uploader')?.uppy?.getFiles()[0]?.progress.bytesUploaded || 0
      return (open as (...a: unknown[]) => void).call(this, method, ...rest)
    } as typeof open
  })
  await page.evaluate(() => {
    const w = window as unknown as { __stateAt?: number }
    document.querySelector('hoist-uploader')!.uppy!.on('hoist:multipart-state', (_f, state) => void (state && (w.__stateAt = performance.now())))
  })
  await setInputFiles(page, [file.path])
  await page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())
  const stalled = () => s.proxy.faults.length - stalledBefore
  while (s.proxy.bytesStored - storedBefore < passed || passed === 0 || stalled() < parts - half) await sleep(50)
  // Golden Retriever writes its state at most every 500 ms; a reload sooner than that loses it.
  await page.waitForFunction(() => {
    const at = (window as unknown as { __stateAt?: number }).__stateAt
    return at !== undefined && performance.now() - at > 1000
  })
  const shown = await page.evaluate(() => document.querySelector('hoist-uploader')!.uppy!.getFiles()[0].progress.bytesUploaded || 0)
  s.proxy.pick = () => undefined
  const sentBefore = s.proxy.bytesIn
  await page.reload()
  await record(page)
  await page.evaluate((p) => Object.assign(document.querySelector('hoist-uploader')!, p), { restore: true, ...props })
  await page.waitForFunction(() => (document.querySelector('hoist-uploader')!.uppy!.getState().recoveredState ?? null) !== null)
  return { page, stored: s.proxy.bytesStored - storedBefore, shown, sentBefore }
}

const fileState = (page: Page) =>
  page.evaluate(() =>
    document
      .querySelector('hoist-uploader')!
      .uppy!.getFiles()
      .map((f) => ({ name: f.name, ghost: !!f.isGhost, bytesUploaded: f.progress.bytesUploaded || 0 })),
  )

/** The user picks the file again through the app: a file chooser of the page's own, handed to `addFiles`. */
async function pickThroughApp(page: Page, file: TestFile): Promise<void> {
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'again' })
    input.addEventListener('change', () => document.querySelector('hoist-uploader')!.addFiles(input.files!))
    document.body.append(input)
  })
  await page.locator('#again').setInputFiles([file.path])
}

/** The user picks the file again through the Dashboard: the ghost's "Re-select", then its file chooser. */
async function pickThroughDashboard(page: Page, file: TestFile): Promise<void> {
  await page.locator('hoist-uploader .uppy-Dashboard-Item-reSelect').first().click()
  await page.locator('hoist-uploader .uppy-Dashboard-AddFilesPanel input[type=file]').first().setInputFiles([file.path])
}

/** Through the app the run's result is what `upload()` resolves with; through the Dashboard, what `all-complete` says. */
const ROUTES = [
  ['el.upload()', async (page: Page, file: TestFile): Promise<Result> => {
    await pickThroughApp(page, file)
    return page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
  }],
  ['the Dashboard', async (page: Page, file: TestFile): Promise<Result> => {
    await pickThroughDashboard(page, file)
    // Nothing else to press: a file picked again goes on by itself.
    return (await waitForEvents(page, 'all-complete', 1, 120_000))[0].detail as Result
  }],
] as const

async function onlyResult(page: Page, result: Result): Promise<FileInfo> {
  assert.deepEqual(result.failed, [])
  assert.equal(result.successful.length, 1)
  // One run, one report: no `all-complete` came before this one.
  assert.equal((await events(page, 'all-complete')).length, 1)
  return result.successful[0]
}

for (const [storage, setup] of STORAGES) {
  describe(`resume after a reload, on ${storage}`, () => {
    // One setup for the whole list: each test leaves storage as it found it (it checks no upload is left
    // open), and each page has its own browser context, so its own Golden Retriever store.
    let s: Setup
    before(async () => {
      s = await setup({})
    })
    after(async () => {
      await s?.stop()
    })
    afterEach(async () => {
      s.proxy.pick = () => undefined
      for (const context of chromium.browser.contexts()) await context.close()
    })
    for (const [route, pickAndUpload] of ROUTES) {
      it(`another file with the same name, size, modification time and ends, picked again (${route}): starts over, the stored file is that file`, async () => {
        const { page, sentBefore } = await interrupted(s, A)
        const info = await onlyResult(page, await pickAndUpload(page, SPLICED))
        assert.equal(await storedSha(info), SPLICED.sha, 'sha256 of the stored file')
        assert.ok(s.proxy.bytesIn - sentBefore >= SIZE, 'the whole file was sent again')
        assert.equal(await s.openUploads(), 0, 'the old multipart upload was aborted')
      })

      it(`the same file picked again (${route}): progress shows what is stored and checked, and only the rest is sent`, async () => {
        const { page, stored, shown, sentBefore } = await interrupted(s, A)
        assert.ok(shown > stored, `the page showed ${shown} bytes with ${stored} stored: in-flight bytes count`)
        assert.deepEqual(await fileState(page), [{ name: 'clip.bin', ghost: true, bytesUploaded: 0 }], 'nothing checked yet')
        const info = await onlyResult(page, await pickAndUpload(page, A))
        assert.equal(await storedSha(info), A.sha)
        const w = await page.evaluate(() => {
          const { __workers, __atFirstPut } = window as unknown as { __workers: number; __atFirstPut: number }
          return { __workers, __atFirstPut }
        })
        assert.equal(w.__atFirstPut, stored, 'when the first part goes out, the bar shows the stored parts that passed the check')
        assert.ok(w.__workers >= 1, 'the parts were hashed in a Worker')
        const after = s.proxy.bytesIn - sentBefore
        assert.ok(after <= 0.6 * SIZE, `${after} bytes sent after the reload for a ${SIZE}-byte file`)
        assert.equal(await s.openUploads(), 0)
      })
    }

    for (const [route, go] of [
      ['the Dashboard\'s Upload button', (page: Page) => page.locator('hoist-uploader .uppy-StatusBar-actionBtn--upload').click()],
      ['el.upload()', (page: Page) => page.evaluate(() => void document.querySelector('hoist-uploader')!.upload())],
    ] as const) {
      it(`a file restored with its bytes goes on through ${route}: honest progress, only the rest sent`, async () => {
        const { page, stored, sentBefore } = await interrupted(s, KEPT)
        assert.deepEqual(await fileState(page), [{ name: 'kept.bin', ghost: false, bytesUploaded: 0 }])
        await go(page)
        const info = await onlyResult(page, (await waitForEvents(page, 'all-complete', 1, 120_000))[0].detail as Result)
        assert.equal(await storedSha(info), KEPT.sha)
        assert.equal(await page.evaluate(() => (window as unknown as { __atFirstPut: number }).__atFirstPut), stored)
        assert.ok(s.proxy.bytesIn - sentBefore <= KEPT.size - stored + 1024)
      })
    }

    it('a file picked again with another modification time replaces the ghost and resumes (el.upload())', async () => {
      const { page, sentBefore } = await interrupted(s, A)
      const info = await onlyResult(page, await ROUTES[0][1](page, TOUCHED))
      assert.deepEqual(await fileState(page), [{ name: 'clip.bin', ghost: false, bytesUploaded: SIZE }], 'one file, no ghost beside it')
      assert.equal(await storedSha(info), A.sha)
      assert.ok(s.proxy.bytesIn - sentBefore <= 0.6 * SIZE, 'the same bytes: the stored parts were kept')
      assert.equal(await s.openUploads(), 0)
    })

    it('other bytes of the ghost\'s name and size replace it and start over, aborting its upload (the Dashboard)', async () => {
      const { page, sentBefore } = await interrupted(s, A)
      const info = await onlyResult(page, await ROUTES[1][1](page, OTHER))
      assert.equal((await fileState(page)).length, 1)
      assert.equal(await storedSha(info), OTHER.sha)
      assert.ok(s.proxy.bytesIn - sentBefore >= SIZE)
      assert.equal(await s.openUploads(), 0)
    })

    it('upload() before the ghost is picked again reports it failed (file_missing); picking it then resumes it', async () => {
      const { page, sentBefore } = await interrupted(s, A)
      const first = await page.evaluate(() => document.querySelector('hoist-uploader')!.upload())
      assert.deepEqual(first.successful, [])
      assert.deepEqual(first.failed.map((f) => [f.file.name, f.error.code]), [['clip.bin', 'file_missing']])
      await pickThroughApp(page, A)
      const [, done] = await waitForEvents(page, 'all-complete', 2, 120_000)
      assert.deepEqual(done.detail.failed, [])
      assert.equal(await storedSha(done.detail.successful[0]), A.sha)
      assert.ok(s.proxy.bytesIn - sentBefore <= 0.6 * SIZE)
    })

    it('with auto-upload, picking the ghost again resumes it and one all-complete reports it', async () => {
      const { page } = await interrupted(s, A, { autoUpload: true })
      await pickThroughApp(page, A)
      const [done] = await waitForEvents(page, 'all-complete', 1, 120_000)
      assert.equal(await storedSha((await onlyResult(page, done.detail as Result))), A.sha)
    })

    it('the ghost\'s remove button can be clicked, and removing the ghost aborts its stored upload', async () => {
      const { page } = await interrupted(s, A)
      // A click lands at the button's centre; Playwright refuses it if another element covers that point.
      await page.locator('hoist-uploader .uppy-Dashboard-Item.is-ghost .uppy-Dashboard-Item-action--remove').click({ timeout: 5000 })
      assert.deepEqual(await fileState(page), [])
      for (let i = 0; i < 100 && (await s.openUploads()) > 0; i++) await sleep(50)
      assert.equal(await s.openUploads(), 0)
    })
  })
}
