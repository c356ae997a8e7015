// Proxy headers name the client only when a proxy the config trusts wrote them: a client that
// writes X-Forwarded-For, X-Real-IP or CF-Connecting-IP itself changes neither its rate-limit
// bucket nor the IP stored with its events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../collector/src/config/config.ts';
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

const config = (trustedProxies: string[]) => ({
  sources: [{ writeKey: 'demo' }],
  rateLimit: { perSecond: 0.01, burst: 3 },
  ip: { trustedProxies, anonymize: false },
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
