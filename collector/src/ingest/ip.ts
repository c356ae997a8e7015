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

/**
 * Keeps the network part only (IPv4 /24, IPv6 /48), enough for coarse geography and too little
 * to single out a person. Unparseable input gives undefined rather than leaking it.
 */
export function anonymizeIp(ip: string): string | undefined {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(bare);
  if (v4) {
    const octets = v4.slice(1, 4).map(Number);
    return octets.every((o) => o <= 255) ? `${octets.join('.')}.0` : undefined;
  }
  const groups = expandIpv6(bare.toLowerCase());
  if (!groups) return undefined;
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::`;
}
