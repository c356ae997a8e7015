import { describe, expect, it } from 'vitest';
import { anonymizeIp, clientNetwork, isLoopbackHost, isProxyNetwork, TrustedProxies } from './ip.ts';

describe('anonymizeIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['::ffff:203.0.113.77', '203.0.113.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:db8::1', '2001:db8:0::'],
    ['[2001:db8:1:2::5]', '2001:db8:1::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['::1', '0:0:0::'],
  ])('keeps the network of %s', (ip, expected) => {
    expect(anonymizeIp(ip)).toBe(expected);
  });

  it.each(['', 'localhost', '300.1.1.1', '1.2.3', '1::2::3', '2001:db8:zz::1', '1:2:3:4:5:6:7:8:9'])(
    'gives nothing for unparseable %j rather than leak it',
    (ip) => {
      expect(anonymizeIp(ip)).toBeUndefined();
    },
  );
});

describe('clientNetwork', () => {
  it.each([
    ['203.0.113.77', '203.0.113.77'],
    ['::ffff:203.0.113.77', '203.0.113.77'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::'],
    ['2001:db8:1:2::9', '2001:db8:1:2::'],
  ])('keeps what one client controls of %s', (ip, expected) => {
    expect(clientNetwork(ip)).toBe(expected);
  });
});

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1', '2001:db8:ffff::/48']);
  const headers = (h: Record<string, string>) => new Headers(h);
  const ipOf = (p: TrustedProxies, h: Record<string, string>, peer?: string) => p.client(headers(h), peer).ip;

  it('ignores every proxy header unless the socket peer is a trusted proxy', () => {
    const forged = {
      'x-forwarded-for': '198.51.100.9',
      'x-real-ip': '198.51.100.8',
      'cf-connecting-ip': '198.51.100.7',
    };
    expect(proxies.client(headers(forged), '203.0.113.5')).toEqual({
      ip: '203.0.113.5',
      key: '203.0.113.5',
    });
    expect(ipOf(new TrustedProxies([]), forged, '127.0.0.1')).toBe('127.0.0.1');
    expect(proxies.client(headers(forged), undefined)).toEqual({ ip: undefined, key: '' });
  });

  it('walks X-Forwarded-For from the right, skipping trusted hops', () => {
    // The client wrote the first two entries itself; the proxies appended the rest.
    const xff = { 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.9, 10.0.0.7, 10.1.2.3' };
    expect(ipOf(proxies, xff, '10.0.0.1')).toBe('198.51.100.9');
    expect(ipOf(proxies, xff, '::ffff:127.0.0.1')).toBe('198.51.100.9');
    const v6 = { 'x-forwarded-for': '2001:db8:1::5, 2001:db8:ffff::1' };
    expect(proxies.client(headers(v6), '[2001:db8:ffff::2]')).toEqual({
      ip: '2001:db8:1::5',
      key: '2001:db8:1:0::',
    });
    // All trusted: the nearest address they vouch for; none written: the peer itself.
    expect(ipOf(proxies, { 'x-forwarded-for': '10.0.0.9, 10.0.0.7' }, '10.0.0.1')).toBe('10.0.0.9');
    expect(ipOf(proxies, { 'x-forwarded-for': '' }, '10.0.0.1')).toBe('10.0.0.1');
  });

  it('reads only the configured header: a client-written X-Forwarded-For passed through is ignored', () => {
    const sent = {
      'x-forwarded-for': '203.0.113.66',
      'x-real-ip': '198.51.100.9',
      'cf-connecting-ip': '192.0.2.1',
    };
    const realIp = new TrustedProxies(['10.0.0.0/8'], 'x-real-ip');
    expect(ipOf(realIp, sent, '10.0.0.1')).toBe('198.51.100.9');
    expect(ipOf(realIp, { 'x-forwarded-for': '203.0.113.66' }, '10.0.0.1')).toBe('10.0.0.1');
    expect(ipOf(new TrustedProxies(['10.0.0.0/8'], 'cf-connecting-ip'), sent, '10.0.0.1')).toBe('192.0.2.1');
    // And the default reads X-Forwarded-For alone: no fallback to the others.
    expect(ipOf(proxies, { 'x-real-ip': '198.51.100.9' }, '10.0.0.1')).toBe('10.0.0.1');
  });

  it.each([
    ['198.51.100.9:5678', '198.51.100.9', '198.51.100.9'],
    ['[2001:db8:1:2::5]:443', '2001:db8:1:2::5', '2001:db8:1:2::'],
    ['[2001:db8:1:2::5]', '2001:db8:1:2::5', '2001:db8:1:2::'],
    ['10.0.0.8:80, 198.51.100.9:1, 10.0.0.7:443', '198.51.100.9', '198.51.100.9'],
  ])('takes a hop with a port as its address: %s', (xff, ip, key) => {
    expect(proxies.client(headers({ 'x-forwarded-for': xff }), '10.0.0.1')).toEqual({ ip, key });
  });

  it.each([
    ['garbage', 'garbage'],
    ['05.5.5.9', '05.5.5.9'],
    ['198.51.100.9, unknown, 10.0.0.7', 'unknown'],
    ['1.2.3.4:99999', '1.2.3.4:99999'],
    ['2001:db8::1:443:x', '2001:db8::1:443:x'],
    ['x'.repeat(500), 'x'.repeat(64)],
  ])('leaves the client unknown for a hop that is not an address, keyed by its text: %s', (xff, key) => {
    // Never the proxy's own address, which every client behind it would share.
    expect(proxies.client(headers({ 'x-forwarded-for': xff }), '10.0.0.1')).toEqual({ key });
  });

  it('refuses config that names no network', () => {
    for (const good of ['10.0.0.0/8', '127.0.0.1', '::1', '2001:db8::/32', '0.0.0.0/0'])
      expect(isProxyNetwork(good)).toBe(true);
    for (const bad of ['10/8', '10.0.0.0/33', 'localhost', '', '*', '10.0.0.0/8, 127.0.0.1', '127.0.0.1:80'])
      expect(isProxyNetwork(bad)).toBe(false);
    expect(() => new TrustedProxies(['10/8'])).toThrow(/10\/8 is not a CIDR/);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.2', false],
    ['example.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
