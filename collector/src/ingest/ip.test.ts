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

  it('ignores every proxy header unless the socket peer is a trusted proxy', () => {
    const forged = headers({
      'x-forwarded-for': '198.51.100.9',
      'x-real-ip': '198.51.100.8',
      'cf-connecting-ip': '198.51.100.7',
    });
    expect(proxies.clientIp(forged, '203.0.113.5')).toBe('203.0.113.5');
    expect(new TrustedProxies([]).clientIp(forged, '127.0.0.1')).toBe('127.0.0.1');
    expect(proxies.clientIp(forged, undefined)).toBeUndefined();
  });

  it('walks X-Forwarded-For from the right, skipping trusted hops', () => {
    // The client wrote the first two entries itself; the proxies appended the rest.
    const xff = headers({ 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 198.51.100.9, 10.0.0.7, 10.1.2.3' });
    expect(proxies.clientIp(xff, '10.0.0.1')).toBe('198.51.100.9');
    expect(proxies.clientIp(xff, '::ffff:127.0.0.1')).toBe('198.51.100.9');
    const v6 = headers({ 'x-forwarded-for': '2001:db8:1::5, 2001:db8:ffff::1' });
    expect(proxies.clientIp(v6, '[2001:db8:ffff::2]')).toBe('2001:db8:1::5');
  });

  it('takes the nearest vouched-for address when a hop is not an address, or all hops are trusted', () => {
    expect(
      proxies.clientIp(headers({ 'x-forwarded-for': '198.51.100.9, unknown, 10.0.0.7' }), '10.0.0.1'),
    ).toBe('10.0.0.7');
    expect(proxies.clientIp(headers({ 'x-forwarded-for': '10.0.0.9, 10.0.0.7' }), '10.0.0.1')).toBe(
      '10.0.0.9',
    );
    expect(proxies.clientIp(headers({ 'x-forwarded-for': '' }), '10.0.0.1')).toBe('10.0.0.1');
  });

  it('falls back to X-Real-IP, then CF-Connecting-IP, from a trusted peer', () => {
    expect(
      proxies.clientIp(headers({ 'x-real-ip': '192.0.2.2', 'cf-connecting-ip': '192.0.2.1' }), '10.0.0.1'),
    ).toBe('192.0.2.2');
    expect(proxies.clientIp(headers({ 'cf-connecting-ip': '192.0.2.1' }), '10.0.0.1')).toBe('192.0.2.1');
    expect(proxies.clientIp(headers({}), '10.0.0.1')).toBe('10.0.0.1');
  });

  it('refuses config that names no network', () => {
    for (const good of ['10.0.0.0/8', '127.0.0.1', '::1', '2001:db8::/32', '0.0.0.0/0'])
      expect(isProxyNetwork(good)).toBe(true);
    for (const bad of ['10/8', '10.0.0.0/33', 'localhost', '', '*', '10.0.0.0/8, 127.0.0.1'])
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
