import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Client, type CoreConfig, createClient } from './client.ts';
import type { Platform, SendResult } from './platform.ts';
import type { CampaignContext, EventContext, TrailEvent } from './protocol.ts';

// ---------------------------------------------------------------------------------------------
// An in-memory platform whose storage records every write and whose transport the test scripts.
// ---------------------------------------------------------------------------------------------

/** An event as it arrived on the wire (parsed JSON). */
type Ev = Record<string, any>;
interface Envelope {
  batch: Ev[];
  sentAt: string;
}
/** A scripted answer: a result, `hold` (the test answers later) or `throw` (the send rejects). */
type Reply = SendResult | 'hold' | 'throw';
interface Sent {
  url: string;
  raw: string;
  body: Envelope;
  exiting: boolean;
  at: number;
  /** What the fake answered; undefined while held. */
  result?: SendResult;
  /** Answers a held request. */
  reply(r: SendResult): void;
}

const deepFreeze = <T>(o: T): T => {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
};

/** The platform's context of every event; frozen, so the client must copy rather than change it. */
const CONTEXT: EventContext = deepFreeze({
  library: { name: 'trail-test', version: '9.9.9' },
  page: { path: '/shop', referrer: '', search: '', title: 'Shop', url: 'https://shop.example/shop' },
  locale: 'zh-CN',
  timezone: 'Asia/Shanghai',
  userAgent: 'test-agent',
  screen: { width: 390, height: 844 },
});

interface FakeOptions {
  sync?: Record<string, string>;
  campaign?: () => CampaignContext | undefined;
  adopt?: (own: string) => Promise<TrailEvent[]>;
}

function fake(opts: FakeOptions = {}) {
  const store = new Map<string, unknown>();
  const storeOps: { op: 'set' | 'del'; key: string }[] = [];
  const sync = new Map<string, string>(Object.entries(opts.sync ?? {}));
  const syncWrites: [string, string | null][] = [];
  const requests: Sent[] = [];
  const replies: Reply[] = [];
  /** messageIds the fake collector stored (answered 2xx), which its receipts list. */
  const delivered = new Set<string>();
  const receipts: string[][] = [];
  let up = true;
  // The platform finds one dead queue holding what `opts.adopt` returns, as a closed tab leaves it.
  const adopt = vi.fn(async (own: string, take: (queue: string) => Promise<void>) => {
    const orphans = (await opts.adopt?.(own)) ?? [];
    if (!orphans.length) return;
    store.set('trail_q_dead', structuredClone(orphans));
    await take('trail_q_dead');
  });
  const platform: Platform = {
    store: {
      // Structured clones, as IndexedDB keeps them: later changes to the queue must not leak in.
      get: async <T>(key: string) => structuredClone(store.get(key)) as T | undefined,
      set: async (key, value) => {
        storeOps.push({ op: 'set', key });
        store.set(key, structuredClone(value));
      },
      del: async (key) => {
        storeOps.push({ op: 'del', key });
        store.delete(key);
      },
    },
    sync: {
      get: (key) => sync.get(key) ?? null,
      set: (key, value) => {
        syncWrites.push([key, value]);
        if (value === null) sync.delete(key);
        else sync.set(key, value);
      },
    },
    transport: {
      send: (url, raw, exiting) =>
        new Promise<SendResult>((resolve, reject) => {
          if (url.includes('/v1/receipts?')) {
            const ids = (JSON.parse(raw) as { messageIds: string[] }).messageIds;
            receipts.push(ids);
            resolve({
              status: 200,
              body: JSON.stringify({ received: ids.filter((id) => delivered.has(id)) }),
            });
            return;
          }
          const sent: Sent = {
            url,
            raw,
            body: JSON.parse(raw) as Envelope,
            exiting,
            at: Date.now(),
            reply: (r) => {
              sent.result = r;
              if (r.status >= 200 && r.status < 300)
                for (const e of sent.body.batch) delivered.add(e.messageId);
              resolve(r);
            },
          };
          requests.push(sent);
          const next = replies.shift() ?? { status: 200 };
          if (next === 'throw') {
            sent.result = { status: 0 };
            reject(new TypeError('Failed to fetch'));
          } else if (next !== 'hold') sent.reply(next);
        }),
    },
    context: () => CONTEXT,
    online: () => up,
    adopt,
  };
  if (opts.campaign) platform.campaign = opts.campaign;
  return {
    platform,
    store,
    storeOps,
    sync,
    syncWrites,
    requests,
    replies,
    receipts,
    delivered,
    adopt,
    setOnline: (v: boolean) => void (up = v),
    /** Every event of every request, in order (retries appear again). */
    events: () => requests.flatMap((r) => r.body.batch),
    /** Keys of queues in the AsyncStore. */
    queueKeys: () => [...store.keys()].filter((k) => k.startsWith('trail_q_')),
  };
}
type Fake = ReturnType<typeof fake>;

const BASE: CoreConfig = {
  writeKey: 'wk_test',
  endpoint: 'https://c.example/',
  batchSize: 5,
  flushInterval: 1000,
};
const make = (f: Fake, config: Partial<CoreConfig> = {}): Client =>
  createClient(f.platform, { ...BASE, ...config });

/** Runs pending promise callbacks (and timers due now). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
};

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const START = new Date('2024-05-01T10:00:00.000Z');
const MIN = 60_000;
const ALL = { analytics: true, marketing: true };

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe('event shapes (Segment spec)', () => {
  it('a track event carries type, messageId, anonymousId, ISO timestamp and the full context', async () => {
    const f = fake();
    const c = make(f);
    c.track('Signed Up', { plan: 'pro', seats: 3 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()).toEqual([
      {
        type: 'track',
        event: 'Signed Up',
        properties: { plan: 'pro', seats: 3 },
        messageId: expect.stringMatching(UUID_V4),
        anonymousId: c.anonymousId(),
        timestamp: '2024-05-01T10:00:00.000Z',
        context: {
          ...CONTEXT,
          session: { id: expect.stringMatching(UUID_V4), start: true },
          consent: { categoryPreferences: ALL },
        },
      },
    ]);
    expect(c.anonymousId()).toMatch(UUID_V4);
  });

  it('gives every event its own messageId and the time it happened', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100, flushInterval: 10_000 });
    for (let i = 0; i < 20; i++) {
      c.track('Tick', { i });
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    const sent = f.events();
    expect(sent).toHaveLength(20);
    expect(new Set(sent.map((e) => e.messageId)).size).toBe(20);
    for (const e of sent) expect(e.messageId).toMatch(UUID_V4);
    expect(sent[5]?.timestamp).toBe(new Date(START.getTime() + 500).toISOString());
  });

  it('builds page, screen, group, identify and alias events', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    c.page('Home', { section: 'top' });
    c.page();
    c.screen('Cart', { items: 2 });
    c.group('acme', { plan: 'enterprise' });
    c.identify('u1', { name: 'Ada' });
    c.alias('u2');
    await vi.advanceTimersByTimeAsync(1000);
    const [page, bare, screen, group, identify, alias] = f.events();
    expect(page).toMatchObject({ type: 'page', name: 'Home', properties: { section: 'top' } });
    expect(bare).toMatchObject({ type: 'page', properties: {} });
    expect(bare).not.toHaveProperty('name');
    expect(screen).toMatchObject({ type: 'screen', name: 'Cart', properties: { items: 2 } });
    expect(group).toMatchObject({ type: 'group', groupId: 'acme', traits: { plan: 'enterprise' } });
    expect(group).not.toHaveProperty('userId');
    expect(identify).toMatchObject({ type: 'identify', userId: 'u1', traits: { name: 'Ada' } });
    expect(alias).toMatchObject({ type: 'alias', userId: 'u2', previousId: 'u1' });
    for (const e of f.events()) {
      expect(e.anonymousId).toBe(c.anonymousId());
      expect(e).not.toHaveProperty('event');
    }
  });

  it('identify merges traits for the same user and starts afresh for another one', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    c.identify('u1', { name: 'Ada', plan: 'free' });
    c.identify(undefined, { plan: 'pro' });
    c.track('After');
    c.identify('u2', { name: 'Bob' });
    await vi.advanceTimersByTimeAsync(1000);
    const [first, second, after, other] = f.events();
    expect(first?.traits).toEqual({ name: 'Ada', plan: 'free' });
    expect(second).toMatchObject({ userId: 'u1', traits: { name: 'Ada', plan: 'pro' } });
    expect(after?.userId).toBe('u1');
    expect(other).toMatchObject({ userId: 'u2', traits: { name: 'Bob' } });
  });

  it('alias joins the anonymousId by default, the current userId once known, or the given id', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    const anon = c.anonymousId();
    c.alias('u1');
    c.alias('u2');
    c.alias('u3', 'legacy-42');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => [e.previousId, e.userId])).toEqual([
      [anon, 'u1'],
      ['u1', 'u2'],
      ['legacy-42', 'u3'],
    ]);
  });

  it('reset gives a new anonymousId and forgets the userId and traits', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    c.identify('u1', { name: 'Ada' });
    const before = c.anonymousId();
    c.reset();
    const after = c.anonymousId();
    expect(after).toMatch(UUID_V4);
    expect(after).not.toBe(before);
    c.track('Later');
    c.identify(undefined, { plan: 'pro' });
    await vi.advanceTimersByTimeAsync(1000);
    const [, later, traits] = f.events();
    expect(later).toMatchObject({ anonymousId: after, event: 'Later' });
    expect(later).not.toHaveProperty('userId');
    expect(traits?.traits).toEqual({ plan: 'pro' });
    expect(JSON.parse(f.sync.get('trail_id') ?? '{}')).toMatchObject({ a: after });
  });

  it('remembers the identity in the SyncStore across instances', async () => {
    const f = fake();
    const c = make(f);
    c.identify('u1', { name: 'Ada' });
    await settle(); // storage starts a microtask after the client, once privacy signals are applied
    const again = make(fake({ sync: Object.fromEntries(f.sync) }));
    expect(again.anonymousId()).toBe(c.anonymousId());
  });
});

describe('batching', () => {
  it('sends nothing before flushInterval, then one request with everything queued', async () => {
    const f = fake();
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(500);
    c.track('B');
    await vi.advanceTimersByTimeAsync(499);
    expect(f.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(1);
    expect(f.events().map((e) => e.event)).toEqual(['A', 'B']);
  });

  it('sends a full batch at once', async () => {
    const f = fake();
    const c = make(f);
    for (let i = 0; i < 5; i++) c.track('E', { i });
    await settle();
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]?.body.batch.map((e) => e.properties.i)).toEqual([0, 1, 2, 3, 4]);
  });

  it('defaults to batches of 20 and a 3 s interval', async () => {
    const f = fake();
    const c = createClient(f.platform, { writeKey: 'wk', endpoint: 'https://c.example' });
    for (let i = 0; i < 19; i++) c.track('E');
    await vi.advanceTimersByTimeAsync(2999);
    expect(f.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(1);
    for (let i = 0; i < 20; i++) c.track('E');
    await settle();
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]?.body.batch).toHaveLength(20);
  });

  it('posts {batch, sentAt} to <endpoint>/v1/batch?writeKey=…, trailing slashes trimmed', async () => {
    const f = fake();
    const c = make(f, { endpoint: 'https://c.example/collect//' });
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    const [r] = f.requests;
    // The key in the URL lets the collector refuse an unknown key before it reads the body.
    expect(r?.url).toBe('https://c.example/collect/v1/batch?writeKey=wk_test');
    expect(Object.keys(r?.body ?? {}).sort()).toEqual(['batch', 'sentAt']);
    expect(r?.body.sentAt).toBe('2024-05-01T10:00:01.000Z');
    expect(r?.body.batch[0]?.timestamp).toBe('2024-05-01T10:00:00.000Z');
    expect(r?.exiting).toBe(false);
  });

  it('keeps one request in flight at a time', async () => {
    const f = fake();
    f.replies.push('hold', 'hold');
    const c = make(f, { batchSize: 2 });
    c.track('A');
    c.track('B');
    await settle();
    expect(f.requests).toHaveLength(1);
    c.track('C');
    c.track('D');
    c.track('E');
    await vi.advanceTimersByTimeAsync(10_000);
    await c.flush();
    expect(f.requests).toHaveLength(1);
    f.requests[0]?.reply({ status: 200 });
    await settle();
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]?.body.batch.map((e) => e.event)).toEqual(['C', 'D']);
    f.requests[1]?.reply({ status: 200 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests.map((r) => r.body.batch.map((e) => e.event))).toEqual([['A', 'B'], ['C', 'D'], ['E']]);
  });

  it('flush(true) tops up to two requests when one is already in flight', async () => {
    const f = fake();
    f.setOnline(false);
    const c = make(f, { batchSize: 2 });
    for (let i = 0; i < 10; i++) c.track('E', { i });
    f.setOnline(true);
    f.replies.push('hold', 'hold', 'hold');
    void c.flush();
    await settle();
    expect(f.requests).toHaveLength(1);
    void c.flush(true);
    await settle();
    // client.ts: "Exiting, two requests at once: mini-programs allow few, and a page's keepalive
    // quota is small" — so at most two requests fly, counting the one already in flight.
    expect(f.requests.map((r) => r.exiting)).toEqual([false, true]);
    // The exit request does not resend the events already in flight.
    expect(f.events().map((e) => e.properties.i)).toEqual([0, 1, 2, 3]);
  });

  it('flush(true) sends at once even while backing off', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status: 503, retryAfter: 60 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    c.track('B');
    await vi.advanceTimersByTimeAsync(5000);
    expect(f.requests).toHaveLength(1);
    await c.flush(true);
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]?.exiting).toBe(true);
    expect(f.requests[1]?.body.batch.map((e) => e.event)).toEqual(['A', 'B']);
    expect(c.stats().queued).toBe(0);
  });

  it('flush(true) from idle sends two batches at once, exiting', async () => {
    const f = fake();
    f.setOnline(false);
    const c = make(f, { batchSize: 2 });
    for (let i = 0; i < 10; i++) c.track('E', { i });
    f.setOnline(true);
    f.replies.push('hold', 'hold', 'hold', 'hold');
    void c.flush(true);
    await settle();
    expect(f.requests).toHaveLength(2);
    expect(f.requests.every((r) => r.exiting)).toBe(true);
    expect(f.events().map((e) => e.properties.i)).toEqual([0, 1, 2, 3]);
  });

  it('exit batches stay under the beacon size, normal batches may be larger', async () => {
    // Each event under the collector's 32 KB per-event limit, two together over the beacon size.
    const pad = 'x'.repeat(31_000);
    const f = fake();
    f.setOnline(false);
    const c = make(f, { batchSize: 5 });
    for (let i = 0; i < 4; i++) c.track('Big', { i, pad });
    f.setOnline(true);
    await c.flush(true);
    await settle();
    expect(f.requests.filter((r) => r.exiting).map((r) => r.body.batch.length)).toEqual([1, 1]);
    for (const r of f.requests.filter((x) => x.exiting)) expect(r.raw.length).toBeLessThan(64_000);
    const g = fake();
    g.setOnline(false);
    const d = make(g, { batchSize: 5 });
    for (let i = 0; i < 4; i++) d.track('Big', { i, pad });
    g.setOnline(true);
    await d.flush();
    expect(g.requests[0]?.body.batch).toHaveLength(4);
  });

  it('waits while offline and sends when online() is called', async () => {
    const f = fake();
    f.setOnline(false);
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.requests).toHaveLength(0);
    f.setOnline(true);
    c.online();
    await settle();
    expect(f.events().map((e) => e.event)).toEqual(['A']);
  });
});

describe('request bounds', () => {
  it('bounds a batch in UTF-8 bytes, as the collector counts them: no request over its 500 KB', async () => {
    const f = fake();
    const c = make(f, { batchSize: 20 });
    for (let i = 0; i < 20; i++) c.track('Wide', { text: '中'.repeat(9_000) }); // 27 KB each in UTF-8
    await vi.advanceTimersByTimeAsync(5_000);
    expect(f.events()).toHaveLength(20);
    for (const r of f.requests) expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(500 * 1024);
  });

  it('reads identify(null, traits) as a traits-only call, as analytics.js does', async () => {
    const f = fake();
    const c = make(f);
    c.identify('u-9', { k: 4 });
    c.identify(null as unknown as string, { k: 5 });
    c.identify(Number.NaN as unknown as string);
    await vi.advanceTimersByTimeAsync(1_000);
    const identifies = f.events().filter((e) => e.type === 'identify');
    expect(identifies.map((e) => [e.userId, e.traits.k])).toEqual([
      ['u-9', 4],
      ['u-9', 5],
      ['u-9', 5],
    ]);
  });
});

describe('exactly once', () => {
  it('sends a batch that got no answer again only if the receipts do not list it', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    for (const arrived of [true, false]) {
      const f = fake();
      f.replies.push({ status: 0 });
      const c = make(f);
      c.track('A');
      c.track('B');
      await vi.advanceTimersByTimeAsync(1000);
      expect(f.requests).toHaveLength(1);
      // The request reached the collector, or not; either way no answer came back.
      if (arrived) for (const e of f.requests[0]!.body.batch) f.delivered.add(e.messageId);
      await vi.advanceTimersByTimeAsync(500);
      expect(f.receipts, 'asked about both before anything else').toEqual([
        f.requests[0]!.body.batch.map((e) => e.messageId),
      ]);
      expect(f.requests, arrived ? 'not sent again' : 'sent again').toHaveLength(arrived ? 1 : 2);
      expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
    }
  });

  it('writes its last word on exit: unsaved events, acknowledgements since the last write, requests in flight', async () => {
    const f = fake();
    const c = make(f, { batchSize: 2 });
    await settle();
    f.replies.push('hold');
    c.track('A');
    c.track('B'); // a full batch: sent at once, and held
    await settle();
    const own = f.adopt.mock.calls[0]?.[0] as string;
    c.track('C');
    void c.flush(true); // C goes in an exit request; nothing of C reached storage yet
    const word = JSON.parse(f.sync.get(`trail_h_${own}`) as string) as { t: Ev[]; d: string[]; f: string[] };
    const [a, b, cc] = [...f.requests.flatMap((r) => r.body.batch)].map((e) => e.messageId);
    expect(word.t.map((e) => e.messageId)).toEqual([cc]);
    expect(word.d).toEqual([]);
    expect(word.f.sort()).toEqual([a, b, cc].sort());
  });

  it('sends nothing on exit when the platform hands the queue over, and still writes its last word', async () => {
    const f = fake();
    f.platform.handover = () => true;
    const c = make(f);
    await settle();
    c.track('A');
    await c.flush(true);
    expect(f.requests).toEqual([]);
    expect(f.sync.get(`trail_h_${f.adopt.mock.calls[0]?.[0]}`)).toContain('"t":');
  });
});

describe('retry', () => {
  it.each([0, 408, 429, 500, 503])('keeps the events and retries after status %i', async (status) => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(1);
    expect(c.stats()).toEqual({ queued: 1, dropped: 0, rejected: 0 });
    await vi.advanceTimersByTimeAsync(500);
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]?.body.batch[0]?.messageId).toBe(f.requests[0]?.body.batch[0]?.messageId);
    expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
  });

  it('treats a transport that throws as a network error (status 0)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push('throw');
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.stats().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(f.requests).toHaveLength(2);
    expect(c.stats().queued).toBe(0);
  });

  it('backs off exponentially (1 s, 2 s, 4 s, … × jitter) and stops once acknowledged', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // jitter factor 0.5
    const f = fake();
    f.replies.push({ status: 0 }, { status: 408 }, { status: 429 }, { status: 500 }, { status: 503 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(1);
    for (const [i, delay] of [500, 1000, 2000, 4000, 8000].entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(f.requests).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(f.requests).toHaveLength(i + 2);
    }
    expect(new Set(f.events().map((e) => e.messageId)).size).toBe(1);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(f.requests).toHaveLength(6);
    expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
  });

  it('jitters each delay within [0.5, 1.5) × the base, growing per attempt', async () => {
    for (let run = 0; run < 10; run++) {
      const f = fake();
      f.replies.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
      const c = make(f);
      c.track('A');
      await vi.advanceTimersByTimeAsync(1000);
      for (let k = 0; k < 4; k++) {
        const failedAt = Date.now();
        expect(vi.getTimerCount()).toBe(1);
        await vi.advanceTimersToNextTimerAsync();
        const delay = Date.now() - failedAt;
        expect(f.requests).toHaveLength(k + 2);
        expect(delay).toBeGreaterThanOrEqual(0.5 * 1000 * 2 ** k - 1);
        expect(delay).toBeLessThan(1.5 * 1000 * 2 ** k);
      }
      await settle();
      expect(c.stats().queued).toBe(0);
    }
  });

  it('jitter at its top stays below 1.5 × base', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    const f = fake();
    f.replies.push({ status: 500 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1400);
    expect(f.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(f.requests).toHaveLength(2);
  });

  it('caps the backoff at 60 s (before jitter)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    for (let i = 0; i < 10; i++) f.replies.push({ status: 503 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    const delays: number[] = [];
    for (let k = 0; k < 10; k++) {
      const t = Date.now();
      await vi.advanceTimersToNextTimerAsync();
      delays.push(Date.now() - t);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('never retries sooner than Retry-After seconds', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9); // base 1.4 s
    const f = fake();
    f.replies.push({ status: 429, retryAfter: 10 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(9999);
    expect(f.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(2);
  });

  it('uses the backoff when it is longer than Retry-After', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status: 0 }, { status: 0 }, { status: 503, retryAfter: 1 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000 + 500 + 1000);
    expect(f.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1999);
    expect(f.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(4);
  });

  it('resets the backoff after a success', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status: 0 }, { status: 0 }, { status: 200 }, { status: 0 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000 + 500 + 1000);
    expect(f.requests).toHaveLength(3);
    c.track('B');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(499);
    expect(f.requests).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(5);
  });

  it('online() retries at once rather than at the end of the backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status: 0 }, { status: 0 }, { status: 0 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000 + 500 + 1000);
    expect(f.requests).toHaveLength(3); // now waiting 2 s
    c.online();
    await settle();
    expect(f.requests).toHaveLength(4);
    expect(c.stats().queued).toBe(0);
  });

  it('loses and duplicates no event across failures and successes', async () => {
    const f = fake();
    f.replies.push(
      { status: 0 },
      { status: 200 },
      { status: 500 },
      'throw',
      { status: 429, retryAfter: 3 },
      { status: 200 },
      { status: 503, retryAfter: 1 },
      { status: 408 },
    );
    const c = make(f, { batchSize: 3 });
    const tracked: string[] = [];
    c.use((e) => (tracked.push(e.messageId), e));
    for (let i = 0; i < 7; i++) c.track('E', { i });
    for (let step = 0; step < 20; step++) {
      await vi.advanceTimersByTimeAsync(1700);
      if (step % 3 === 0) c.track('Later', { step });
    }
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(f.requests.length).toBeGreaterThan(8);
    const acked = f.requests
      .filter((r) => r.result && r.result.status >= 200 && r.result.status < 300)
      .flatMap((r) => r.body.batch.map((e) => e.messageId as string));
    expect(acked.sort()).toEqual([...tracked].sort());
    expect(new Set(f.events().map((e) => e.messageId))).toEqual(new Set(tracked));
    expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
  });
});

describe('permanent rejections', () => {
  it.each([400, 401, 413])('drops and counts the events of a %i, without retrying', async (status) => {
    const f = fake();
    f.replies.push({ status });
    const c = make(f);
    c.track('A');
    c.track('B');
    c.track('C');
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 3 });
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(f.requests).toHaveLength(1);
    c.track('D');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]?.body.batch.map((e) => e.event)).toEqual(['D']);
    expect(c.stats()).toEqual({ queued: 0, dropped: 0, rejected: 3 });
  });
});

describe('queue bounds', () => {
  it('maxQueue drops the oldest events and counts them', async () => {
    const f = fake();
    f.setOnline(false);
    const c = make(f, { maxQueue: 3 });
    for (let i = 0; i < 5; i++) c.track('E', { i });
    expect(c.stats()).toEqual({ queued: 3, dropped: 2, rejected: 0 });
    f.setOnline(true);
    c.online();
    await settle();
    expect(f.events().map((e) => e.properties.i)).toEqual([2, 3, 4]);
    expect(c.stats()).toEqual({ queued: 0, dropped: 2, rejected: 0 });
  });

  it('maxBytes drops the oldest events and counts them', async () => {
    const pad = 'x'.repeat(2000);
    const f = fake();
    f.setOnline(false);
    const c = make(f, { maxBytes: 6000, batchSize: 100 });
    for (let i = 0; i < 5; i++) c.track('E', { i, pad });
    expect(c.stats()).toEqual({ queued: 2, dropped: 3, rejected: 0 });
    f.setOnline(true);
    c.online();
    await settle();
    expect(f.events().map((e) => e.properties.i)).toEqual([3, 4]);
  });

  it('keeps a single event even when it alone is over maxBytes', () => {
    const f = fake();
    f.setOnline(false);
    const c = make(f, { maxBytes: 100 });
    c.track('E', { pad: 'x'.repeat(500) });
    expect(c.stats()).toEqual({ queued: 1, dropped: 0, rejected: 0 });
  });
});

describe('persistence', () => {
  it('mirrors the queue to the AsyncStore under trail_q_* and empties it once acknowledged', async () => {
    const f = fake();
    f.replies.push('hold');
    const c = make(f);
    c.track('A');
    c.track('B');
    await settle();
    const keys = f.queueKeys();
    expect(keys).toHaveLength(1);
    const key = keys[0] as string;
    expect(key).toMatch(/^trail_q_/);
    const stored = f.store.get(key) as Ev[];
    expect(stored.map((e) => e.event)).toEqual(['A', 'B']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]?.body.batch.map((e) => e.messageId)).toEqual(stored.map((e) => e.messageId));
    // Still stored while the request is in flight.
    expect(f.store.get(key)).toHaveLength(2);
    f.requests[0]?.reply({ status: 200 });
    await settle();
    expect(f.store.has(key)).toBe(false);
    expect(f.storeOps.at(-1)).toEqual({ op: 'del', key });
    expect(JSON.parse(f.sync.get('trail_id') ?? '{}')).toMatchObject({ a: c.anonymousId() });
  });

  it('keeps the stored queue after a failed send', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const f = fake();
    f.replies.push({ status: 503 });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    const [key] = f.queueKeys();
    expect((f.store.get(key as string) as Ev[]).map((e) => e.event)).toEqual(['A']);
    await vi.advanceTimersByTimeAsync(500);
    expect(f.queueKeys()).toEqual([]);
    expect(c.stats().queued).toBe(0);
  });

  it('writes the queue once per burst of events', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    await settle();
    const before = f.storeOps.length;
    for (let i = 0; i < 10; i++) c.track('E', { i });
    await settle();
    expect(f.storeOps.slice(before).filter((o) => o.op === 'set')).toHaveLength(1);
  });

  it('takes the queue a dead instance left and sends it at once, stored under its own key until acked', async () => {
    const orphans = [
      { type: 'track', event: 'Orphan 1', messageId: 'orphan-1', anonymousId: 'old-tab', properties: {} },
      { type: 'track', event: 'Orphan 2', messageId: 'orphan-2', anonymousId: 'old-tab', properties: {} },
    ] as TrailEvent[];
    const f = fake({ adopt: async () => orphans });
    f.replies.push('hold');
    make(f);
    await settle();
    expect(f.adopt).toHaveBeenCalledTimes(1);
    const own = f.adopt.mock.calls[0]?.[0];
    expect(own).toMatch(/^trail_q_/);
    // Sent without waiting for the flush interval: they have waited already.
    expect(f.requests.map((r) => r.body.batch.map((e) => e.messageId))).toEqual([['orphan-1', 'orphan-2']]);
    expect(f.requests[0]?.body.batch[0]).toEqual(orphans[0]);
    // The dead queue is gone; its events live under the adopter's own key until acknowledged.
    expect(f.store.has('trail_q_dead')).toBe(false);
    expect((f.store.get(own as string) as Ev[]).map((e) => e.messageId)).toEqual(['orphan-1', 'orphan-2']);
    f.requests[0]?.reply({ status: 200 });
    await settle();
    expect(f.store.has(own as string)).toBe(false);
  });

  it('survives an adopt that rejects', async () => {
    const f = fake({ adopt: () => Promise.reject(new Error('locked')) });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => e.event)).toEqual(['A']);
  });
});

describe('consent, opt-in', () => {
  it('before a decision: no storage writes, no adoption, no requests, events held in memory', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.track('A');
    c.page('Home');
    c.identify('u1', { plan: 'pro' });
    c.alias('u2');
    c.group('acme');
    c.reset();
    for (let i = 0; i < 10; i++) c.track('More', { i });
    await vi.advanceTimersByTimeAsync(5 * MIN);
    await c.flush();
    await c.flush(true);
    c.online();
    await settle();
    expect(f.syncWrites).toEqual([]);
    expect(f.storeOps).toEqual([]);
    expect(f.store.size).toBe(0);
    expect(f.requests).toEqual([]);
    expect(f.adopt).not.toHaveBeenCalled();
    expect(c.consent()).toBeUndefined();
    expect(c.stats().queued).toBe(15);
  });

  it('grantConsent stores identity and queue and sends the held events plus Consent Updated', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in', batchSize: 100 });
    c.track('A');
    c.identify('u1', { plan: 'pro' });
    await vi.advanceTimersByTimeAsync(2000);
    f.replies.push('hold');
    c.grantConsent();
    await settle();
    expect(c.consent()).toEqual(ALL);
    expect(JSON.parse(f.sync.get('trail_consent') ?? 'null')).toEqual(ALL);
    expect(JSON.parse(f.sync.get('trail_id') ?? '{}')).toMatchObject({
      a: c.anonymousId(),
      u: 'u1',
      t: { plan: 'pro' },
    });
    expect(f.adopt).toHaveBeenCalledTimes(1);
    const [key] = f.queueKeys();
    expect((f.store.get(key as string) as Ev[]).map((e) => e.event ?? e.type)).toEqual([
      'A',
      'identify',
      'Consent Updated',
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    const sent = f.events();
    expect(sent.map((e) => e.event ?? e.type)).toEqual(['A', 'identify', 'Consent Updated']);
    for (const e of sent) expect(e.context.consent).toEqual({ categoryPreferences: ALL });
    expect(sent[2]).toMatchObject({ type: 'track', properties: ALL, anonymousId: c.anonymousId() });
    // Held events keep the time they happened.
    expect(sent[0]?.timestamp).toBe(START.toISOString());
  });

  it('granting twice tracks Consent Updated once', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.grantConsent();
    c.grantConsent();
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().filter((e) => e.event === 'Consent Updated')).toHaveLength(1);
  });

  it('denyConsent before a decision stores only the denial, purges the queue and queues nothing later', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.track('A');
    c.identify('u1');
    c.denyConsent();
    expect(c.stats().queued).toBe(0);
    expect(c.consent()).toEqual({ analytics: false, marketing: false });
    c.track('B');
    c.page('Home');
    expect(c.stats().queued).toBe(0);
    await vi.advanceTimersByTimeAsync(5 * MIN);
    await c.flush(true);
    await settle();
    expect(f.requests).toEqual([]);
    expect(f.storeOps).toEqual([]);
    expect(f.adopt).not.toHaveBeenCalled();
    // The denial is remembered like a grant, in a record that holds nothing else.
    expect(Object.fromEntries(f.sync)).toEqual({ trail_consent: '{"analytics":false,"marketing":false}' });
    expect(f.syncWrites.filter(([, v]) => v !== null)).toEqual([
      ['trail_consent', '{"analytics":false,"marketing":false}'],
    ]);
  });

  it.each([
    ['denyConsent', (c: Client) => c.denyConsent()],
    ['setConsent({analytics:false})', (c: Client) => c.setConsent({ analytics: false })],
  ])('withdrawing after a grant (%s) deletes the stored queue and identity', async (_, withdraw) => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.grantConsent();
    c.identify('u1');
    await vi.advanceTimersByTimeAsync(1000);
    f.replies.push('hold');
    c.track('Pending');
    await vi.advanceTimersByTimeAsync(1000);
    const [key] = f.queueKeys();
    expect(f.store.has(key as string)).toBe(true);
    expect(f.sync.has('trail_id')).toBe(true);
    const before = c.anonymousId();
    withdraw(c);
    await settle();
    expect(f.store.has(key as string)).toBe(false);
    expect(f.syncWrites).toContainEqual(['trail_id', null]);
    expect(f.sync.has('trail_id')).toBe(false);
    expect(c.anonymousId()).not.toBe(before);
    expect(c.anonymousId()).toMatch(UUID_V4);
    expect(c.stats().queued).toBe(0);
    // The request in flight finishing, and later events, write nothing back.
    const ops = f.storeOps.length;
    const writes = f.syncWrites.length;
    f.requests.at(-1)?.reply({ status: 200 });
    c.track('After');
    c.identify('u2');
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(f.storeOps.slice(ops).filter((o) => o.op === 'set')).toEqual([]);
    expect(f.syncWrites.slice(writes)).toEqual([]);
    expect(f.events().map((e) => e.event ?? e.type)).not.toContain('After');
    expect(f.sync.has('trail_id')).toBe(false);
  });

  it('setConsent({analytics:true, marketing:false}) strips context.campaign.clickIds', async () => {
    const f = fake({
      campaign: () => ({ source: 'ads', name: 'spring', clickIds: { gclid: 'G-1' } }),
    });
    const c = make(f, { consent: 'opt-in' });
    c.track('Held');
    c.setConsent({ analytics: true, marketing: false });
    c.track('After');
    await vi.advanceTimersByTimeAsync(1000);
    const sent = f.events();
    expect(sent.map((e) => e.event)).toEqual(['Held', 'Consent Updated', 'After']);
    for (const e of sent) {
      expect(e.context.campaign).toEqual({ source: 'ads', name: 'spring' });
      expect(e.context.consent).toEqual({ categoryPreferences: { analytics: true, marketing: false } });
    }
    expect(sent[1]?.properties).toEqual({ analytics: true, marketing: false });
    expect(JSON.parse(f.sync.get('trail_consent') ?? 'null')).toEqual({ analytics: true, marketing: false });
  });

  it('keeps clickIds with marketing consent', async () => {
    const f = fake({ campaign: () => ({ source: 'ads', clickIds: { gclid: 'G-1' } }) });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]?.context.campaign).toEqual({ source: 'ads', clickIds: { gclid: 'G-1' } });
    expect(f.events()[0]?.context.firstCampaign).toEqual({ source: 'ads', clickIds: { gclid: 'G-1' } });
  });

  // BUG: applyConsent (client.ts) deletes clickIds from context.campaign only. A held event's
  // context.firstCampaign is a separate copy (maskPiiDeep copied it), so its click ids are sent
  // although marketing was denied.
  it('strips clickIds from context.firstCampaign of held events too (marketing denied)', async () => {
    const f = fake({ campaign: () => ({ source: 'ads', clickIds: { gclid: 'G-1' } }) });
    const c = make(f, { consent: 'opt-in' });
    c.track('Held');
    c.setConsent({ analytics: true, marketing: false });
    await vi.advanceTimersByTimeAsync(1000);
    const held = f.events()[0];
    expect(held?.event).toBe('Held');
    expect(held?.context.campaign).toEqual({ source: 'ads' });
    expect(held?.context.firstCampaign).toEqual({ source: 'ads' });
  });

  // BUG: same root cause. The session's first touch was recorded while marketing was granted; after
  // marketing is withdrawn, new events still carry its click ids in context.firstCampaign.
  it('strips clickIds from context.firstCampaign after marketing is withdrawn', async () => {
    const f = fake({ campaign: () => ({ source: 'ads', clickIds: { gclid: 'G-1' } }) });
    const c = make(f);
    c.track('Granted');
    await vi.advanceTimersByTimeAsync(1000);
    c.setConsent({ marketing: false });
    c.track('Withdrawn');
    await vi.advanceTimersByTimeAsync(1000);
    const after = f.events().find((e) => e.event === 'Withdrawn');
    expect(after?.context.consent.categoryPreferences.marketing).toBe(false);
    expect(after?.context.campaign).toEqual({ source: 'ads' });
    expect(after?.context.firstCampaign).toEqual({ source: 'ads' });
  });

  it('restrict({marketing:false}) keeps marketing denied even after grantConsent', async () => {
    const f = fake({ campaign: () => ({ source: 'ads', clickIds: { fbclid: 'F-1' } }) });
    const c = make(f, { consent: 'opt-in' });
    c.restrict({ marketing: false });
    expect(c.consent()).toBeUndefined();
    c.grantConsent();
    expect(c.consent()).toEqual({ analytics: true, marketing: false });
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    const sent = f.events();
    expect(sent.map((e) => e.event)).toEqual(['Consent Updated', 'A']);
    expect(sent[0]?.properties).toEqual({ analytics: true, marketing: false });
    for (const e of sent) {
      expect(e.context.consent.categoryPreferences).toEqual({ analytics: true, marketing: false });
      expect(e.context.campaign).toEqual({ source: 'ads' });
    }
  });

  it('setConsent cannot lift a restriction', () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.restrict({ marketing: false });
    c.grantConsent();
    c.setConsent({ marketing: true });
    expect(c.consent()).toEqual({ analytics: true, marketing: false });
  });

  // BUG: setConsent compares the previous RAW prefs (`was`) with the new EFFECTIVE ones (`x`), so
  // while a cap is in place every call (a repeated restrict, a TCF callback, a consent banner
  // re-saving the same choice) tracks another 'Consent Updated' although nothing changed.
  it('tracks Consent Updated only for a decision that changes the effective consent, never for a cap', async () => {
    const f = fake();
    const c = make(f);
    c.restrict({ marketing: false }); // a browser signal (GPC) on every page load: not the user's decision
    c.restrict({ marketing: false }); // the same cap again
    c.setConsent({ analytics: true, marketing: true }); // still capped: no change
    await vi.advanceTimersByTimeAsync(1000);
    expect(c.consent()).toEqual({ analytics: true, marketing: false });
    expect(f.events().filter((e) => e.event === 'Consent Updated')).toHaveLength(0);
    c.setConsent({ analytics: false }); // the user's decision that changes what is in effect
    c.setConsent({ analytics: true });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().filter((e) => e.event === 'Consent Updated')).toHaveLength(1);
  });

  it('tracks Consent Updated again when consent is withdrawn and granted anew', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in' });
    c.grantConsent();
    c.denyConsent();
    c.grantConsent();
    await vi.advanceTimersByTimeAsync(1000);
    // The first grant's event was purged with the queue on withdrawal; the second grant reports anew.
    expect(f.events().filter((e) => e.event === 'Consent Updated')).toHaveLength(1);
    c.denyConsent();
    c.grantConsent();
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().filter((e) => e.event === 'Consent Updated')).toHaveLength(2);
  });

  it('restrict({analytics:false}) after a grant purges and stops everything', async () => {
    const f = fake();
    const c = make(f);
    c.track('A');
    await settle();
    c.restrict({ analytics: false });
    expect(c.stats().queued).toBe(0);
    c.grantConsent();
    c.track('B');
    await vi.advanceTimersByTimeAsync(5 * MIN);
    expect(f.requests).toEqual([]);
    expect(f.sync.has('trail_id')).toBe(false);
    expect(f.queueKeys()).toEqual([]);
  });

  it('starts granted in opt-in mode when trail_consent remembers a grant', async () => {
    const f = fake({ sync: { trail_consent: '{"analytics":true,"marketing":true}' } });
    const c = make(f, { consent: 'opt-in' });
    expect(c.consent()).toEqual(ALL);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => e.event)).toEqual(['A']);
    expect(f.events()[0]?.context.consent).toEqual({ categoryPreferences: ALL });
    expect(f.sync.has('trail_id')).toBe(true);
  });

  it('ignores a corrupt trail_consent record', () => {
    const f = fake({ sync: { trail_consent: '{not json' } });
    expect(make(f, { consent: 'opt-in' }).consent()).toBeUndefined();
  });

  it('opt-out (the default) starts granted and stores at once', async () => {
    const f = fake();
    const c = make(f);
    expect(c.consent()).toEqual(ALL);
    await settle();
    expect(f.sync.has('trail_id')).toBe(true);
    expect(f.adopt).toHaveBeenCalledTimes(1);
  });
});

describe('sessions and campaigns', () => {
  it('starts a new session after 30 minutes without events', async () => {
    const f = fake();
    const c = make(f);
    c.track('1');
    await vi.advanceTimersByTimeAsync(29 * MIN);
    c.track('2');
    await vi.advanceTimersByTimeAsync(30 * MIN);
    c.track('3');
    await vi.advanceTimersByTimeAsync(30 * MIN + 1);
    c.track('4');
    c.track('5');
    await vi.advanceTimersByTimeAsync(1000);
    const s = f.events().map((e) => e.context.session);
    expect(s.map((x) => x.start)).toEqual([true, false, false, true, false]);
    expect(s[1]?.id).toBe(s[0]?.id);
    expect(s[2]?.id).toBe(s[0]?.id);
    expect(s[3]?.id).not.toBe(s[0]?.id);
    expect(s[4]?.id).toBe(s[3]?.id);
    for (const x of s) expect(x.id).toMatch(UUID_V4);
  });

  it('continues a stored session', async () => {
    const sid = 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0';
    const f = fake({
      sync: { trail_id: JSON.stringify({ a: 'anon-1', s: sid, l: START.getTime() - 10 * MIN }) },
    });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]).toMatchObject({
      anonymousId: 'anon-1',
      context: { session: { id: sid, start: false } },
    });
  });

  // BUG: maskPiiDeep runs over the whole event and DEFAULT_PII_EXEMPT_KEYS does not cover
  // context.session.id. A v4 uuid whose digit groups read like a 3-4-4 mobile number
  // ("…138-1234-4567-…") is sent as "…138-****-4567-…", so this event leaves its session.
  it('sends the session id unmasked whatever digits it holds', async () => {
    const sid = 'abcde138-1234-4567-8abc-def012345678'; // a valid v4 uuid
    expect(sid).toMatch(UUID_V4);
    const f = fake({
      sync: { trail_id: JSON.stringify({ a: 'anon-1', s: sid, l: START.getTime() - MIN }) },
    });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]?.context.session.id).toBe(sid);
  });

  it('puts platform.campaign() in context.campaign (last touch) and context.firstCampaign', async () => {
    let landing: CampaignContext | undefined = { source: 'google', medium: 'cpc', name: 'spring' };
    const f = fake({ campaign: () => landing });
    const c = make(f, { batchSize: 100 });
    c.track('A');
    landing = { source: 'newsletter' };
    c.track('B');
    landing = undefined;
    c.track('C');
    await vi.advanceTimersByTimeAsync(31 * MIN);
    c.track('D');
    landing = { source: 'baidu' };
    c.track('E');
    await vi.advanceTimersByTimeAsync(1000);
    const ctx = f.events().map((e) => [e.event, e.context.campaign, e.context.firstCampaign]);
    const google = { source: 'google', medium: 'cpc', name: 'spring' };
    expect(ctx).toEqual([
      ['A', google, google],
      ['B', { source: 'newsletter' }, google],
      ['C', { source: 'newsletter' }, google],
      // A new session starts without the old session's touches.
      ['D', undefined, undefined],
      ['E', { source: 'baidu' }, { source: 'baidu' }],
    ]);
  });

  it('leaves context.campaign out without a campaign', async () => {
    const f = fake();
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]?.context).not.toHaveProperty('campaign');
    expect(f.events()[0]?.context).not.toHaveProperty('firstCampaign');
  });
});

describe('PII', () => {
  it('masks a mobile number in properties by default', async () => {
    const f = fake();
    const c = make(f);
    c.track('Contact', { phone: '13800138000', note: 'mail ada@example.com', order_id: '13800138000' });
    await vi.advanceTimersByTimeAsync(1000);
    const sent = f.events()[0];
    expect(sent?.properties).toEqual({
      phone: '138****8000',
      note: 'mail a***@example.com',
      order_id: '13800138000',
    });
    // Only the exempt order_id still holds the number.
    expect(f.requests[0]?.raw.split('13800138000')).toHaveLength(2);
  });

  it('masks traits too', async () => {
    const f = fake();
    const c = make(f);
    c.identify('u1', { mobile: '13800138000' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]?.traits).toEqual({ mobile: '138****8000' });
  });

  it('maskPii: false sends the value as given', async () => {
    const f = fake();
    const c = make(f, { maskPii: false });
    c.track('Contact', { phone: '13800138000' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]?.properties).toEqual({ phone: '13800138000' });
  });
});

describe('plugins', () => {
  it('can change an event or drop it with null', async () => {
    const f = fake();
    const c = make(f);
    const seen: string[] = [];
    c.use((e) => {
      seen.push(e.type);
      return e.type === 'track' && e.event === 'Secret' ? null : e;
    });
    c.use((e) => (e.type === 'track' ? { ...e, properties: { ...e.properties, enriched: true } } : e));
    c.track('Secret');
    c.track('Public', { a: 1 });
    c.page('Home');
    expect(c.stats().queued).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen).toEqual(['track', 'track', 'page']);
    const sent = f.events();
    expect(sent.map((e) => e.event ?? e.type)).toEqual(['Public', 'page']);
    expect(sent[0]?.properties).toEqual({ a: 1, enriched: true });
    expect(sent[1]?.properties).toEqual({});
  });

  it('a plugin sees the event after consent and masking', async () => {
    const f = fake();
    const c = make(f);
    let seen: TrailEvent | undefined;
    c.use((e) => (seen = e));
    c.track('A', { phone: '13800138000' });
    expect(seen?.context?.consent).toEqual({ categoryPreferences: ALL });
    expect(seen?.type === 'track' && seen.properties?.phone).toBe('138****8000');
  });
});

describe('e-commerce helpers', () => {
  it('send the Segment e-commerce v2 names with the given properties', async () => {
    const f = fake();
    const c = make(f, { batchSize: 100 });
    const product = {
      product_id: 'p-1',
      sku: 'SKU-1',
      name: 'Tea',
      price: 12.5,
      quantity: 2,
      currency: 'CNY',
    };
    const order = {
      order_id: 'o-1',
      checkout_id: 'c-1',
      total: 25,
      revenue: 25,
      currency: 'CNY',
      products: [product],
    };
    c.productViewed(product);
    c.productAdded(product);
    c.productRemoved(product);
    c.cartViewed({ cart_id: 'cart-1', products: [product] });
    c.checkoutStarted(order);
    c.orderCompleted(order);
    c.productShared({ share_via: 'wechat', product_id: 'p-1' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => [e.type, e.event, e.properties])).toEqual([
      ['track', 'Product Viewed', product],
      ['track', 'Product Added', product],
      ['track', 'Product Removed', product],
      ['track', 'Cart Viewed', { cart_id: 'cart-1', products: [product] }],
      ['track', 'Checkout Started', order],
      ['track', 'Order Completed', order],
      ['track', 'Product Shared', { share_via: 'wechat', product_id: 'p-1' }],
    ]);
  });
});

describe('Segment overloads (analytics.js argument rules)', () => {
  const sentOf = async (f: Fake, calls: (c: Client) => void, config: Partial<CoreConfig> = {}) => {
    const c = make(f, { batchSize: 100, ...config });
    calls(c);
    await vi.advanceTimersByTimeAsync(1000);
    return f.events();
  };
  const cb = () => {};

  it('track(event, properties?, options?, callback?)', async () => {
    const f = fake();
    const sent = await sentOf(f, (c) => {
      c.track('A');
      c.track('B', { x: 1 });
      c.track('C', cb);
      c.track('D', { x: 2 }, cb);
      c.track('E', { x: 3 }, { context: { app: 'shop' } }, cb);
      c.track('F', null, { integrations: { All: false } });
    });
    expect(sent.map((e) => [e.event, e.properties])).toEqual([
      ['A', {}],
      ['B', { x: 1 }],
      ['C', {}],
      ['D', { x: 2 }],
      ['E', { x: 3 }],
      ['F', {}],
    ]);
    expect(sent[4]?.context).toMatchObject({ ...CONTEXT, app: 'shop' });
    expect(sent[5]?.integrations).toEqual({ All: false });
  });

  it('page and screen: one string is the name, two are category and name, an object is properties', async () => {
    const f = fake();
    const sent = await sentOf(f, (c) => {
      c.page();
      c.page('Home');
      c.page('Docs', 'Install');
      c.page('Docs', 'Install', { step: 1 }, { context: { app: 'docs' } }, cb);
      c.page({ step: 2 });
      c.page('Pricing', { plan: 'pro' }, cb);
      c.page('Docs', 'API', null, { timestamp: '2024-04-30T08:00:00.000Z' });
      c.screen('Shop', 'Cart', { items: 2 });
      c.screen({ items: 3 });
    });
    expect(sent.map((e) => [e.type, e.category, e.name, e.properties])).toEqual([
      ['page', undefined, undefined, {}],
      ['page', undefined, 'Home', {}],
      ['page', 'Docs', 'Install', {}],
      ['page', 'Docs', 'Install', { step: 1 }],
      ['page', undefined, undefined, { step: 2 }],
      ['page', undefined, 'Pricing', { plan: 'pro' }],
      ['page', 'Docs', 'API', {}],
      ['screen', 'Shop', 'Cart', { items: 2 }],
      ['screen', undefined, undefined, { items: 3 }],
    ]);
    expect(sent[3]?.context.app).toBe('docs');
    expect(sent[6]?.timestamp).toBe('2024-04-30T08:00:00.000Z');
  });

  it('identify(userId?, traits?, options?, callback?) and identify(traits, …) keeping the userId', async () => {
    const f = fake();
    const sent = await sentOf(f, (c) => {
      c.identify({ plan: 'free' });
      c.identify('u1', { name: 'Ada' });
      c.identify({ plan: 'pro' }, { context: { app: 'crm' } }, cb);
      c.identify('u1', cb);
      c.track('After');
      c.identify(42, { name: 'Number' });
    });
    expect(sent.map((e) => [e.type, e.userId, e.traits])).toEqual([
      ['identify', undefined, { plan: 'free' }],
      // Another user than the anonymous one keeps the traits given so far: there was no userId.
      ['identify', 'u1', { plan: 'free', name: 'Ada' }],
      ['identify', 'u1', { plan: 'pro', name: 'Ada' }],
      ['identify', 'u1', { plan: 'pro', name: 'Ada' }],
      ['track', 'u1', undefined],
      ['identify', '42', { name: 'Number' }],
    ]);
    expect(sent[2]?.context.app).toBe('crm');
    expect(JSON.parse(f.sync.get('trail_id') ?? '{}')).toMatchObject({ u: '42', t: { name: 'Number' } });
  });

  it('group(groupId, traits?, options?, callback?) and alias(userId, previousId?, options?, callback?)', async () => {
    const f = fake();
    let anon = '';
    const sent = await sentOf(f, (c) => {
      anon = c.anonymousId();
      c.group('acme', { plan: 'enterprise' }, { context: { app: 'b2b' } }, cb);
      c.group(7, cb);
      c.alias('u1', { context: { app: 'signup' } }, cb);
      c.alias(2, 1);
      c.alias('u3', 'legacy', cb);
    });
    expect(sent.map((e) => [e.type, e.groupId, e.traits, e.userId, e.previousId])).toEqual([
      ['group', 'acme', { plan: 'enterprise' }, undefined, undefined],
      ['group', '7', {}, undefined, undefined],
      ['alias', undefined, undefined, 'u1', anon],
      ['alias', undefined, undefined, '2', '1'],
      ['alias', undefined, undefined, 'u3', 'legacy'],
    ]);
    expect(sent[0]?.context.app).toBe('b2b');
    expect(sent[2]?.context.app).toBe('signup');
  });

  it('options: context merged in, timestamp, anonymousId, integrations, traits as context.traits', async () => {
    const f = fake();
    const [e] = await sentOf(f, (c) =>
      c.track(
        'A',
        { x: 1 },
        {
          context: { ip: '203.0.113.9', page: { path: '/other' } },
          timestamp: new Date('2024-04-01T00:00:00Z'),
          anonymousId: 'server-anon',
          integrations: { Mixpanel: false },
          traits: { plan: 'pro' },
        },
      ),
    );
    expect(e).toMatchObject({
      anonymousId: 'server-anon',
      timestamp: '2024-04-01T00:00:00.000Z',
      integrations: { Mixpanel: false },
      context: { ip: '203.0.113.9', page: { path: '/other' }, traits: { plan: 'pro' }, locale: 'zh-CN' },
    });
    expect(e?.context.session.id).toMatch(UUID_V4);
    expect(e?.context.consent).toEqual({ categoryPreferences: ALL });
  });

  it('resolves and calls back with the event once the collector acknowledged it', async () => {
    const f = fake();
    const c = make(f, { timeout: 60_000 });
    f.replies.push('hold');
    const called: unknown[] = [];
    let resolved: unknown;
    void c.track('A', { x: 1 }, (e) => called.push(e)).then((e) => (resolved = e));
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(1);
    expect(resolved).toBeUndefined();
    f.requests[0]?.reply({ status: 200 });
    await settle();
    expect(resolved).toMatchObject({ event: 'A', messageId: f.events()[0]?.messageId });
    expect(called).toEqual([resolved]);
  });

  it('resolves after timeout (default 300 ms) when no answer came, and never rejects', async () => {
    const f = fake();
    const c = make(f);
    f.setOnline(false);
    let resolved: unknown;
    void c.page('Home', () => (resolved = 'callback')).then((e) => (resolved ??= e));
    await vi.advanceTimersByTimeAsync(299);
    expect(resolved).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(resolved).toBe('callback');
  });

  it('resolves at once with nothing when the event is dropped: consent, plugin, mistake', async () => {
    const f = fake();
    const c = make(f, { consent: 'opt-in', timeout: 60_000 });
    const out: unknown[] = [];
    c.denyConsent();
    void c.track('Denied', () => out.push('cb')).then((e) => out.push(e));
    await settle();
    expect(out).toEqual(['cb', undefined]);
    const g = fake();
    const d = make(g, { timeout: 60_000 });
    d.use((e) => (e.type === 'track' && e.event === 'Drop' ? null : e));
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const results = await Promise.all([d.track('Drop'), d.track(''), d.group(undefined as never)]);
    expect(results).toEqual([undefined, undefined, undefined]);
  });

  it('e-commerce helpers return the promise too', async () => {
    const f = fake();
    const c = make(f);
    const p = c.orderCompleted({ order_id: 'o-1', total: 1 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await p).toMatchObject({ event: 'Order Completed', properties: { order_id: 'o-1', total: 1 } });
  });
});

describe('misuse never throws and sends nothing the collector refuses', () => {
  const setup = (config: Partial<CoreConfig> = {}) => {
    const f = fake();
    const c = make(f, { batchSize: 100, debug: true, ...config });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    return { f, c, warn, warned: () => warn.mock.calls.map((call) => String(call[0])) };
  };

  it.each([
    [
      'track()',
      (c: Client) => (c.track as (...a: unknown[]) => unknown)(),
      /track refused: event must be a string/,
    ],
    ['track(42)', (c: Client) => c.track(42 as never), /track refused: event must be a string/],
    ['track("")', (c: Client) => c.track(''), /track refused: event must be a string of 1 to 512/],
    ['a 513-character name', (c: Client) => c.track('e'.repeat(513)), /event must be a string of 1 to 512/],
    ['page with a long name', (c: Client) => c.page('p'.repeat(513)), /page refused: name must be/],
    ['identify("")', (c: Client) => c.identify(''), /identify refused: userId must be a string of 1 to 256/],
    ['a 257-character userId', (c: Client) => c.identify('u'.repeat(257)), /userId must be/],
    ['group()', (c: Client) => (c.group as (...a: unknown[]) => unknown)(), /group refused: groupId must be/],
    ['group({ traits })', (c: Client) => c.group({ plan: 'x' } as never), /group refused: groupId/],
    ['alias()', (c: Client) => (c.alias as (...a: unknown[]) => unknown)(), /alias refused: userId must be/],
    [
      'a number as anonymousId',
      (c: Client) => c.track('A', {}, { anonymousId: 5 as never }),
      /anonymousId must be/,
    ],
    [
      'integrations that are no object',
      (c: Client) => c.track('A', {}, { integrations: 'all' as never }),
      /integrations/,
    ],
    [
      'an invalid timestamp',
      (c: Client) => c.track('A', {}, { timestamp: 'yesterday' }),
      /track refused: Invalid time/,
    ],
    [
      'a toJSON that throws',
      (c: Client) =>
        c.track('A', {
          d: {
            toJSON: () => {
              throw new Error('no JSON');
            },
          },
        }),
      /track refused: no JSON/,
    ],
    [
      'nesting deeper than 64 levels',
      (c: Client) => {
        let deep: Record<string, unknown> = {};
        for (let i = 0; i < 70; i++) deep = { deep };
        return c.track('A', deep);
      },
      /nested deeper than 64 levels/,
    ],
    [
      'a plugin that throws',
      (c: Client) => {
        c.use(() => {
          throw new TypeError('plugin broke');
        });
        return c.track('A');
      },
      /track refused: plugin broke/,
    ],
  ])('%s: warns, queues nothing, throws nothing', async (_, misuse, warning) => {
    const { f, c, warned } = setup();
    c.track('Before');
    let result: unknown;
    expect(() => (result = misuse(c))).not.toThrow();
    await expect(result).resolves.toBeUndefined();
    expect(
      warned().some((w) => warning.test(w)),
      warned().join('\n'),
    ).toBe(true);
    expect(c.stats().queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => e.event)).toEqual(['Before']);
  });

  it('a refused identify leaves the userId and traits as they were', async () => {
    const { f, c } = setup();
    c.identify('u1', { plan: 'pro' });
    c.identify('u'.repeat(300), { plan: 'hacked' });
    c.identify({
      self: {
        toJSON: () => {
          throw new Error('x');
        },
      },
    });
    c.alias('');
    c.track('After');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => [e.type, e.userId])).toEqual([
      ['identify', 'u1'],
      ['track', 'u1'],
    ]);
    expect(JSON.parse(f.sync.get('trail_id') ?? '{}')).toMatchObject({ u: 'u1', t: { plan: 'pro' } });
  });

  it('warns once per kind of mistake without debug', () => {
    const { c, warned } = setup({ debug: false, maxEventBytes: 1234 });
    for (let i = 0; i < 3; i++) c.track('Big', { pad: 'x'.repeat(2000) });
    expect(warned().filter((w) => w.includes('over 1234 bytes'))).toHaveLength(1);
  });

  it('debug logs every refusal and every event', () => {
    const { c, warned } = setup({ maxEventBytes: 1235 });
    const log = vi.mocked(console.log);
    for (let i = 0; i < 3; i++) c.track('Big', { pad: 'x'.repeat(2000) });
    c.track('Fine');
    expect(warned().filter((w) => w.includes('over 1235 bytes'))).toHaveLength(3);
    expect(log.mock.calls.map((call) => (call[1] as Ev).event)).toEqual(['Fine']);
  });

  it('cuts circular references to "[Circular]", writes BigInts as text, drops functions', async () => {
    const { f, c } = setup();
    const props: Record<string, unknown> = { n: 10n, fn: () => 1, shared: { a: 1 } };
    props.self = props;
    props.list = [props.shared, props.shared];
    (props.shared as Record<string, unknown>).up = props;
    expect(() => c.track('Loop', props)).not.toThrow();
    expect(() => c.identify('u1', { me: props })).not.toThrow();
    // Changing the object afterwards changes nothing queued.
    props.n = 'changed';
    await vi.advanceTimersByTimeAsync(1000);
    const [loop, identify] = f.events();
    expect(loop?.properties).toEqual({
      n: '10',
      shared: { a: 1, up: '[Circular]' },
      self: '[Circular]',
      list: [
        { a: 1, up: '[Circular]' },
        { a: 1, up: '[Circular]' },
      ],
    });
    expect(identify?.traits.me.self).toBe('[Circular]');
    // What identity keeps is the copy sent, so the next write of it cannot throw either.
    c.track('Later');
    await vi.advanceTimersByTimeAsync(6000);
    expect(f.events().at(-1)?.event).toBe('Later');
  });

  it('refuses an event over the per-event limit at track() without displacing queued ones', async () => {
    const { f, c, warned } = setup({ maxBytes: 200_000 });
    for (let i = 0; i < 6; i++) c.track('Good', { i });
    const result = await c.track('Huge', { blob: 'x'.repeat(2_000_000) });
    expect(result).toBeUndefined();
    // Multi-byte characters count as the collector counts them: 11,000 × 3 bytes is over 32 KB.
    await c.track('Wide', { text: '中'.repeat(11_000) });
    expect(warned().filter((w) => /track refused: event is over 32768 bytes/.test(w))).toHaveLength(2);
    expect(c.stats()).toMatchObject({ queued: 6, dropped: 0 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().map((e) => e.properties.i)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes an event of exactly the limit and refuses one byte more', async () => {
    const { f, c } = setup();
    c.track('First');
    const measured = c.track('Edge', { pad: '' });
    await vi.advanceTimersByTimeAsync(1000);
    const room = 32_768 - new TextEncoder().encode(JSON.stringify(await measured)).length;
    const exact = c.track('Edge', { pad: 'x'.repeat(room) });
    const over = c.track('Edge', { pad: 'x'.repeat(room + 1) });
    await vi.advanceTimersByTimeAsync(1000);
    expect(await over).toBeUndefined();
    expect(await exact).toMatchObject({ event: 'Edge' });
    expect(f.events().map((e) => e.properties.pad?.length)).toEqual([undefined, 0, room]);
  });

  it('drops a userId an older version stored as an object (identify({ traits }))', async () => {
    const f = fake({ sync: { trail_id: JSON.stringify({ a: 'anon-1', u: { plan: 'pro' } }) } });
    const c = make(f);
    c.track('A');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events()[0]).toMatchObject({ anonymousId: 'anon-1', event: 'A' });
    expect(f.events()[0]).not.toHaveProperty('userId');
  });

  it.each([
    [{ endpoint: 'https://c.example' }, /trail: config.writeKey is missing or invalid/],
    [
      { writeKey: 'has space', endpoint: 'https://c.example' },
      /trail: config.writeKey is missing or invalid/,
    ],
    [{ writeKey: 'wk' }, /trail: config.endpoint is missing or invalid/],
    [{ writeKey: 'wk', endpoint: 'c.example' }, /trail: config.endpoint is missing/],
  ])('createClient(%j) throws one Error naming the option', (config, message) => {
    expect(() => createClient(fake().platform, config as CoreConfig)).toThrow(message);
  });

  it('createClient(undefined) throws the same clear Error', () => {
    expect(() => createClient(fake().platform, undefined as never)).toThrow(
      /trail: config.writeKey is missing or invalid/,
    );
  });
});

describe('consent is remembered and kept per event', () => {
  it.each(['opt-in', 'opt-out'] as const)(
    'a denial survives a reload (%s): no id, no request',
    async (mode) => {
      const f = fake();
      const c = make(f, { consent: mode });
      c.track('Before');
      c.denyConsent();
      const again = make(fake({ sync: Object.fromEntries(f.sync) }), { consent: mode });
      expect(again.consent()).toEqual({ analytics: false, marketing: false });
      const g = fake({ sync: Object.fromEntries(f.sync) });
      const d = make(g, { consent: mode });
      d.track('After');
      d.identify('u1');
      await vi.advanceTimersByTimeAsync(5 * MIN);
      await d.flush(true);
      expect(g.requests).toEqual([]);
      expect(g.storeOps).toEqual([]);
      expect(Object.fromEntries(g.sync)).toEqual({ trail_consent: '{"analytics":false,"marketing":false}' });
      d.grantConsent();
      d.track('Granted');
      await vi.advanceTimersByTimeAsync(1000);
      expect(g.events().map((e) => e.event)).toEqual(['Consent Updated', 'Granted']);
    },
  );

  it('a later decision does not rewrite the consent of queued events', async () => {
    const f = fake({ campaign: () => ({ source: 'ads', clickIds: { gclid: 'G-1' } }) });
    const c = make(f, { flushInterval: 10_000 });
    c.setConsent({ marketing: false });
    c.track('Marketing Off');
    c.grantConsent();
    c.track('Marketing On');
    await vi.advanceTimersByTimeAsync(10_000);
    const byName = Object.fromEntries(f.events().map((e) => [e.event, e.context]));
    expect(byName['Marketing Off']?.consent.categoryPreferences).toEqual({
      analytics: true,
      marketing: false,
    });
    expect(byName['Marketing Off']?.campaign).toEqual({ source: 'ads' });
    expect(byName['Marketing On']?.consent.categoryPreferences).toEqual(ALL);
    expect(byName['Marketing On']?.campaign).toEqual({ source: 'ads', clickIds: { gclid: 'G-1' } });
  });

  it('stores the campaign touches only with marketing consent', async () => {
    const touch = { source: 'ads', clickIds: { gclid: 'G-1' } };
    const f = fake({ campaign: () => touch });
    const c = make(f, { consent: 'opt-in' });
    c.setConsent({ analytics: true, marketing: false });
    c.track('A');
    const stored = () => JSON.parse(f.sync.get('trail_id') ?? '{}') as Record<string, unknown>;
    expect(stored().a).toBe(c.anonymousId());
    expect(f.sync.get('trail_id')).not.toMatch(/ads|G-1/);
    c.setConsent({ marketing: true });
    expect(stored()).toMatchObject({ f: touch, c: touch });
    c.setConsent({ marketing: false });
    expect(f.sync.get('trail_id')).not.toMatch(/ads|G-1/);
    // In memory the session keeps its touches, click ids stripped from what is sent.
    c.track('B');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.events().at(-1)?.context.campaign).toEqual({ source: 'ads' });
  });
});
