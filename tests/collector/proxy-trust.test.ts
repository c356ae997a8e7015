// Proxy headers name the client only when a proxy the config trusts wrote them, and only the one
// header the config names: a client that writes X-Forwarded-For, X-Real-IP or CF-Connecting-IP
// itself changes neither its rate-limit bucket nor the IP stored with its events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../collector/src/config/config.ts';
import type { ProxyHeader } from '../../collector/src/ingest/ip.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';

const storedIps = (collector: CollectorProcess, ids: readonly string[]) =>
  collector
    .query<{ message_id: string; payload: string }>('SELECT message_id, payload FROM events')
    .filter((row) => ids.includes(row.message_id))
    .map((row) => (JSON.parse(row.payload) as { context: { ip?: string } }).context.ip);

/** Sends 20 batches, each with other forged headers, one after another; returns their statuses. */
async function forge(collector: CollectorProcess, headers: (i: number) => Record<string, string>) {
  const ids: string[] = [];
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const event = trackEvent();
    const res = await post(`${collector.url}/v1/batch`, { batch: [event] }, headers(i));
    statuses.push(res.status);
    if (res.status === 200) ids.push(event.messageId);
  }
  return { ids, statuses };
}

const config = (trustedProxies: string[], proxyHeader?: ProxyHeader) => ({
  sources: [{ writeKey: 'demo' }],
  rateLimit: { perSecond: 0.01, burst: 3 },
  ip: { trustedProxies, proxyHeader, anonymize: false },
  demo: false,
});

describe('a client that is not a trusted proxy', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    // Proxies are trusted, but not the address the test connects from.
    collector = await startCollector({ config: config(['10.0.0.0/8', '192.168.0.0/16']) });
  });
  afterAll(() => collector?.stop());

  it('gets 3 of 20 forged requests through a burst-3 limit, stored with its socket address', async () => {
    const { ids, statuses } = await forge(collector, (i) => ({
      'x-forwarded-for': `203.0.113.${i + 1}`,
      'x-real-ip': `198.51.100.${i + 1}`,
      'cf-connecting-ip': `192.0.2.${i + 1}`,
    }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    expect(storedIps(collector, ids)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });
});

describe('a client behind a trusted proxy', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    // The test plays the proxy at 127.0.0.1, which appends the address it was sent from.
    collector = await startCollector({ config: config(['127.0.0.1/32']) });
  });
  afterAll(() => collector?.stop());

  it('is the rightmost untrusted X-Forwarded-For address: what it wrote to the left is ignored', async () => {
    const { ids, statuses } = await forge(collector, (i) => ({
      'x-forwarded-for': `10.9.9.${i + 1}, 203.0.113.${i + 1}, 198.51.100.77`,
      'cf-connecting-ip': `192.0.2.${i + 1}`,
    }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(storedIps(collector, ids)).toEqual(['198.51.100.77', '198.51.100.77', '198.51.100.77']);
    // Another client through the same proxy has its own bucket.
    const other = trackEvent();
    const res = await post(
      `${collector.url}/v1/batch`,
      { batch: [other] },
      { 'x-forwarded-for': '198.51.100.78' },
    );
    expect(res.status).toBe(200);
    expect(storedIps(collector, [other.messageId])).toEqual(['198.51.100.78']);
  });
});

describe('a client behind a trusted proxy that sets X-Real-IP only', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({ config: config(['127.0.0.1/32'], 'x-real-ip') });
  });
  afterAll(() => collector?.stop());

  it('is X-Real-IP: the X-Forwarded-For it wrote itself, passed through, is never read', async () => {
    const { ids, statuses } = await forge(collector, (i) => ({
      'x-real-ip': '198.51.100.77',
      'x-forwarded-for': `203.0.113.${i + 1}`,
    }));
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    expect(storedIps(collector, ids)).toEqual(['198.51.100.77', '198.51.100.77', '198.51.100.77']);
  });
});

describe('hops a proxy writes with a port, or not as an address', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({ config: config(['127.0.0.1/32']) });
  });
  afterAll(() => collector?.stop());

  /** Posts one event as if the proxy wrote `hop`; its status and the IP stored with it. */
  const via = async (hop?: string) => {
    const event = trackEvent();
    const headers: Record<string, string> = hop === undefined ? {} : { 'x-forwarded-for': hop };
    const res = await post(`${collector.url}/v1/batch`, { batch: [event] }, headers);
    return { status: res.status, ip: storedIps(collector, [event.messageId])[0] };
  };

  it('counts each client by its own address or hop, never by the proxy all of them share', async () => {
    // One client, from four ports: one bucket of 3, its address stored without the port.
    const ported = [];
    for (let port = 5678; port < 5682; port++) ported.push(await via(`198.51.100.77:${port}`));
    expect(ported.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(ported[0]?.ip).toBe('198.51.100.77');
    // Others through the same proxy are not in that bucket, nor in the proxy's.
    expect(await via('[2001:db8::1]:443')).toEqual({ status: 200, ip: '2001:db8::1' });
    // Hops that are not addresses: the client is unknown, no IP is stored, the hop is its bucket.
    const garbage = [];
    for (let i = 0; i < 4; i++) garbage.push(await via('garbage'));
    expect(garbage).toEqual([
      { status: 200, ip: undefined },
      { status: 200, ip: undefined },
      { status: 200, ip: undefined },
      { status: 429, ip: undefined },
    ]);
    expect(await via('05.5.5.9')).toEqual({ status: 200, ip: undefined });
    // The proxy's own requests still have the proxy's whole bucket.
    const own = [await via(), await via(), await via()];
    expect(own).toEqual(Array(3).fill({ status: 200, ip: '127.0.0.1' }));
  });
});

describe('the replaced ip.trustProxy', () => {
  it('stops the collector at startup with what to write instead', async () => {
    await expect(
      // The key as an older config file still has it.
      startCollector({ config: { ip: { trustProxy: true } } as unknown as ConfigInput }),
    ).rejects.toThrow(/ip\.trustProxy was replaced by ip\.trustedProxies/);
    await expect(
      startCollector({ config: { demo: false }, env: { TRAIL_TRUST_PROXY: '1' } }),
    ).rejects.toThrow(/TRAIL_TRUST_PROXY was replaced by TRAIL_TRUSTED_PROXIES/);
    await expect(startCollector({ config: { ip: { trustedProxies: ['10/8'] } } })).rejects.toThrow(
      /trustedProxies.*must be a CIDR/,
    );
  });
});
