// A far-away link on one machine: Chromium runs in its own network namespace behind a veth pair whose
// upload direction is shaped with `tc tbf`, and reaches the servers through a relay that holds every
// chunk for half the round-trip time in each direction (this kernel has no netem). Linux, root only.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { startDemo, type Running } from '../test/helpers/app.js'
import { CHROME_ARGS } from '../test/helpers/browser.js'
import { emptyBucket, makeBucket } from '../test/helpers/s3.js'

export interface LinkSpec {
  label: string
  /** Round-trip time added to every connection from the browser, ms. */
  rttMs: number
  /** Upload bandwidth, bits per second. */
  bits: number
}

export interface Link {
  /** Address of the host side of the veth pair: servers are reached through relays on it. */
  host: string
  /** A Chromium wrapper that runs the browser inside the namespace (use as Playwright's executablePath). */
  chromium: string
  /** Opens a delaying relay on `host` to `127.0.0.1:port`; returns the relay's port. */
  relay: (port: number) => Promise<number>
  close: () => Promise<void>
}

/** The links the targets name. */
export const LINKS: LinkSpec[] = [
  { label: '40 ms RTT, 500 Mbit/s', rttMs: 40, bits: 500e6 },
  { label: '100 ms RTT, 100 Mbit/s', rttMs: 100, bits: 100e6 },
]

/** The link the small-file rows (many files, each a few round trips of endpoint calls) also cross. */
export const SMALL_FILES_LINK = LINKS[0]

const NS = 'hoist-bench'
const HOST = '10.231.0.1'
const PEER = '10.231.0.2'

function sh(args: string[], allowFail = false): void {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' })
  if (r.error) throw new Error(`${args[0]} is missing: install iproute2 (apt-get install -y iproute2) to run the far-link benchmark`)
  if (r.status !== 0 && !allowFail) throw new Error(`${args.join(' ')} failed: ${r.stderr.trim()}`)
}

/** Holds each chunk `delayMs` before writing it on, in order, pausing the source when too much waits. */
function delayed(from: Socket, to: Socket, delayMs: number): void {
  const limit = 16 * 1024 * 1024
  let waiting = 0
  from.on('data', (chunk) => {
    waiting += chunk.length
    if (waiting > limit) from.pause()
    setTimeout(() => {
      waiting -= chunk.length
      if (!to.destroyed) to.write(chunk)
      if (waiting <= limit / 2 && from.isPaused()) from.resume()
    }, delayMs)
  })
  from.on('end', () => setTimeout(() => to.end(), delayMs))
}

export async function openLink(spec: LinkSpec): Promise<Link> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('The far-link benchmark needs Linux and root (network namespaces and tc); run with BENCH_WAN=0 to skip it.')
  sh(['ip', 'netns', 'del', NS], true)
  sh(['ip', 'link', 'del', 'hoistb0'], true)
  sh(['ip', 'netns', 'add', NS])
  sh(['ip', 'link', 'add', 'hoistb0', 'type', 'veth', 'peer', 'name', 'hoistb1'])
  sh(['ip', 'link', 'set', 'hoistb1', 'netns', NS])
  sh(['ip', 'addr', 'add', `${HOST}/30`, 'dev', 'hoistb0'])
  sh(['ip', 'link', 'set', 'hoistb0', 'up'])
  const inNs = (...a: string[]) => sh(['ip', 'netns', 'exec', NS, ...a])
  inNs('ip', 'addr', 'add', `${PEER}/30`, 'dev', 'hoistb1')
  inNs('ip', 'link', 'set', 'hoistb1', 'up')
  inNs('ip', 'link', 'set', 'lo', 'up')
  // Upload direction (browser → servers): a token bucket at the link rate, with the usual burst.
  const burst = Math.max(64 * 1024, Math.round(spec.bits / 8 / 100))
  inNs('tc', 'qdisc', 'add', 'dev', 'hoistb1', 'root', 'tbf', 'rate', `${spec.bits}bit`, 'burst', String(burst), 'latency', '100ms')

  const dir = mkdtempSync(join(tmpdir(), 'hoist-wan-'))
  const chromium = join(dir, 'chromium')
  writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec ${NS} ${process.env.CHROME_PATH ?? '/usr/bin/chromium'} "$@"\n`)
  chmodSync(chromium, 0o755)

  const servers: Server[] = []
  const sockets = new Set<Socket>()
  const relay = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer((client) => {
        // Only the browser's side is far away; the endpoint talking to storage stays near.
        const far = client.remoteAddress?.endsWith(PEER) ?? false
        const upstream = connect(port, '127.0.0.1')
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.setNoDelay(true)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => {
            client.destroy()
            upstream.destroy()
          })
        }
        if (far) {
          delayed(client, upstream, spec.rttMs / 2)
          delayed(upstream, client, spec.rttMs / 2)
        } else {
          client.pipe(upstream)
          upstream.pipe(client)
        }
      })
      servers.push(server)
      server.once('error', reject)
      server.listen(0, HOST, () => resolve((server.address() as { port: number }).port))
    })

  return {
    host: HOST,
    chromium,
    relay,
    close: async () => {
      for (const s of sockets) s.destroy()
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
      sh(['ip', 'netns', 'del', NS], true)
      sh(['ip', 'link', 'del', 'hoistb0'], true)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs `fn` with the demo endpoint and storage reached across `spec`, and a browser inside the link. */
export async function overLink<T>(spec: LinkSpec, fn: (browser: Browser, app: Running, cleanup: () => Promise<void>) => Promise<T>): Promise<T> {
  const link = await openLink(spec)
  const s3 = await makeBucket('bench-wan')
  let app: Running | undefined
  let browser: Browser | undefined
  try {
    const storage = await link.relay(Number(new URL(process.env.S3_ENDPOINT!).port))
    app = await startDemo({ bucket: s3.bucket, endpoint: `http://${link.host}:${storage}` }, { HOIST_RATE_LIMIT: 'off' })
    const page = await link.relay(Number(new URL(app.url).port))
    browser = await chromium.launch({ executablePath: link.chromium, args: CHROME_ARGS, headless: true })
    return await fn(browser, { ...app, url: `http://${link.host}:${page}` }, () => emptyBucket(s3.client, s3.bucket))
  } finally {
    await browser?.close()
    await app?.stop()
    await emptyBucket(s3.client, s3.bucket)
    await link.close()
  }
}
