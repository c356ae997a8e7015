import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, post, trackEvent } from '../support/events.ts';

const TOKEN = 'debugger-test-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };

interface StreamedOutcome {
  kind: string;
  flagged: boolean;
  messageId?: string;
  reason?: string;
  event?: string;
}

/** Reads `outcome` messages from the SSE stream until `enough` says so or the time is up. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  enough: (seen: StreamedOutcome[]) => boolean,
  onOpen: () => Promise<void>,
  timeoutMs = 10_000,
): Promise<StreamedOutcome[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen: StreamedOutcome[] = [];
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    let opened = false;
    while (!enough(seen)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      if (!opened && buffered.includes(': connected')) {
        opened = true;
        await onOpen();
      }
      const messages = buffered.split('\n\n');
      buffered = messages.pop() ?? '';
      for (const message of messages) {
        if (!message.includes('event: outcome')) continue;
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        seen.push(JSON.parse(data) as StreamedOutcome);
      }
    }
    await reader.cancel().catch(() => {});
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return seen;
}

describe('debugger on the collector process', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({
      config: {
        debugger: { token: TOKEN },
        sources: [{ writeKey: 'demo' }, { writeKey: 'strict', consentMode: 'opt-in' }],
      },
    });
  });
  afterAll(async () => {
    await c.stop();
  });

  it('answers 401 without the token and 200 with it', async () => {
    expect((await fetch(`${c.url}/debugger`)).status).toBe(401);
    expect((await fetch(`${c.url}/debugger`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    expect((await fetch(`${c.url}/debugger/api/insights`)).status).toBe(401);
    const page = await fetch(`${c.url}/debugger`, { headers: bearer });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('trail debugger');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('sets an HttpOnly SameSite=Strict cookie for ?token= that then authorizes', async () => {
    const res = await fetch(`${c.url}/debugger?token=${TOKEN}`);
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const pair = cookie.split(';')[0] ?? '';
    expect((await fetch(`${c.url}/debugger/api/insights`, { headers: { cookie: pair } })).status).toBe(200);
  });

  it('streams an accepted event and a flagged rejected one', async () => {
    const good = trackEvent({ event: 'Debugger Seen' });
    const bad = { type: 'track', messageId: 'bad-1' }; // no event name, no ids
    const seen = await readStream(
      `${c.url}/debugger/stream`,
      bearer,
      (s) => s.length >= 2,
      async () => {
        const res = await post(`${c.url}/v1/batch`, { batch: [good, bad] });
        expect(res.status).toBe(200);
      },
    );
    expect(seen.find((o) => o.messageId === good.messageId)).toMatchObject({
      kind: 'accepted',
      flagged: false,
      event: 'Debugger Seen',
    });
    const rejected = seen.find((o) => o.messageId === 'bad-1');
    expect(rejected).toMatchObject({ kind: 'rejected', flagged: true });
    expect(rejected?.reason).toBeTruthy();
  });

  it('flags consent drops, and filters by source', async () => {
    const dropped = trackEvent({ event: 'No Consent' });
    const seen = await readStream(
      `${c.url}/debugger/stream?source=strict`,
      bearer,
      (s) => s.length >= 1,
      async () => {
        await post(`${c.url}/v1/batch`, { batch: [trackEvent()] });
        const res = await post(`${c.url}/v1/batch`, { batch: [dropped] }, { authorization: basic('strict') });
        expect(((await res.json()) as { droppedByConsent: number }).droppedByConsent).toBe(1);
      },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ kind: 'consent', flagged: true, messageId: dropped.messageId });
  });

  it('filters the stream by event name', async () => {
    const seen = await readStream(
      `${c.url}/debugger/stream?event=${encodeURIComponent('Wanted')}`,
      bearer,
      (s) => s.length >= 1,
      async () => {
        await post(`${c.url}/v1/batch`, {
          batch: [trackEvent({ event: 'Skipped' }), trackEvent({ event: 'Wanted' })],
        });
      },
    );
    expect(seen.map((o) => o.event)).toEqual(['Wanted']);
  });

  it('computes the funnel from the store', async () => {
    const now = new Date(Date.now() - 60_000).toISOString();
    const page = (anonymousId: string) => ({
      type: 'page',
      messageId: crypto.randomUUID(),
      anonymousId,
      timestamp: now,
      context: { page: { path: '/shop' } },
    });
    const step = (anonymousId: string, event: string) =>
      trackEvent({ anonymousId, event, timestamp: now, properties: { product_id: 'p1', price: 5 } });
    const batch = [
      ...['f1', 'f2', 'f3'].map(page),
      step('f1', 'Product Viewed'),
      step('f2', 'Product Viewed'),
      step('f1', 'Product Added'),
      step('f2', 'Product Added'),
      step('f1', 'Checkout Started'),
      step('f1', 'Order Completed'),
    ];
    expect((await post(`${c.url}/v1/batch`, { batch })).status).toBe(200);
    const res = await fetch(`${c.url}/debugger/api/insights?hours=1&abandonHours=0.01`, {
      headers: bearer,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      funnel: { step: string; visitors: number; conversion: number }[];
      abandonedCarts: { anonymousId: string }[];
      topPages: { path: string; views: number }[];
    };
    // Earlier tests' events have other anonymous ids and no page view, so they never enter the funnel.
    expect(body.funnel.map((s) => [s.step, s.visitors, s.conversion])).toEqual([
      ['Page Viewed', 3, 100],
      ['Product Viewed', 2, 66.7],
      ['Product Added', 2, 100],
      ['Checkout Started', 1, 50],
      ['Order Completed', 1, 100],
    ]);
    expect(body.abandonedCarts.map((a) => a.anonymousId)).toEqual(['f2']);
    expect(body.topPages).toContainEqual({ path: '/shop', views: 3, visitors: 3 });
  });
});

describe('debugger in production', () => {
  it('is not mounted when NODE_ENV=production', async () => {
    const c = await startCollector({ env: { NODE_ENV: 'production' } });
    try {
      expect(c.logs.some((line) => line.includes('"msg":"debugger"'))).toBe(false);
      expect((await fetch(`${c.url}/debugger`)).status).toBe(404);
      expect((await fetch(`${c.url}/debugger?token=anything`)).status).toBe(404);
    } finally {
      await c.stop();
    }
  });

  it('is mounted in production when explicitly enabled', async () => {
    const c = await startCollector({
      env: { NODE_ENV: 'production', TRAIL_DEBUGGER: '1', TRAIL_ADMIN_TOKEN: TOKEN },
    });
    try {
      expect((await fetch(`${c.url}/debugger`)).status).toBe(401);
      expect((await fetch(`${c.url}/debugger`, { headers: bearer })).status).toBe(200);
    } finally {
      await c.stop();
    }
  });
});

describe('debugger with zero config', () => {
  it('logs its URL with a generated token once', async () => {
    const c = await startCollector({ zeroConfig: true });
    try {
      const lines = c.logs.filter((line) => line.includes('"msg":"debugger"'));
      expect(lines).toHaveLength(1);
      const url = (JSON.parse(lines[0] ?? '{}') as { url?: string }).url ?? '';
      const token = new URL(url).searchParams.get('token');
      expect(token).toMatch(/^[\w-]{20,}$/);
      const res = await fetch(`${c.url}/debugger?token=${token}`);
      expect(res.status).toBe(200);
    } finally {
      await c.stop();
    }
  });
});

describe('debugger at shutdown', () => {
  it('ends open streams so that SIGTERM does not wait for them', async () => {
    const c = await startCollector({ config: { debugger: { token: TOKEN }, shutdownTimeoutMs: 20_000 } });
    const abort = new AbortController();
    try {
      const res = await fetch(`${c.url}/debugger/stream`, { headers: bearer, signal: abort.signal });
      const reader = res.body!.getReader();
      await reader.read(); // connected
      const started = Date.now();
      expect(await c.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      abort.abort();
      await c.stop('SIGKILL');
    }
  });
});
