import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Client, createClient } from './client.ts';
import { orphanQueues } from './handover.ts';
import type { Platform, SendResult } from './platform.ts';
import type { EventContext, TrailEvent } from './protocol.ts';

// Model-based property test of the client's queue: tracking, batching, retry with backoff and
// Retry-After, persistence to the AsyncStore and adoption of the stored queue after a restart (a page
// reload or an app relaunch), driven by random sequences of operations against a scripted collector.
//
// The world outlives each client instance: the AsyncStore, the SyncStore and the collector. A
// "restart" kills the live instance (its timers no longer send, its storage writes are lost, the
// requests it had in flight never get an answer) and creates a new one on the same storage, whose
// `adopt` takes over the queues left in storage, as sdk-web and sdk-miniprogram do. Restarts happen
// between tasks, once pending promise callbacks have run (a reload cannot cut a task in half), and
// storage writes are instantaneous.
//
// Words used below:
//   delivered: the collector stored the event: its request was answered 2xx, or it was in flight
//              when its instance was killed and the collector had received it (the answer was lost);
//   acked:     a live instance received the 2xx for a request holding the event.

// Captured before fake timers are installed: one real macrotask turn runs every pending microtask.
const realSetImmediate = globalThis.setImmediate.bind(globalThis);

const CONTEXT: EventContext = Object.freeze({ library: { name: 'trail-prop', version: '0.0.0' } });
const START = new Date('2024-05-01T10:00:00.000Z');
const CONFIG = { writeKey: 'wk_prop', endpoint: 'https://c.example', batchSize: 5, flushInterval: 1000 };

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/** How the collector (or the network) answers. */
type Answer =
  | { kind: 'ok' }
  | { kind: 'status'; status: 0 | 408 | 500 | 502 | 503 }
  | { kind: 'throw' }
  | { kind: '429'; retryAfter: number };
/** The collector's behaviour for new requests: answer at once, or hold them for an `answer` op. */
type Policy = Answer | { kind: 'hold' };

type Op =
  | { k: 'track'; n: number }
  | { k: 'flush'; exiting: boolean }
  | { k: 'policy'; policy: Policy }
  | { k: 'answer'; which: number; answer: Answer }
  | { k: 'advance'; ms: number }
  | { k: 'network'; up: boolean }
  | { k: 'restart'; serverGotInFlight: boolean; leaves: boolean; bootTracks: number };

const answerArb: fc.Arbitrary<Answer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'ok' as const }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0, 408, 500, 502, 503).map((status) => ({ kind: 'status' as const, status })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'throw' as const }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 120 }).map((retryAfter) => ({ kind: '429' as const, retryAfter })),
  },
);
const policyArb: fc.Arbitrary<Policy> = fc.oneof(
  { weight: 2, arbitrary: answerArb },
  { weight: 1, arbitrary: fc.constant({ kind: 'hold' as const }) },
);

interface GenOptions {
  /** Include flush(true), which sends two batches at once. */
  exiting: boolean;
  /** Events tracked by a new instance right after it starts, before its adoption has completed. */
  bootTracks: boolean;
}
const opArb = (o: GenOptions): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 7 }).map((n) => ({ k: 'track' as const, n })) },
    {
      weight: 2,
      arbitrary: (o.exiting ? fc.boolean() : fc.constant(false)).map((exiting) => ({
        k: 'flush' as const,
        exiting,
      })),
    },
    { weight: 3, arbitrary: policyArb.map((policy) => ({ k: 'policy' as const, policy })) },
    {
      weight: 2,
      arbitrary: fc
        .record({ which: fc.nat(3), answer: answerArb })
        .map((a) => ({ k: 'answer' as const, ...a })),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 130_000 }))
        .map((ms) => ({ k: 'advance' as const, ms })),
    },
    { weight: 1, arbitrary: fc.boolean().map((up) => ({ k: 'network' as const, up })) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          serverGotInFlight: fc.boolean(),
          leaves: o.exiting ? fc.boolean() : fc.constant(false),
          bootTracks: o.bootTracks ? fc.integer({ min: 1, max: 3 }) : fc.constant(0),
        })
        .map((r) => ({ k: 'restart' as const, ...r })),
    },
  );
interface Scenario {
  policy: Policy;
  ops: Op[];
  jitter: number;
}
const scenarioArb = (o: GenOptions): fc.Arbitrary<Scenario> =>
  fc.record({
    /** How the collector answers until a policy op changes it. */
    policy: policyArb,
    ops: fc.array(opArb(o), { minLength: 1, maxLength: 40, size: 'max' }),
    /** Math.random during the run: the backoff jitter factor is 0.5 + this. */
    jitter: fc.double({ min: 0, max: 0.999_999, noNaN: true }),
  });

// ---------------------------------------------------------------------------------------------
// The world: storage, collector and the live instance
// ---------------------------------------------------------------------------------------------

interface Request {
  id: number;
  instance: number;
  seqs: number[];
  exiting: boolean;
  state: 'held' | 'acked' | 'failed' | 'orphaned';
  resolve(r: SendResult): void;
  reject(e: unknown): void;
}

interface Instance {
  n: number;
  alive: boolean;
  client: Client;
}

const seqOf = (e: TrailEvent): number => (e as { properties?: { seq?: number } }).properties?.seq as number;

function world() {
  const store = new Map<string, unknown>();
  const sync = new Map<string, string>();
  let policy: Policy = { kind: 'ok' };
  let up = true;
  let tracked = 0;
  const acked = new Set<number>();
  /** Deliveries per event: by acknowledged requests and by requests orphaned by a restart. */
  const deliveries = new Map<number, { acked: number; orphaned: number }>();
  const seqById = new Map<string, number>();
  /** Events in the order the collector first stored them. */
  const firstDeliveries: number[] = [];
  const requests: Request[] = [];
  const held: Request[] = [];
  const violations: string[] = [];
  let usedExiting = false;
  let live: Instance;
  let instances = 0;

  const deliver = (r: Request, how: 'acked' | 'orphaned') => {
    for (const s of r.seqs) {
      const d = deliveries.get(s) ?? { acked: 0, orphaned: 0 };
      if (!deliveries.has(s)) firstDeliveries.push(s);
      d[how]++;
      deliveries.set(s, d);
    }
  };

  const respond = (r: Request, a: Answer) => {
    if (a.kind === 'ok') {
      r.state = 'acked';
      deliver(r, 'acked');
      for (const s of r.seqs) acked.add(s);
      r.resolve({ status: 200 });
      return;
    }
    r.state = 'failed';
    if (a.kind === 'throw') r.reject(new TypeError('Failed to fetch'));
    else if (a.kind === '429') r.resolve({ status: 429, retryAfter: a.retryAfter });
    else r.resolve({ status: a.status });
  };

  const platform = (inst: { n: number; alive: boolean }): Platform => ({
    store: {
      get: async <T>(key: string) => structuredClone(store.get(key)) as T | undefined,
      // A dead instance's writes never reach storage.
      set: async (key, value) => void (inst.alive && store.set(key, structuredClone(value))),
      del: async (key) => void (inst.alive && store.delete(key)),
    },
    sync: {
      get: (key) => sync.get(key) ?? null,
      set: (key, value) => {
        if (!inst.alive) return;
        if (value === null) sync.delete(key);
        else sync.set(key, value);
      },
    },
    transport: {
      send: (url, raw, exiting) =>
        new Promise<SendResult>((resolve, reject) => {
          // A dead instance's request never leaves; it is never answered either.
          if (!inst.alive) return;
          if (url.includes('/v1/receipts?')) {
            // Answered at once, or failed as the collector's answers fail now: stored events listed.
            const ids = (JSON.parse(raw) as { messageIds: string[] }).messageIds;
            if (policy.kind === 'throw') reject(new TypeError('Failed to fetch'));
            else if (policy.kind === '429') resolve({ status: 429, retryAfter: policy.retryAfter });
            else if (policy.kind === 'status') resolve({ status: policy.status });
            else {
              // A listed event is acknowledged, as a 2xx would have: the client now knows it is stored.
              const listed = ids.filter((id) => deliveries.has(seqById.get(id) ?? -1));
              for (const id of listed) {
                const seq = seqById.get(id) as number;
                if (acked.has(seq)) continue;
                acked.add(seq);
                (deliveries.get(seq) as { acked: number }).acked++;
              }
              resolve({ status: 200, body: JSON.stringify({ received: listed }) });
            }
            return;
          }
          const batch = (JSON.parse(raw) as { batch: TrailEvent[] }).batch;
          const seqs = batch.map(seqOf);
          for (const e of batch) seqById.set(e.messageId, seqOf(e));
          const r: Request = {
            id: requests.length,
            instance: inst.n,
            seqs,
            exiting,
            state: 'held',
            resolve,
            reject,
          };
          requests.push(r);
          if (exiting) usedExiting = true;
          // Recorded, not thrown: the client would take a throwing transport for a network error.
          for (const s of seqs)
            if (acked.has(s)) violations.push(`request ${r.id} resends event ${s}, acked earlier`);
          for (let i = 1; i < seqs.length; i++)
            if ((seqs[i] as number) <= (seqs[i - 1] as number))
              violations.push(`request ${r.id} lists events out of track order: [${seqs.join(', ')}]`);
          if (policy.kind === 'hold') held.push(r);
          else {
            // Answered a moment later, as a network does: an instance that died meanwhile never sees
            // it (a page's request on its way out), so its events were delivered but not acked.
            const answer = policy;
            void Promise.resolve().then(() => {
              if (inst.alive) return respond(r, answer);
              r.state = 'orphaned';
              if (answer.kind === 'ok') deliver(r, 'orphaned');
            });
          }
        }),
    },
    context: () => CONTEXT,
    online: () => inst.alive && up,
    // Like sdk-miniprogram (and sdk-web without Web Locks): every other stored queue is a dead one's.
    async adopt(own, take) {
      for (const key of orphanQueues([...store.keys(), ...sync.keys()], own)) await take(key);
    },
  });

  const boot = (): Instance => {
    const inst = { n: instances++, alive: true } as Instance;
    inst.client = createClient(platform(inst), CONFIG);
    live = inst;
    return inst;
  };
  boot();

  const track = (n: number) => {
    for (let i = 0; i < n; i++) live.client.track('E', { seq: tracked++ });
  };

  /** Kills the live instance and starts a new one on the same storage. */
  /** `leaves`: the instance goes as a page does (pagehide: an exiting flush and its last word), not as a crash. */
  const restart = (serverGotInFlight: boolean, bootTracks: number, leaves: boolean) => {
    if (leaves) void live.client.flush(true);
    live.alive = false;
    for (const r of held.splice(0)) {
      r.state = 'orphaned';
      if (serverGotInFlight) deliver(r, 'orphaned');
    }
    boot();
    track(bootTracks);
  };

  /** Every event in storage, by queue key. */
  const stored = () =>
    [...store.entries()]
      .filter(([k]) => k.startsWith('trail_q_'))
      .map(([k, v]) => [k, (v as TrailEvent[]).map(seqOf)] as const);

  return {
    get live() {
      return live;
    },
    get tracked() {
      return tracked;
    },
    get usedExiting() {
      return usedExiting;
    },
    setPolicy: (p: Policy) => void (policy = p),
    setUp: (v: boolean) => void (up = v),
    held,
    acked,
    deliveries,
    firstDeliveries,
    requests,
    violations,
    track,
    restart,
    respond,
    stored,
  };
}
type World = ReturnType<typeof world>;

/** Lets every pending promise callback run, and timers due now. */
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => realSetImmediate(r));
    await vi.advanceTimersByTimeAsync(0);
  }
};

/**
 * Between operations, once settled: storage holds exactly the tracked events not yet acked, each
 * once, every stored queue in track order; the live instance's queue counts them too.
 */
const checkStorage = (w: World, after: string) => {
  const stored = w.stored();
  const all = stored.flatMap(([, seqs]) => seqs);
  const expected = [...Array(w.tracked).keys()].filter((s) => !w.acked.has(s));
  const sorted = [...all].sort((a, b) => a - b);
  if (JSON.stringify(sorted) !== JSON.stringify(expected))
    w.violations.push(
      `after ${after}: storage holds [${sorted.join(', ')}], expected the unacked events [${expected.join(', ')}]`,
    );
  for (const [key, seqs] of stored)
    if (seqs.some((s, i) => i > 0 && s <= (seqs[i - 1] as number)))
      w.violations.push(
        `after ${after}: stored queue ${key.slice(0, 12)}… out of track order: [${seqs.join(', ')}]`,
      );
  const { queued, dropped, rejected } = w.live.client.stats();
  if (queued !== expected.length || dropped || rejected)
    w.violations.push(
      `after ${after}: stats ${JSON.stringify({ queued, dropped, rejected })}, ${expected.length} unacked`,
    );
};

async function run({ policy, ops, jitter }: Scenario): Promise<World> {
  vi.useFakeTimers();
  vi.setSystemTime(START);
  const random = vi.spyOn(Math, 'random').mockReturnValue(jitter);
  try {
    const w = world();
    w.setPolicy(policy);
    await settle();
    for (const [i, op] of ops.entries()) {
      switch (op.k) {
        case 'track':
          w.track(op.n);
          break;
        case 'flush':
          void w.live.client.flush(op.exiting);
          break;
        case 'policy':
          w.setPolicy(op.policy);
          break;
        case 'answer': {
          const r = w.held.splice(op.which % Math.max(w.held.length, 1), 1)[0];
          if (r) w.respond(r, op.answer);
          break;
        }
        case 'advance':
          await vi.advanceTimersByTimeAsync(op.ms);
          break;
        case 'network':
          w.setUp(op.up);
          // Platforms call online() when the network comes back.
          if (op.up) w.live.client.online();
          break;
        case 'restart':
          w.restart(op.serverGotInFlight, op.bootTracks, op.leaves);
          break;
      }
      await settle();
      checkStorage(w, `op ${i} ${JSON.stringify(op)}`);
    }

    // Failures stop: the network is up, the collector answers 2xx, held requests are answered.
    w.setPolicy({ kind: 'ok' });
    w.setUp(true);
    for (let round = 0; round < 20 && (w.held.length || w.live.client.stats().queued); round++) {
      for (const r of w.held.splice(0)) w.respond(r, { kind: 'ok' });
      w.live.client.online();
      await settle();
      await vi.advanceTimersByTimeAsync(200_000);
      await settle();
    }
    checkStorage(w, 'the final phase');
    return w;
  } finally {
    random.mockRestore();
    vi.clearAllTimers();
    vi.useRealTimers();
  }
}

/** The properties every run must satisfy once failures have stopped. */
const checkEnd = (w: World) => {
  expect(w.violations).toEqual([]);
  // Nothing lost: every tracked event was delivered, and nothing is left queued or stored.
  const lost = [...Array(w.tracked).keys()].filter((s) => !w.deliveries.has(s));
  expect(lost, 'tracked events never delivered').toEqual([]);
  expect(w.live.client.stats()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
  expect(w.stored()).toEqual([]);
  // Each event acked exactly once; any other delivery comes from a request orphaned by a restart.
  for (const [s, d] of w.deliveries) expect(d.acked, `acked deliveries of event ${s}`).toBe(1);
};

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------------------------

// What each property asserts, for every generated sequence of operations:
//   - after every operation (once settled): storage holds exactly the tracked events not yet acked,
//     each once, and every stored queue lists them in track order; stats().queued counts them and
//     nothing was dropped or rejected (the bounds are never reached, no 4xx is generated);
//   - every request lists its events in track order and holds no event acked before it was sent
//     (no resend of an acked event, restarts included: a request in flight at a restart was never
//     acked, so resending its events is allowed, and the collector deduplicates them);
//   - once failures stop (network up, 2xx answers, held requests answered): every tracked event was
//     delivered, nothing is queued or stored, and each event was acked exactly once, so any duplicate
//     the collector sees comes from a request orphaned by a restart.
// With flush(true) two requests fly at once, so a younger batch can be delivered while an older one
// fails and is retried: the order of first deliveries is asserted only without exiting flushes.

describe('queue under random flush / failure / restart sequences', () => {
  it('loses nothing, never resends an acked event, sends and stores every batch in track order', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ exiting: true, bootTracks: false }), async (scenario) => {
        checkEnd(await run(scenario));
      }),
      { numRuns: 150 },
    );
  });

  it('with one request in flight at a time (no exiting flush), first deliveries follow track order', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ exiting: false, bootTracks: false }), async (scenario) => {
        const w = await run(scenario);
        checkEnd(w);
        expect(w.usedExiting).toBe(false);
        expect(w.firstDeliveries).toEqual([...Array(w.tracked).keys()]);
      }),
      { numRuns: 150 },
    );
  });

  // A page tracks at once when it loads (the automatic page view), before adopt() has answered: the
  // adopted, older events are then queued behind the new ones. Fails today (see the pinned example:
  // one event, a reload, one event at boot: the stored queue and the request read [1, 0]).
  it('keeps track order when a restarted instance tracks before its adoption completes', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb({ exiting: false, bootTracks: true }), async (scenario) => {
        const w = await run(scenario);
        checkEnd(w);
        expect(w.firstDeliveries).toEqual([...Array(w.tracked).keys()]);
      }),
      {
        numRuns: 150,
        examples: [
          [
            {
              policy: { kind: 'ok' },
              ops: [
                { k: 'track', n: 1 },
                { k: 'restart', serverGotInFlight: false, leaves: false, bootTracks: 1 },
              ],
              jitter: 0,
            },
          ],
        ],
      },
    );
  });
});
