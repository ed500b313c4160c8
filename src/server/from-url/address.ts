// Which addresses a link upload may connect to. ipaddr.js knows the special ranges (Companion uses it
// too); this file decides which of them are refused and looks inside the IPv6 forms that carry an IPv4
// address, so `::ffff:127.0.0.1` or a NAT64 address of `10.0.0.1` is judged as the address it reaches.
import ipaddr from 'ipaddr.js'

const WELL_KNOWN_NAT64 = ipaddr.IPv6.parse('64:ff9b::')
const GLOBAL_UNICAST = ipaddr.IPv6.parse('2000::')

/** The IPv4 address in the 32 bits of `parts` at `at` and `at + 1` (16-bit groups), optionally inverted (Teredo). */
function embedded(parts: number[], at: number, invert = false): ipaddr.IPv4 {
  const word = ((parts[at] << 16) | parts[at + 1]) >>> 0
  const v = invert ? ~word >>> 0 : word
  return new ipaddr.IPv4([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff])
}

function ipv4Refusal(ip: ipaddr.IPv4): string | undefined {
  const range = ip.range()
  // Everything ipaddr.js names (private, loopback, linkLocal, carrierGradeNat, multicast, unspecified,
  // broadcast, reserved with benchmarking and documentation, as112, amt) is refused; only `unicast` is public.
  return range === 'unicast' ? undefined : range
}

function ipv6Refusal(ip: ipaddr.IPv6): string | undefined {
  const range = ip.range()
  const parts = ip.parts
  const through = (what: string, ...inner: ipaddr.IPv4[]) => {
    const refused = inner.map(ipv4Refusal).find((r) => r !== undefined)
    return refused && `${what} of ${refused}`
  }
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return through(range, embedded(parts, 6))
    case 'rfc6052':
      // Only the well-known NAT64 prefix is translated to the IPv4 address it ends with; 64:ff9b:1::/48 is for local use.
      return ip.match(WELL_KNOWN_NAT64, 96) ? through('nat64', embedded(parts, 6)) : 'nat64LocalUse'
    case '6to4':
      return through(range, embedded(parts, 1))
    case 'teredo':
      return through(range, embedded(parts, 2), embedded(parts, 6, true))
    case 'unicast':
      // ::a.b.c.d (IPv4-compatible, deprecated) and anything outside 2000::/3 (unassigned) reach nothing public.
      if (parts.slice(0, 6).every((p) => p === 0)) return 'ipv4Compatible'
      return ip.match(GLOBAL_UNICAST, 3) ? undefined : 'unassigned'
    default:
      return range
  }
}

/**
 * IPv6 in the URL parser's spelling: ipaddr.js reads a dotted tail (`::127.0.0.1`, as a resolver may
 * print an IPv4-compatible address) as IPv4-mapped, which it is not. A zone (`%eth0`) says nothing of the range.
 */
function canonical(text: string): string | undefined {
  if (!text.includes(':')) return text
  try {
    return new URL(`http://[${text.replace(/%.*$/, '')}]`).hostname.slice(1, -1)
  } catch {
    return undefined
  }
}

/**
 * Why a link upload must not connect to `address` (the name of its range: `loopback`, `private`,
 * `linkLocal`, `ipv4Mapped of loopback`…), or undefined for a public unicast address. Takes an IPv4
 * address in any spelling ipaddr.js parses (`127.1`, `0x7f.1`, `2130706433`) or an IPv6 address,
 * with or without brackets; anything else is `invalid`.
 */
export function refusedRange(address: string): string | undefined {
  const text = canonical(address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address)
  if (text === undefined || !ipaddr.isValid(text)) return 'invalid'
  const ip = ipaddr.parse(text)
  return ip.kind() === 'ipv4' ? ipv4Refusal(ip as ipaddr.IPv4) : ipv6Refusal(ip as ipaddr.IPv6)
}

/** The address a URL host names literally (`127.0.0.1`, `[::1]` as `::1`), or undefined for a DNS name. */
export function literalAddress(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return hostname.slice(1, -1)
  // The URL parser has already turned decimal, octal, hex and short IPv4 forms into dotted decimal.
  return ipaddr.IPv4.isValidFourPartDecimal(hostname) ? hostname : undefined
}
