// `allowHosts` and `denyHosts` entries: `host` or `host:port`, spelled as in a URL. Each is read through
// the URL parser, so an entry and a link that name the same host in different spellings (`2130706433`,
// `127.0.0.1`, `EXAMPLE.com.`) match.

export interface HostRule {
  /** As `URL.hostname` spells it, lowercase, without a trailing dot (IPv6 in brackets). */
  host: string
  /** The port when the entry names one: then only that port matches. */
  port?: number
}

const bare = (hostname: string) => hostname.toLowerCase().replace(/\.$/, '')

export function parseHostRule(entry: unknown, option: string): HostRule {
  const fail = () => new TypeError(`createUploadHandler: fromUrl.${option} entries must be "host" or "host:port", got ${JSON.stringify(entry)}`)
  if (typeof entry !== 'string' || entry.trim() === '' || /[/?#@\\\s]/.test(entry.trim())) throw fail()
  let url: URL
  try {
    url = new URL(`http://${entry.trim()}`)
  } catch {
    throw fail()
  }
  // `:80` is dropped by the parser as http's default; keep what the entry said.
  const port = /:(\d+)$/.exec(entry.trim())?.[1]
  return port === undefined ? { host: bare(url.hostname) } : { host: bare(url.hostname), port: Number(port) }
}

export const parseHostRules = (entries: unknown, option: string): HostRule[] => {
  if (entries === undefined) return []
  if (!Array.isArray(entries)) throw new TypeError(`createUploadHandler: fromUrl.${option} must be a list of "host" or "host:port" entries`)
  return entries.map((e) => parseHostRule(e, option))
}

/** The port a URL connects to. */
export const portOf = (url: URL) => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80)

export function hostMatches(rules: readonly HostRule[], url: URL): boolean {
  const host = bare(url.hostname)
  const port = portOf(url)
  return rules.some((r) => r.host === host && (r.port === undefined || r.port === port))
}

/** Whether a rule names `address` itself (an IP entry in `denyHosts` also refuses names that resolve to it). */
export function addressMatches(rules: readonly HostRule[], address: string, port: number): boolean {
  let host: string
  try {
    host = new URL(`http://${address.includes(':') ? `[${address}]` : address}`).hostname
  } catch {
    return false
  }
  return rules.some((r) => r.host === host && (r.port === undefined || r.port === port))
}
