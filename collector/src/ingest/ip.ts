import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
/** A network as an address and a prefix length. */
type Network = [Address, number];

/**
 * An address as a socket or a proxy header gives it: plain, in brackets, with an IPv6 zone, or
 * IPv4-mapped IPv6 (taken as the IPv4 address). Strict: the short and hex IPv4 forms that
 * `inet_aton` accepts are refused, since no proxy writes them.
 */
function parseIp(text: string): Address | undefined {
  const trimmed = text.trim();
  const bare = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (!ipaddr.IPv6.isValid(bare)) return undefined;
  const v6 = ipaddr.IPv6.parse(bare);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** Whether text is a port number, 0 to 65535 in decimal digits. */
const isPort = (text: string): boolean =>
  text.length >= 1 &&
  text.length <= 5 &&
  [...text].every((c) => c >= '0' && c <= '9') &&
  Number(text) <= 65_535;

/**
 * An address as a proxy writes a hop: as {@link parseIp} takes it, or with a port, `1.2.3.4:5678`
 * or `[2001:db8::1]:443` (some proxies write the client's port too).
 */
function parseHop(text: string): Address | undefined {
  const colon = text.lastIndexOf(':');
  if (colon > 0 && isPort(text.slice(colon + 1))) {
    const host = text.slice(0, colon);
    // One colon in all is IPv4 and a port; brackets set an IPv6 address apart from its port.
    if (host.startsWith('[') && host.endsWith(']')) return parseIp(host);
    if (!host.includes(':')) return parseIp(host);
  }
  return parseIp(text);
}

/** A proxy network from config: a CIDR (`10.0.0.0/8`) or one address (`127.0.0.1`). */
function parseNetwork(text: string): Network | undefined {
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return ipaddr.IPv4.parseCIDR(text);
  if (ipaddr.IPv6.isValidCIDR(text)) return ipaddr.IPv6.parseCIDR(text);
  const address = parseIp(text);
  return address && [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Whether config text names a proxy network: a CIDR or a single address. */
export const isProxyNetwork = (text: string): boolean => parseNetwork(text) !== undefined;

/** Whether a listening host is loopback only (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || parseIp(host)?.range() === 'loopback';
}

/** The headers a proxy may name the client in; `ip.proxyHeader` says which one is read. */
export const PROXY_HEADERS = ['x-forwarded-for', 'x-real-ip', 'cf-connecting-ip'] as const;
/** A header a proxy names the client in. */
export type ProxyHeader = (typeof PROXY_HEADERS)[number];

/** Who sent a request, as far as the collector can tell. */
export interface Client {
  /** The client's address, to store with its events; undefined when unknown. */
  ip?: string;
  /**
   * What rate limits and read slots count the client by: its address (IPv4) or network (IPv6
   * /64), the text of a proxy hop that is not an address, or '' when nothing is known.
   */
  key: string;
}

/** Longest text of a hop that is not an address kept as a key: no address is longer. */
const MAX_HOP_KEY = 64;

/**
 * The proxies whose header the collector believes, parsed once from `ip.trustedProxies`, and
 * which header that is (`ip.proxyHeader`).
 */
export class TrustedProxies {
  private readonly networks: Network[];

  constructor(
    cidrs: readonly string[],
    private readonly header: ProxyHeader = 'x-forwarded-for',
  ) {
    this.networks = cidrs.map((cidr) => {
      const network = parseNetwork(cidr);
      if (!network) throw new Error(`ip.trustedProxies: ${cidr} is not a CIDR or an address`);
      return network;
    });
  }

  /** Whether an address is one of the trusted proxies. */
  trusts(address: Address): boolean {
    return this.networks.some(([net, bits]) => address.kind() === net.kind() && address.match(net, bits));
  }

  /**
   * The client. The proxy header is read only when the socket peer is a trusted proxy, and only
   * the one header configured: its comma-separated hops are walked from the right (each proxy
   * appends the address it was sent from), trusted hops skipped, and the first untrusted address
   * is the client. A hop with a port counts as its address. A hop that is not an address (a proxy
   * that writes `unknown` or a name) leaves the client unknown: no address, and the hop's text as
   * its key, never the proxy's own address, which every client behind it would share.
   */
  client(headers: Headers, peer: string | undefined): Client {
    const socket = peer === undefined ? undefined : parseIp(peer);
    if (peer === undefined || !socket || !this.trusts(socket)) {
      return { ip: peer, key: (peer && clientNetwork(peer)) ?? peer ?? '' };
    }
    const hops = (headers.get(this.header) ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean)
      .reverse();
    let client = socket;
    for (const hop of hops) {
      const address = parseHop(hop);
      if (!address) return { key: hop.slice(0, MAX_HOP_KEY) };
      client = address;
      if (!this.trusts(address)) break;
    }
    const ip = client.toString();
    return { ip, key: clientNetwork(ip) ?? ip };
  }
}

/** The first octets of an IPv4 address or groups of an IPv6 one; undefined when unparseable. */
function prefix(ip: string, octets: number, groups: number): string | undefined {
  const address = parseIp(ip);
  if (!address) return undefined;
  if (address.kind() === 'ipv4') {
    const kept = (address as ipaddr.IPv4).octets;
    return [...kept.slice(0, octets), ...Array<number>(4 - octets).fill(0)].join('.');
  }
  return `${(address as ipaddr.IPv6).parts
    .slice(0, groups)
    .map((g) => g.toString(16))
    .join(':')}::`;
}

/**
 * Keeps the network part only (IPv4 /24, IPv6 /48), enough for coarse geography and too little
 * to single out a person. Unparseable input gives undefined rather than leaking it.
 */
export const anonymizeIp = (ip: string): string | undefined => prefix(ip, 3, 3);

/**
 * The part of an address one client controls, for rate limits: a whole IPv4 address, an IPv6 /64
 * (a host is given a whole /64 and may rotate within it at will).
 */
export const clientNetwork = (ip: string): string | undefined => prefix(ip, 4, 4);
