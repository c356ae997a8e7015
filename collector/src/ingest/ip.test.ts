import { describe, expect, it } from 'vitest';
import { anonymizeIp, clientIp } from './ip.ts';

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

describe('clientIp', () => {
  const headers = new Headers({ 'x-forwarded-for': '198.51.100.9, 10.0.0.1', 'x-real-ip': '198.51.100.8' });
  it('ignores proxy headers unless the proxy is trusted', () => {
    expect(clientIp(headers, '10.0.0.1', false)).toBe('10.0.0.1');
  });
  it('prefers CF-Connecting-IP, then X-Real-IP, then the first X-Forwarded-For hop', () => {
    expect(
      clientIp(new Headers({ 'cf-connecting-ip': '192.0.2.1', 'x-real-ip': '192.0.2.2' }), undefined, true),
    ).toBe('192.0.2.1');
    expect(clientIp(headers, '10.0.0.1', true)).toBe('198.51.100.8');
    expect(clientIp(new Headers({ 'x-forwarded-for': '198.51.100.9, 10.0.0.1' }), '10.0.0.1', true)).toBe(
      '198.51.100.9',
    );
    expect(clientIp(new Headers(), '10.0.0.1', true)).toBe('10.0.0.1');
  });
});
