// A new user's project: the package as `npm pack` makes it, installed from the tarball into a fresh
// folder on the Node version `engines` names as the floor, which comes from the npm registry's
// node-<platform>-<arch> package. Projects live in the system temp folder, outside this repository,
// so nothing resolves through the repository's own node_modules; npm's cache stays in .test-tmp/.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'

export const root = new URL('../..', import.meta.url).pathname
const cache = join(root, '.test-tmp', 'npm-cache')
const INSTALL_TIMEOUT = 5 * 60_000

export interface Result {
  code: number | null
  out: string
}

/** Runs a command, stdout and stderr together; ends it after `timeout` ms. */
export function exec(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? INSTALL_TIMEOUT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, out }))
  })
}

/** The lowest Node version `engines.node` admits; only the `>=N[.N[.N]]` form is used here. */
export function floorOf(engines: string): string {
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines.trim())
  if (!m) throw new Error(`engines.node "${engines}" is not of the form >=N[.N[.N]]`)
  return `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`
}

/** The environment of a user's shell: the floor Node first on PATH, none of the running npm's variables. */
function userEnv(nodeBin: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
  return { ...env, PATH: `${nodeBin}${delimiter}${process.env.PATH}`, NODE_OPTIONS: '' }
}

async function must(what: string, r: Promise<Result>): Promise<string> {
  const { code, out } = await r
  if (code !== 0) throw new Error(`${what} failed (exit ${code}):\n${out}`)
  return out
}

export interface Consumer {
  /** The project folder; the package is at `node_modules/hoist-uploader`. */
  dir: string
  pkgDir: string
  /** Paths in the tarball, as `npm pack --json` lists them. */
  files: string[]
  /** What `npm install` printed in the project. */
  installLog: string
  /** The Node version the project runs on (`engines`' floor). */
  floor: string
  /** Runs a command in the project with the floor Node first on PATH. */
  run(cmd: string, args: string[], timeout?: number): Promise<Result>
  write(name: string, text: string): void
  cleanup(): void
}

export async function makeConsumer(): Promise<Consumer> {
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const floor = floorOf(ours.engines.node)
  const tsVersion = JSON.parse(readFileSync(join(root, 'node_modules/typescript/package.json'), 'utf8')).version
  const tmp = mkdtempSync(join(tmpdir(), 'hoist-package-'))
  try {
    const npmArgs = ['--no-audit', '--no-fund', '--prefer-offline', '--cache', cache]
    // `npm pack` as a publisher runs it: prepack builds dist/ first.
    const packed = await must('npm pack', exec('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root }))
    const [info] = JSON.parse(packed.slice(packed.search(/^\[/m)))
    const platform = process.platform === 'win32' ? 'win' : process.platform
    const nodeDir = join(tmp, 'node')
    mkdirSync(nodeDir)
    await must(`installing Node ${floor}`, exec('npm', ['install', ...npmArgs, '--prefix', nodeDir, `node-${platform}-${process.arch}@${floor}`], { cwd: nodeDir }))
    const env = userEnv(join(nodeDir, 'node_modules', `node-${platform}-${process.arch}`, 'bin'))

    const dir = join(tmp, 'app')
    mkdirSync(dir)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'new-user-app', private: true, type: 'module' }, null, 2))
    const deps = [join(tmp, info.filename), `typescript@${tsVersion}`, `@types/node@${floor.split('.')[0]}`]
    const installLog = await must('npm install in the new project', exec('npm', ['install', ...npmArgs, ...deps], { cwd: dir, env }))
    return {
      dir,
      pkgDir: join(dir, 'node_modules', 'hoist-uploader'),
      files: info.files.map((f: { path: string }) => f.path),
      installLog,
      floor,
      run: (cmd, args, timeout) => exec(cmd, args, { cwd: dir, env, timeout }),
      write: (name, text) => writeFileSync(join(dir, name), text),
      cleanup: () => rmSync(tmp, { recursive: true, force: true }),
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw err
  }
}
