import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { sleep, waitFor } from '../support/wait-for.ts';
import { FakeMiniProgram, type RequestRecord } from './fake-runtime.ts';
import { storedQueueIds } from './stored-queue.ts';

// Mini-program soak: the demo shop (examples/miniprogram) in the fake runtime, against a real
// collector process, through a long seeded session of app flows and direct track calls interleaved
// with hide/show (with and without suspension, some with requests in flight), offline spells,
// storage quota errors and cold restarts from storage. Every event is tagged with `soak_seq` as the
// SDK queues it (a plugin), so the store can be matched against what was fired: nothing lost,
// nothing stored twice.
//
// Queue bounds (sdk-core/src/queue.ts, sdk-miniprogram/src/index.ts): 1000 events and 500,000
// bytes (the mini-program default), the oldest dropped and counted in stats().dropped. An event
// here is about 1 KB; offline spells last a few rounds and, online, the session lets the queue drain
// below PACE_QUEUED before going on, so the queue stays at a few hundred events at most and the test
// asserts that nothing was dropped. Events that live only in memory (storage full) are gone with the
// process by design, so no kill happens during a quota spell: a kill comes after hide, once the
// SDK's storage writes are done (WeChat gives hidden JS about 5 s), then suspension. A lost event
// then says whether storage held it at that kill.

const ROOT = resolve(import.meta.dirname, '../..');
const APP_DIR = join(ROOT, 'examples/miniprogram');
const SDK_BUNDLE = join(ROOT, 'sdk-miniprogram/miniprogram_dist/index.js');
const CONFIG_MODULE = join(APP_DIR, 'config.js');
const WRITE_KEY = 'mp-soak';
const MB = 1024 * 1024;

/** Change it to explore; the plan it makes is checked against the minimums below. */
const SEED = 0x7a11;
const ROUNDS = 160;
const MIN = { events: 2_000, hides: 5, offlineSpells: 3, quotaSpells: 3, restarts: 3 };
/**
 * WeChat suspends hidden JS after about 5 s. The session suspends by hand (`rt.suspend()`) instead,
 * after BACKGROUND_MS (or, before a kill, once the SDK's storage writes are done, as 5 s allow).
 */
const BACKGROUND_MS = 150;
const NEVER_AUTO_SUSPEND_MS = 10 * 60_000;
/** Answer delay that makes hide-time requests still be in flight when JS is suspended. */
const SLOW_ANSWER_MS = 400;
const FLUSH_INTERVAL_MS = 100;
/**
 * Online and in the foreground, the session waits for the queue to drain below this before the next
 * step: a user is slower than a loop, and a backlog that only grows would end in drops by design.
 */
const PACE_QUEUED = 100;
/** A quota far below what the queue needs: every queue write fails, as on a full phone. */
const LOW_QUOTA = 2_048;

const ROUTES = {
  list: 'pages/list/list',
  product: 'pages/product/product',
  cart: 'pages/cart/cart',
  order: 'pages/order/order',
};

/** The part of the SDK's client (as the app exposes it, `getApp().trail`) the soak uses. */
interface SoakClient {
  track(event: string, properties?: Record<string, unknown>): void;
  use(plugin: (event: SoakEvent) => SoakEvent): void;
  stats(): { queued: number; dropped: number; rejected: number };
}
interface SoakEvent {
  type: string;
  messageId: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** mulberry32: a tiny seeded PRNG, so a failing session can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Step =
  | { kind: 'purchase'; product: number; adds: number }
  | { kind: 'browse'; product: number; adds: number; share: boolean; back: boolean }
  | { kind: 'burst'; count: number; pad: number }
  | { kind: 'pause'; ms: number }
  | { kind: 'hide'; mode: 'quick' | 'suspend' | 'in-flight' }
  | { kind: 'offline' | 'online' | 'quota-low' | 'quota-restored' }
  | { kind: 'restart'; inFlight: boolean };

/** The session, decided up front from the seed. */
function plan(seed: number): Step[] {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const steps: Step[] = [];
  let offlineLeft = 0;
  let quotaLeft = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const r = rand();
    if (r < 0.25) steps.push({ kind: 'purchase', product: int(0, 2), adds: int(1, 3) });
    else if (r < 0.5)
      steps.push({
        kind: 'browse',
        product: int(0, 2),
        adds: int(0, 3),
        share: rand() < 0.3,
        back: rand() < 0.7,
      });
    else steps.push({ kind: 'burst', count: int(5, 45), pad: int(0, 300) });
    if (rand() < 0.5) steps.push({ kind: 'pause', ms: int(0, 60) });

    if (offlineLeft > 0 && --offlineLeft === 0) steps.push({ kind: 'online' });
    else if (offlineLeft === 0 && round > 2 && rand() < 0.1) {
      steps.push({ kind: 'offline' });
      offlineLeft = int(1, 4);
    }
    if (quotaLeft > 0 && --quotaLeft === 0) steps.push({ kind: 'quota-restored' });
    else if (quotaLeft === 0 && round > 2 && rand() < 0.1) {
      steps.push({ kind: 'quota-low' });
      quotaLeft = int(1, 3);
    }
    const h = rand();
    // A kill needs working storage (see the top of the file); it may come during an offline spell.
    if (quotaLeft === 0 && h < 0.04) steps.push({ kind: 'restart', inFlight: rand() < 0.5 });
    else if (h < 0.2) {
      const m = rand();
      steps.push({ kind: 'hide', mode: m < 0.3 ? 'quick' : m < 0.6 ? 'suspend' : 'in-flight' });
    }
  }
  if (offlineLeft > 0) steps.push({ kind: 'online' });
  if (quotaLeft > 0) steps.push({ kind: 'quota-restored' });
  return steps;
}

describe('mini-program soak against the collector', { timeout: 120_000 }, () => {
  let collector: CollectorProcess;
  const runtimes: FakeMiniProgram[] = [];

  beforeAll(async () => {
    const buildError = inject('sdkBuildError');
    if (buildError) throw new Error(buildError);
    if (!existsSync(SDK_BUNDLE)) {
      throw new Error(`${SDK_BUNDLE} is missing: run \`npm run build\` (the mini-program SDK's CJS bundle)`);
    }
    collector = await startCollector({
      config: { sources: [{ writeKey: WRITE_KEY, consentMode: 'opt-in' }] },
    });
  });
  afterAll(async () => {
    for (const rt of runtimes.splice(0)) rt.close();
    await collector?.stop();
  });

  it('fired = stored, no duplicates, across hide/show, offline spells, quota errors and cold restarts', async () => {
    const steps = plan(SEED);
    const count = (kind: Step['kind']) => steps.filter((s) => s.kind === kind).length;
    expect(count('hide') + count('restart')).toBeGreaterThanOrEqual(MIN.hides);
    expect(steps.some((s) => s.kind === 'hide' && s.mode === 'in-flight')).toBe(true);
    expect(count('offline')).toBeGreaterThanOrEqual(MIN.offlineSpells);
    expect(count('quota-low')).toBeGreaterThanOrEqual(MIN.quotaSpells);
    expect(count('restart')).toBeGreaterThanOrEqual(MIN.restarts);

    /** Every event the SDK queued, by soak_seq. */
    const fired = new Map<number, { messageId: string; type: string; name: string; instance: number }>();
    const instances: { rt: FakeMiniProgram; client: SoakClient }[] = [];
    const at = { offline: false, quotaLow: false };
    const figures = {
      hides: 0,
      suspensions: 0,
      offlineSpells: 0,
      quotaSpells: 0,
      restarts: 0,
      maxQueued: 0,
      /** Largest storage use seen (mostly the queue's chunks) while the quota was normal. */
      maxStorageBytes: 0,
      /** Kills with events queued in storage, for the next launch to adopt. */
      restartsWithQueue: 0,
      /**
       * Queued events (in memory) minus events in storage when the process was killed: lost by
       * design if they were only in memory (storage full), a bug if storage should have had them.
       */
      storageShortAtKill: 0,
    };

    /** The demo app on the device, cold-started (from `storage` left by an earlier process). */
    const boot = (storage?: Record<string, unknown>) => {
      const instance = instances.length + 1;
      const rt = new FakeMiniProgram({
        suspendAfterMs: NEVER_AUTO_SUSPEND_MS,
        loginCode: 'S1',
        ...(storage ? { initialStorage: storage } : {}),
        aliases: { '@trail/sdk-miniprogram': SDK_BUNDLE },
        modules: {
          [CONFIG_MODULE]: { writeKey: WRITE_KEY, endpoint: collector.url, flushInterval: FLUSH_INTERVAL_MS },
        },
      });
      runtimes.push(rt);
      // The app's init() gets a client with a tagging plugin before App() and Page() run, so even the
      // launch's own events (Application Opened, the first screen) carry their soak_seq.
      const sdk = rt.requireFile(SDK_BUNDLE) as { init(config: unknown): SoakClient };
      const init = sdk.init;
      sdk.init = (config) => {
        const client = init(config);
        client.use((e) => {
          const seq = fired.size + 1;
          if (e.type === 'track' || e.type === 'screen' || e.type === 'page') {
            e.properties = { ...e.properties, soak_seq: seq };
          } else e.context = { ...e.context, soak_seq: seq };
          fired.set(seq, {
            messageId: e.messageId,
            type: e.type,
            name: e.event ?? e.name ?? e.type,
            instance,
          });
          return e;
        });
        return client;
      };
      if (at.offline) rt.setNetwork(false);
      rt.loadApp(APP_DIR).launch({ scene: 1001 });
      const client = rt.app.trail as SoakClient;
      instances.push({ rt, client });
      return { rt, client };
    };

    let { rt, client } = boot();
    const rand = prng(SEED ^ 0x5eed);

    const backToList = () => {
      if (rt.routeStack.length > 1) rt.navigateBack(rt.routeStack.length - 1);
    };
    const openProduct = async (index: number) => {
      backToList();
      rt.tapElement({ track: 'Product Clicked' }, { item: rt.currentPage?.data.products[index] });
      await onPage(rt, ROUTES.product);
    };
    /** messageIds queued in storage now (every trail_q_* queue, as the next launch would adopt them). */
    const persisted = (): Set<string> => new Set(storedQueueIds(rt.storage.snapshot()));
    /** At each kill: how many events had been fired, and what storage held for the next launch. */
    const kills: { firedBefore: number; onDisk: Set<string>; writesDone: boolean }[] = [];
    const suspend = () => {
      rt.suspend();
      figures.suspensions++;
    };
    /**
     * Background JS runs until every callback it was waiting for has run and storage has seen no write
     * for a while (bounded, as WeChat's 5 s are): true if it got there.
     */
    const storageWritesDone = async () => {
      let writes = -1;
      return waitFor(
        async () => {
          await rt.idle();
          const quiet = rt.storage.writes.length === writes;
          writes = rt.storage.writes.length;
          return quiet;
        },
        { timeout: 5_000, interval: 50 },
      ).then(
        () => true,
        () => false,
      );
    };

    for (const step of steps) {
      switch (step.kind) {
        case 'purchase': {
          await openProduct(step.product);
          for (let i = 0; i < step.adds; i++) rt.tapElement({ id: 'add-to-cart' });
          rt.tapElement({ id: 'go-to-cart' });
          await onPage(rt, ROUTES.cart);
          rt.tapElement({ id: 'checkout' });
          await onPage(rt, ROUTES.order);
          rt.tapElement({ id: 'pay' });
          await waitFor(() => expect(rt.currentPage?.data.paid).toBe(true), { interval: 5 });
          backToList();
          break;
        }
        case 'browse': {
          await openProduct(step.product);
          for (let i = 0; i < step.adds; i++) rt.tapElement({ id: 'add-to-cart' });
          if (step.share) await rt.share('button');
          if (step.back) backToList();
          break;
        }
        case 'burst': {
          // Direct calls through the SDK as the app exposes it (getApp().trail).
          const note = 'n'.repeat(step.pad);
          for (let i = 0; i < step.count; i++) client.track('Soak Tick', { i, note, r: rand() });
          break;
        }
        case 'pause':
          await sleep(step.ms);
          break;
        case 'hide': {
          figures.hides++;
          if (step.mode === 'quick') {
            rt.hide();
            await sleep(Math.floor(rand() * (BACKGROUND_MS / 2)));
          } else if (step.mode === 'suspend') {
            rt.hide();
            await sleep(BACKGROUND_MS);
            suspend();
            await sleep(Math.floor(rand() * 100));
          } else {
            // The answers come after JS is suspended: the collector stores the hide-time sends, the
            // app learns `request:fail interrupted` when shown again and sends them again.
            rt.latencyMs = SLOW_ANSWER_MS;
            rt.hide();
            await sleep(BACKGROUND_MS);
            suspend();
            rt.latencyMs = 0;
          }
          rt.show();
          break;
        }
        case 'offline':
          rt.setNetwork(false);
          at.offline = true;
          figures.offlineSpells++;
          break;
        case 'online':
          rt.setNetwork(true);
          at.offline = false;
          break;
        case 'quota-low':
          rt.setStorageQuota(LOW_QUOTA);
          at.quotaLow = true;
          figures.quotaSpells++;
          break;
        case 'quota-restored':
          rt.setStorageQuota(10 * MB);
          at.quotaLow = false;
          break;
        case 'restart': {
          // Hidden, suspended once the SDK's storage writes are done (or, `inFlight`, with its
          // hide-time requests still unanswered), then killed; the next launch starts from storage.
          expect(at.quotaLow).toBe(false);
          if (step.inFlight) rt.latencyMs = SLOW_ANSWER_MS;
          rt.hide();
          figures.hides++;
          const writesDone = await storageWritesDone();
          suspend();
          const onDisk = persisted();
          kills.push({ firedBefore: fired.size, onDisk, writesDone });
          figures.storageShortAtKill += Math.max(0, client.stats().queued - onDisk.size);
          if (onDisk.size > 0) figures.restartsWithQueue++;
          const storage = rt.storage.snapshot();
          rt.close();
          ({ rt, client } = boot(storage));
          figures.restarts++;
          break;
        }
      }
      figures.maxQueued = Math.max(figures.maxQueued, client.stats().queued);
      if (!at.quotaLow) figures.maxStorageBytes = Math.max(figures.maxStorageBytes, rt.storage.used);
      if (!at.offline && rt.state === 'foreground') {
        await waitFor(() => expect(client.stats().queued).toBeLessThanOrEqual(PACE_QUEUED), {
          timeout: 20_000,
          interval: 10,
        });
      }
    }

    // The end: online, working storage, in the foreground; wait until the store stops changing.
    rt.setNetwork(true);
    rt.setStorageQuota(10 * MB);
    if (rt.state !== 'foreground') rt.show();
    const storedCount = () =>
      collector.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE source = ?', WRITE_KEY)[0]!.n;
    let last = -1;
    const settled = await waitFor(
      () => {
        const n = storedCount();
        const quiet = n === last && client.stats().queued === 0 && rt.pendingRequests.length === 0;
        last = n;
        return quiet;
      },
      { timeout: 30_000, interval: 200 },
    ).then(
      () => true,
      () => false, // still counted below: what never arrived shows up as lost
    );

    const rows = collector.query<{ message_id: string; name: string; seq: number | null }>(
      `SELECT message_id, COALESCE(event, type) AS name,
         COALESCE(json_extract(payload, '$.properties.soak_seq'), json_extract(payload, '$.context.soak_seq')) AS seq
       FROM events WHERE source = ?`,
      WRITE_KEY,
    );
    const storedSeqs = new Set(rows.map((r) => r.seq));
    const lost = [...fired.keys()].filter((seq) => !storedSeqs.has(seq));
    const duplicates =
      rows.length - new Set(rows.map((r) => r.message_id)).size + rows.length - storedSeqs.size;
    const untagged = rows.filter((r) => r.seq === null || !fired.has(r.seq));
    const mismatched = rows.filter((r) => r.seq !== null && fired.get(r.seq)?.messageId !== r.message_id);
    const stats = instances.map((i) => i.client.stats());
    const dropped = stats.reduce((sum, s) => sum + s.dropped, 0);
    const rejected = stats.reduce((sum, s) => sum + s.rejected, 0);
    const requests = instances.flatMap((i) => i.rt.requests);
    const storageWrites = instances.flatMap((i) => i.rt.storage.writes);
    const quotaErrors = storageWrites.filter((w) => !w.ok && /exceed storage/.test(w.errMsg ?? '')).length;
    const interrupted = requests.filter((r) => r.errMsg === 'request:fail interrupted').length;
    const offlineFails = requests.filter((r) => /ERR_INTERNET_DISCONNECTED/.test(r.errMsg ?? '')).length;

    console.log(
      `mini-program soak: fired=${fired.size} stored=${storedSeqs.size} duplicates=${duplicates} ` +
        `lost=${lost.length} hides=${figures.hides} offline_spells=${figures.offlineSpells} ` +
        `quota_errors=${quotaErrors} restarts=${figures.restarts} ` +
        `(seed=${SEED} suspensions=${figures.suspensions} quota_spells=${figures.quotaSpells} ` +
        `interrupted=${interrupted} offline_fails=${offlineFails} requests=${requests.length} ` +
        `resent_after_ack=${resentAfterAck(requests).length} max_queued=${figures.maxQueued} ` +
        `max_storage_bytes=${figures.maxStorageBytes} restarts_with_queue=${figures.restartsWithQueue} ` +
        `dropped=${dropped} rejected=${rejected} storage_short_at_kill=${figures.storageShortAtKill} ` +
        `settled=${settled})`,
    );

    // The session did what it claims.
    expect(fired.size).toBeGreaterThanOrEqual(MIN.events);
    expect(figures.hides).toBeGreaterThanOrEqual(MIN.hides);
    expect(figures.offlineSpells).toBeGreaterThanOrEqual(MIN.offlineSpells);
    expect(figures.restarts).toBeGreaterThanOrEqual(MIN.restarts);
    expect(figures.restartsWithQueue).toBeGreaterThan(0);
    expect(quotaErrors).toBeGreaterThan(0);
    expect(interrupted).toBeGreaterThan(0);

    // Nothing dropped by design (queue bounds, collector refusals)…
    expect({ dropped, rejected }).toEqual({ dropped: 0, rejected: 0 });
    // …and no kill while storage was failing, so every event fired is stored, once, as queued. A lost
    // event says whether storage held it when the first kill after it came (`onDiskAtKill: false`:
    // the next launch could not know of it).
    const describeSeq = (seq: number) => {
      const e = fired.get(seq)!;
      const kill = kills.find((k) => k.firedBefore >= seq);
      if (!kill) return { seq, ...e, onDiskAtKill: 'no kill after it' };
      return { seq, ...e, onDiskAtKill: kill.onDisk.has(e.messageId), writesDoneAtKill: kill.writesDone };
    };
    expect(lost.slice(0, 20).map(describeSeq), `${lost.length} lost`).toEqual([]);
    expect(duplicates).toBe(0);
    expect(untagged.slice(0, 20)).toEqual([]);
    expect(mismatched.slice(0, 20)).toEqual([]);
    expect(storedSeqs.size).toBe(fired.size);
    for (const i of instances) expect(i.rt.errors).toEqual([]);
    expect(instances.flatMap((i) => i.rt.forbiddenCalls)).toEqual([]);
  });
});

/** Waits until the page on top is `route` (navigation through wx.navigateTo is asynchronous). */
async function onPage(rt: FakeMiniProgram, route: string): Promise<void> {
  await waitFor(() => expect(rt.currentPage?.route).toBe(route), { interval: 5 });
}

/**
 * messageIds sent again after a request carrying them was answered 200 and the app heard it: a
 * wasted resend (the collector drops it by messageId), e.g. from a stale stored queue after a restart.
 */
function resentAfterAck(requests: RequestRecord[]): string[] {
  const ackedAt = new Map<string, number>();
  for (const r of requests) {
    if (r.outcome !== 'success' || r.status !== 200 || r.settledAt === undefined) continue;
    for (const id of r.messageIds) ackedAt.set(id, Math.min(ackedAt.get(id) ?? Infinity, r.settledAt));
  }
  const again = new Set<string>();
  for (const r of requests) {
    for (const id of r.messageIds) if ((ackedAt.get(id) ?? Infinity) < r.startedAt) again.add(id);
  }
  return [...again];
}
