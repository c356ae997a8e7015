/** Where a client IP may be read from when the collector sits behind a trusted proxy. */
const PROXY_HEADERS = ['cf-connecting-ip', 'x-real-ip', 'x-forwarded-for'] as const;

/**
 * The client IP: from proxy headers when trusted (the first X-Forwarded-For hop is the client),
 * else from the socket.
 */
export function clientIp(
  headers: Headers,
  socketIp: string | undefined,
  trustProxy: boolean,
): string | undefined {
  if (trustProxy) {
    for (const name of PROXY_HEADERS) {
      const value = headers.get(name)?.split(',')[0]?.trim();
      if (value) return value;
    }
  }
  return socketIp;
}

function expandIpv6(ip: string): number[] | undefined {
  const [head = '', tail, ...rest] = ip.split('::');
  if (rest.length) return undefined;
  const parse = (part: string) => (part ? part.split(':').map((h) => Number.parseInt(h, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** The first octets of an IPv4 address or groups of an IPv6 one; undefined when unparseable. */
function prefix(ip: string, octets: number, groups: number): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(bare);
  if (v4) {
    const kept = v4.slice(1, 5).map(Number);
    if (!kept.every((o) => o <= 255)) return undefined;
    return [...kept.slice(0, octets), ...Array<number>(4 - octets).fill(0)].join('.');
  }
  const v6 = expandIpv6(bare.toLowerCase());
  if (!v6) return undefined;
  return `${v6
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
