// What every fuzzed answer and every run must satisfy: a 4xx JSON error or a success, nothing leaked,
// nothing written outside the storage folder.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { answer } from './server.js'
import { SECRET } from './server.js'

export type Answer = Awaited<ReturnType<typeof answer>>

/** Levels of folders above the storage, each with a canary: deeper than any `..` chain the inputs build. */
const DEPTH = 24

/** Every file and folder below `dir` (relative path → content hash, or `dir`), except where `skip` says. */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name)
      const rel = relative(dir, path)
      if (skip(rel)) continue
      if (entry.isDirectory()) {
        out.set(rel, 'dir')
        walk(path)
      } else out.set(rel, createHash('sha256').update(readFileSync(path)).digest('hex'))
    }
  }
  walk(dir)
  return out
}

export function assertSameTree(before: Map<string, string>, after: Map<string, string>, what: string) {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k))
  assert.deepEqual(changed, [], `${what}: ${changed.slice(0, 5).join(', ')}`)
}

/**
 * A temp folder holding canaries at every level and a sibling `canary/` folder, with storage folders
 * created deep inside it. `assertOnlyStorageWritten()` checks that nothing outside a storage folder's
 * `objects/`, `meta/` and `multipart/` was added, changed or removed.
 */
export function fuzzRoot() {
  // Every run makes and removes a storage folder: in RAM where the machine has a tmpfs, it costs a quarter.
  const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hoist-fuzz-'))
  let level = root
  for (let i = 0; i < DEPTH; i++) {
    writeFileSync(join(level, 'canary.txt'), `canary ${i}`)
    level = join(level, `d${i}`)
    mkdirSync(level)
  }
  mkdirSync(join(level, 'canary'))
  writeFileSync(join(level, 'canary', 'canary.txt'), 'sibling of the storage folders')
  const storageAt = relative(root, level)
  const isStorage = (rel: string) => new RegExp(`^${storageAt}/storage-\\d+(/(objects|meta|multipart)(/.*)?)?$`).test(rel)
  const baseline = snapshot(root)
  let made = 0
  return {
    root,
    storageDir: () => join(level, `storage-${made++}`),
    assertOnlyStorageWritten: () => assertSameTree(baseline, snapshot(root, isStorage), 'written outside the storage folder'),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}

/** What an answer must never show: a stack frame, an error's name, a filesystem path, an errno or the secret. */
export function leaks(root: string): { name: string; test: (s: string) => boolean }[] {
  const has = (needle: string) => (s: string) => s.includes(needle)
  return [
    { name: 'a stack frame', test: (s) => /\bat (async )?[\w.<>$]+ \(|\n\s+at |\.[cm]?[jt]s:\d+:\d+/.test(s) },
    { name: "an error's name", test: (s) => /\b\w*Error:/.test(s) },
    { name: 'the temp folder', test: has(root) },
    { name: 'the system temp folder', test: has(tmpdir() + '/') },
    { name: 'the working folder', test: has(process.cwd()) },
    { name: 'a /work path', test: has('/work/') },
    { name: 'node_modules', test: has('node_modules') },
    { name: 'an errno', test: (s) => /\bE(NOENT|ACCES|NAMETOOLONG|ISDIR|NOTDIR|EXIST|PERM|MFILE|NOSPC|INVAL)\b/.test(s) },
    { name: 'the secret', test: has(SECRET) },
  ]
}

/** `%XX` escapes read as bytes, and `+` as a space: how a handler may echo what it was sent. */
const decoded = (s: string) => [s, s.replace(/%([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), s.replace(/\+/g, ' ')]

/** The leak checks that the request itself does not trip: an answer may echo what it was sent. */
export function leaksFor(root: string, sent: string[]) {
  const texts = sent.flatMap(decoded)
  return leaks(root).filter((l) => !texts.some(l.test))
}

/** Never a 5xx; an error is a 4xx with a JSON `{ error: { code, message } }`; nothing leaks anywhere in it. */
export function assertWellFormed(a: Answer, checks: ReturnType<typeof leaks>) {
  assert.ok(a.status < 500, `status ${a.status}: ${a.text.slice(0, 300)}`)
  if (a.status >= 400) {
    assert.match(a.headers.get('content-type') ?? '', /^application\/json/, `a ${a.status} that is not JSON: ${a.text.slice(0, 200)}`)
    const error = a.json?.error
    assert.ok(typeof error?.code === 'string' && /^[a-z_]+$/.test(error.code), `a ${a.status} without an error code: ${a.text.slice(0, 200)}`)
    assert.ok(typeof error.message === 'string' && error.message.length > 0, `a ${a.status} without a message`)
  }
  const surfaces = [a.statusText, a.text, ...[...a.headers].map(([k, v]) => `${k}: ${v}`)]
  for (const l of checks) {
    const where = surfaces.find(l.test)
    assert.equal(where, undefined, `the answer (${a.status}) shows ${l.name}: ${where?.slice(0, 300)}`)
  }
}
