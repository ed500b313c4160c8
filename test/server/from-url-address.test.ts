// The SSRF guard's address checks, as pure functions over a table: no address here is ever connected to.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { literalAddress, refusedRange } from '../../src/server/from-url/address.js'
import { parseLink, refuseAtOnce } from '../../src/server/from-url/fetch.js'
import { addressMatches, hostMatches, parseHostRule, parseHostRules } from '../../src/server/from-url/hosts.js'

// [address, the range it is refused as (undefined: public)]
const ADDRESSES: [string, string | undefined][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.255', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456:789a::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['febf::1', 'linkLocal'],
  ['fec0::1', 'deprecatedSiteLocal'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['2001:2::1', 'benchmarking'],
  ['100::1', 'discard'],
  ['::ffff:127.0.0.1', 'ipv4Mapped of loopback'],
  ['::ffff:7f00:1', 'ipv4Mapped of loopback'],
  ['::ffff:a9fe:a9fe', 'ipv4Mapped of linkLocal'],
  ['::ffff:10.0.0.1', 'ipv4Mapped of private'],
  ['::ffff:0:7f00:1', 'rfc6145 of loopback'],
  ['::7f00:1', 'ipv4Compatible'],
  ['::127.0.0.1', 'ipv4Compatible'],
  ['::8.8.8.8', 'ipv4Compatible'],
  ['64:ff9b::a00:1', 'nat64 of private'],
  ['64:ff9b::127.0.0.1', 'nat64 of loopback'],
  ['64:ff9b:1::1', 'nat64LocalUse'],
  ['2002:a00:1::1', '6to4 of private'],
  ['2002:7f00:1::', '6to4 of loopback'],
  // Teredo: server 65.54.227.120, client ~0x3fff fdd2 = 192.0.2.45 (documentation, reserved).
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo of reserved'],
  // Teredo whose client is 10.0.0.1 (inverted: f5ff:fffe).
  ['2001:0:4136:e378::f5ff:fffe', 'teredo of private'],
  ['4000::1', 'unassigned'],
  ['fe80::1%eth0', 'linkLocal'],
  ['not-an-ip', 'invalid'],
  ['', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  // Public.
  ['8.8.8.8', undefined],
  ['93.184.216.34', undefined],
  ['172.32.0.1', undefined],
  ['100.128.0.1', undefined],
  ['2606:4700:4700::1111', undefined],
  ['[2606:4700:4700::1111]', undefined],
  ['::ffff:8.8.8.8', undefined],
  ['64:ff9b::808:808', undefined],
  ['2002:808:808::1', undefined],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', undefined],
]

describe('refusedRange', () => {
  for (const [address, range] of ADDRESSES) {
    it(`${address || '(empty)'} → ${range ?? 'public'}`, () => assert.equal(refusedRange(address), range))
  }
  it('reads the odd IPv4 spellings ipaddr.js parses as the address they are', () => {
    for (const spelling of ['2130706433', '0177.0.0.1', '0x7f.1', '127.1', '0x7f000001', '017700000001']) assert.equal(refusedRange(spelling), 'loopback', spelling)
    assert.equal(refusedRange('0xa9.0xfe.0xa9.0xfe'), 'linkLocal')
  })
})

describe('links: parsing and the checks made before any DNS question', () => {
  const policy = { allowHosts: [], denyHosts: parseHostRules(['blocked.example', 'files.example:8443'], 'denyHosts') }
  const refused = (raw: string) => {
    try {
      refuseAtOnce(parseLink(raw), policy)
      return undefined
    } catch (err) {
      return (err as { code: string }).code
    }
  }

  it('the URL parser turns every odd IPv4 spelling into dotted decimal, which the guard then sees', () => {
    const spellings = ['2130706433', '0177.0.0.1', '0x7f.1', '127.1', '0x7f000001', '017700000001', '127.0.0.1.', '%31%32%37.0.0.1', '0x7F.0.0.1']
    for (const s of spellings) {
      const url = parseLink(`http://${s}/x`)
      assert.equal(url.hostname, '127.0.0.1', s)
      assert.equal(literalAddress(url.hostname), '127.0.0.1', s)
      assert.equal(refused(`http://${s}/x`), 'url_forbidden', s)
    }
    assert.equal(parseLink('http://[::ffff:127.0.0.1]/').hostname, '[::ffff:7f00:1]')
    assert.equal(parseLink('http://[0:0:0:0:0:ffff:127.0.0.1]/').hostname, '[::ffff:7f00:1]')
    assert.equal(parseLink('http://[::127.0.0.1]/').hostname, '[::7f00:1]')
    assert.equal(parseLink('http://0/').hostname, '0.0.0.0')
  })

  it('refuses literal addresses that are not public, in every spelling', () => {
    for (const raw of ['http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/', 'http://[::ffff:7f00:1]/', 'http://[::ffff:169.254.169.254]/', 'http://[fd00::1]/', 'http://[fe80::1]/', 'http://0/', 'http://10.1/', 'https://192.168.0.1/', 'http://[64:ff9b::10.0.0.1]/', 'http://100.64.1.1/']) {
      assert.equal(refused(raw), 'url_forbidden', raw)
    }
  })

  it('passes a public literal address and leaves DNS names for later', () => {
    assert.deepEqual(refuseAtOnce(parseLink('http://8.8.8.8/a'), policy), [{ address: '8.8.8.8', family: 4 }])
    assert.deepEqual(refuseAtOnce(parseLink('http://[2606:4700::1]/a'), policy), [{ address: '2606:4700::1', family: 6 }])
    assert.equal(refuseAtOnce(parseLink('https://example.com/a'), policy), undefined)
    // A name that only looks like a number is a name: DNS answers for it, and its answer is checked.
    assert.equal(refuseAtOnce(parseLink('http://127.0.0.1.example/'), policy), undefined)
  })

  it('answers invalid_url for what is not an http(s) link, url_forbidden for userinfo', () => {
    for (const raw of ['', '   ', 'not a url', 'ftp://example.com/a', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://x/', 'data:text/plain,hi', 'http://', 'http://1.2.3.4.5/']) {
      assert.equal(refused(raw), 'invalid_url', raw)
    }
    for (const bad of [undefined, 42, null, {}, ['http://a/']]) {
      assert.throws(() => parseLink(bad), (e: { code: string; status: number }) => e.code === 'invalid_url' && e.status === 400)
    }
    assert.equal(refused('http://user:pass@example.com/'), 'url_forbidden')
    assert.equal(refused('http://user@example.com/'), 'url_forbidden')
  })

  it('refuses denied hosts, with and without a port', () => {
    assert.equal(refused('http://blocked.example/a'), 'url_forbidden')
    assert.equal(refused('https://BLOCKED.example./a'), 'url_forbidden')
    assert.equal(refused('https://blocked.example:9999/a'), 'url_forbidden')
    assert.equal(refused('https://files.example:8443/a'), 'url_forbidden')
    assert.equal(refused('https://files.example/a'), undefined)
    assert.equal(refused('https://sub.blocked.example/a'), undefined)
  })

  it('a denied host is refused even when it is also allowed', () => {
    const both = { allowHosts: parseHostRules(['127.0.0.1'], 'allowHosts'), denyHosts: parseHostRules(['127.0.0.1'], 'denyHosts') }
    assert.throws(() => refuseAtOnce(parseLink('http://127.0.0.1/'), both), { code: 'url_forbidden' })
  })
})

describe('allowHosts and denyHosts entries', () => {
  const match = (entries: string[], raw: string) => hostMatches(parseHostRules(entries, 'allowHosts'), new URL(raw))

  it('match the host, and the port when the entry names one', () => {
    assert.equal(match(['127.0.0.1:8080'], 'http://127.0.0.1:8080/a'), true)
    assert.equal(match(['127.0.0.1:8080'], 'http://127.0.0.1:8081/a'), false)
    assert.equal(match(['127.0.0.1:8080'], 'http://127.0.0.2:8080/a'), false)
    assert.equal(match(['127.0.0.1'], 'http://127.0.0.1:1234/a'), true)
    assert.equal(match(['files.test:80'], 'http://files.test/a'), true)
    assert.equal(match(['files.test:80'], 'https://files.test/a'), false)
    assert.equal(match(['files.test:443'], 'https://files.test/a'), true)
    assert.equal(match(['Files.Test'], 'http://files.test./a'), true)
    assert.equal(match(['files.test'], 'http://a.files.test/a'), false)
    assert.equal(match(['[::1]:3000'], 'http://[0:0::1]:3000/'), true)
    // An entry in another spelling of the same address still matches.
    assert.equal(match(['2130706433:9000'], 'http://127.0.0.1:9000/'), true)
  })

  it('an IP entry also names that address as a resolver answers it', () => {
    const rules = parseHostRules(['10.0.0.5', '[fd00::1]:8080'], 'denyHosts')
    assert.equal(addressMatches(rules, '10.0.0.5', 80), true)
    assert.equal(addressMatches(rules, '10.0.0.6', 80), false)
    assert.equal(addressMatches(rules, 'fd00:0::1', 8080), true)
    assert.equal(addressMatches(rules, 'fd00::1', 80), false)
    assert.equal(addressMatches(rules, 'not an address', 80), false)
  })

  it('refuse entries that are not host or host:port', () => {
    for (const bad of ['', ' ', 'http://a.test', 'a.test/path', 'user@a.test', 'a.test:99999', 'a b', 42, null]) {
      assert.throws(() => parseHostRule(bad, 'allowHosts'), TypeError, String(bad))
    }
    assert.throws(() => parseHostRules('a.test', 'allowHosts'), TypeError)
    assert.deepEqual(parseHostRule(' files.test:8080 ', 'allowHosts'), { host: 'files.test', port: 8080 })
  })
})
