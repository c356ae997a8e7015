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

/** The proxies whose headers the collector believes, parsed once from `ip.trustedProxies`. */
export class TrustedProxies {
  private readonly networks: Network[];

  constructor(cidrs: readonly string[]) {
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
   * The client address. Proxy headers are read only when the socket peer is a trusted proxy: then
   * X-Forwarded-For is walked from the right (each proxy appends the address it was sent from),
   * trusted hops skipped, and the first untrusted address is the client; without X-Forwarded-For,
   * X-Real-IP, then CF-Connecting-IP. A hop that is not an address ends the walk at the hop
   * before it, the nearest address a trusted proxy vouches for.
   */
  clientIp(headers: Headers, peer: string | undefined): string | undefined {
    let client = peer === undefined ? undefined : parseIp(peer);
    if (!client || !this.trusts(client)) return peer;
    const forwarded = headers.get('x-forwarded-for');
    const hops = forwarded
      ? forwarded.split(',').reverse()
      : [headers.get('x-real-ip') ?? headers.get('cf-connecting-ip') ?? ''];
    for (const hop of hops) {
      const address = parseIp(hop);
      if (!address) break;
      client = address;
      if (!this.trusts(address)) break;
    }
    return client.toString();
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
