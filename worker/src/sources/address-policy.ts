import ipaddr from 'ipaddr.js';

/**
 * Which network addresses a user-given URL may reach. Only public unicast addresses pass:
 * private (RFC 1918, unique-local), loopback, link-local (incl. the 169.254.169.254 metadata
 * service), CGNAT, multicast, broadcast, unspecified and reserved ranges are refused, for IPv4
 * and IPv6 alike; IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) are
 * judged by the embedded address or refused.
 */
export function blockedReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return 'not an IP address';
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return blockedReason(v6.toIPv4Address().toString());
    const range = v6.range();
    // fd00:ec2::254 (AWS metadata over IPv6) is unique-local, so it is covered here.
    if (range !== 'unicast') return range;
    // ::a.b.c.d (deprecated IPv4-compatible) and 100::/64 (discard) are not public web servers.
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return 'ipv4Compatible';
    if (v6.parts[0] === 0x100 && v6.parts.slice(1, 4).every((part) => part === 0)) return 'discard';
    return null;
  }
  const range = (parsed as ipaddr.IPv4).range();
  if (range !== 'unicast') return range;
  const [a, b] = (parsed as ipaddr.IPv4).octets;
  // 198.18.0.0/15 (benchmarking) is not in ipaddr.js 1.x's special ranges.
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  return null;
}

export const isIpLiteral = (host: string): boolean => ipaddr.isValid(host.replace(/^\[|\]$/g, ''));

/** `host` or `host:port` entries; an entry without a port allows every port of that host. */
export function isAllowListed(url: URL, allowHosts: readonly string[]): boolean {
  if (allowHosts.length === 0) return false;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowHosts.some((entry) => entry === host || entry === `${host}:${port}`);
}
