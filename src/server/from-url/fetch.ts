// Fetches a link for a link upload, with the SSRF guard. Built on node:http(s) `request()` rather than
// the global fetch: undici ignores agents and skips `lookup` for literal addresses, so it cannot be
// pinned to the address that was checked. Here every hop is resolved by us, every address it resolves
// to is checked, and the socket connects to exactly those addresses (a second DNS answer cannot
// rebind it); redirects are followed by hand, each hop checked the same way, http or https per hop.
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { literalAddress, refusedRange } from './address.js'
import { addressMatches, hostMatches, portOf, type HostRule } from './hosts.js'
import type { ResolvedAddress, Resolver } from './options.js'
import { invalidUrl, urlForbidden, urlUnreachable } from './refusals.js'

export interface FetchPolicy {
  allowHosts: readonly HostRule[]
  denyHosts: readonly HostRule[]
  maxRedirects: number
  resolve: Resolver
}

/** For tests: stands in for `http.request`/`https.request`, so a test can see that no connection was tried. */
export type RequestFn = (options: RequestOptions) => ClientRequest

export interface Opened {
  /** The URL that answered, after redirects. */
  url: URL
  response: IncomingMessage
}

const USER_AGENT = 'hoist-uploader (link upload)'
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Parses a link and refuses what is not a plain http(s) URL. */
export function parseLink(raw: unknown, base?: URL): URL {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalidUrl('url must be an http or https link.')
  if (raw.length > 8192) throw invalidUrl('url is longer than 8,192 characters.')
  let url: URL
  try {
    url = new URL(raw.trim(), base)
  } catch {
    throw base ? urlForbidden('The link redirected to an address that is not a valid URL.') : invalidUrl('url is not a valid link.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const what = `Only http and https links are fetched, not ${url.protocol.slice(0, -1).slice(0, 20)}.`
    throw base ? urlForbidden(`The link redirected to a refused scheme: ${what}`) : invalidUrl(what)
  }
  // Credentials in a link would be sent to whoever it points at (or a redirect); refuse them outright.
  if (url.username || url.password) throw urlForbidden('Links with a user name or password in them are not fetched.')
  return url
}

/**
 * What can be refused before any DNS question: the deny list, and a literal address that is not public.
 * Returns the literal address to connect to, or undefined for a DNS name.
 */
export function refuseAtOnce(url: URL, policy: Pick<FetchPolicy, 'allowHosts' | 'denyHosts'>): ResolvedAddress[] | undefined {
  if (hostMatches(policy.denyHosts, url)) throw urlForbidden(`Links to ${url.host} are refused by this server.`)
  const literal = literalAddress(url.hostname)
  if (literal === undefined) return undefined
  const range = hostMatches(policy.allowHosts, url) ? undefined : refusedRange(literal)
  if (range) throw urlForbidden(`Links to ${url.hostname} are refused: it is not a public address (${range}).`)
  return [{ address: literal, family: literal.includes(':') ? 6 : 4 }]
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Every address the hop's host resolves to, each checked; refused if any one is not allowed. */
async function checkedAddresses(url: URL, policy: FetchPolicy, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const literal = refuseAtOnce(url, policy)
  if (literal) return literal
  let found: ResolvedAddress[]
  try {
    found = await abortable(policy.resolve(url.hostname), signal)
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw urlUnreachable(`The name ${url.hostname} could not be resolved${typeof (err as { code?: unknown }).code === 'string' ? ` (${(err as { code: string }).code})` : ''}.`)
  }
  if (!Array.isArray(found) || found.length === 0) throw urlUnreachable(`The name ${url.hostname} has no address.`)
  const allowed = hostMatches(policy.allowHosts, url)
  const port = portOf(url)
  for (const { address } of found) {
    if (refusedRange(address) === 'invalid') throw urlUnreachable(`The name ${url.hostname} resolved to something that is not an address.`)
    if (addressMatches(policy.denyHosts, address, port)) throw urlForbidden(`Links to ${url.host} are refused by this server.`)
    // The address itself is not named: it would tell users how internal names resolve.
    if (!allowed && refusedRange(address)) throw urlForbidden(`Links to ${url.hostname} are refused: it resolves to an address that is not public.`)
  }
  return found
}

/** A `lookup` that answers only the checked addresses, whatever DNS would say now. */
function pinned(addresses: ResolvedAddress[]): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, addresses.map(({ address, family }) => ({ address, family })))
    else callback(null, addresses[0].address, addresses[0].family)
  }
}

function send(url: URL, addresses: ResolvedAddress[], signal: AbortSignal, request?: RequestFn): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:'
  const options: RequestOptions = {
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: portOf(url),
    path: `${url.pathname}${url.search}`,
    // No cookies, no credentials, no referrer: the request says who asks and nothing else.
    headers: { 'user-agent': USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' },
    lookup: pinned(addresses),
    // A fresh agent per hop: no pooled socket from an earlier hop is reused for another address.
    agent: false,
    signal,
  }
  const req = (request ?? (secure ? httpsRequest : httpRequest))(options)
  return new Promise((resolve, reject) => {
    req.once('response', (response: IncomingMessage) => {
      // Aborted before anyone reads it, the response emits an error nobody listens for, which would
      // crash the process; a reader still sees every error through its iterator.
      response.on('error', () => {})
      resolve(response)
    })
    // `on`, not `once`: a later error (an abort after the response) must not go unheard either.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) return reject(signal.reason)
      reject(urlUnreachable(`${url.host} could not be reached${err.code ? ` (${err.code})` : ''}.`))
    })
    req.end()
  })
}

/**
 * Opens `start` and follows at most `policy.maxRedirects` redirects, checking each hop; answers the
 * 2xx response with its body unread. `signal` ends it all, with `signal.reason` as the error.
 */
export async function openLink(start: URL, policy: FetchPolicy, signal: AbortSignal, request?: RequestFn): Promise<Opened> {
  let url = start
  for (let hop = 0; ; hop++) {
    const addresses = await checkedAddresses(url, policy, signal)
    const response = await send(url, addresses, signal, request)
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if (status >= 200 && status < 300) return { url, response }
    response.destroy()
    if (REDIRECTS.has(status) && location) {
      if (hop >= policy.maxRedirects) throw urlForbidden(`The link redirected more than ${policy.maxRedirects} times.`)
      url = parseLink(location, url)
      continue
    }
    throw urlUnreachable(`${url.host} answered HTTP ${status}${status >= 400 ? '' : ', not a file'}.`)
  }
}

/** The response body, ending with `signal.reason` once aborted and `url_unreachable` if the connection breaks. */
export async function* bodyOf(response: IncomingMessage, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let got = 0
  try {
    for await (const chunk of response) {
      got += (chunk as Buffer).length
      yield chunk as Buffer
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw urlUnreachable(`The connection broke after ${got} bytes${(err as NodeJS.ErrnoException).code ? ` (${(err as NodeJS.ErrnoException).code})` : ''}.`)
  } finally {
    response.destroy()
  }
}
