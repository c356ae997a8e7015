import { createHash, randomUUID } from 'node:crypto';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector } from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import {
  expectOutageThenRetryOnce,
  expectResendDeduplicated,
  expectSourcesKeptApart,
} from '../support/sink-contract.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';

const run = randomUUID().slice(0, 8);
const stream = `TRAIL_TEST_${run}`;
const prefix = `trailtest${run}`;
const sinkUrl = `nats://127.0.0.1:4222?stream=${stream}&prefix=${prefix}`;
/** The Nats-Msg-Id of an event: the hash of its source and messageId, so sources do not collide. */
const natsMsgId = (source: string, messageId: string) =>
  `sha256:${createHash('sha256')
    .update(JSON.stringify([source, messageId]))
    .digest('hex')}`;

interface Stored {
  subject: string;
  msgId: string | undefined;
  body: Record<string, any>;
}

describe('NATS JetStream sink', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  /** Every message in the stream, in order. */
  const messages = async (): Promise<Stored[]> => {
    const { state } = await jsm.streams.info(stream);
    const out: Stored[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push({ subject: m.subject, msgId: m.header?.get('Nats-Msg-Id'), body: m.json() });
    }
    return out;
  };
  const copiesOf = async (ids: readonly string[]) =>
    (await messages()).filter((m) => ids.includes(m.body.messageId as string)).length;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });

  it('creates the stream and publishes each event to <prefix>.<type> with Nats-Msg-Id', async () => {
    const c = await startCollector({ config: { sinks: [sinkUrl] } });
    try {
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([`${prefix}.>`]);
      expect(info.config.duplicate_window).toBe(120 * 1e9);

      const track = trackEvent();
      const identify = trackEvent({
        type: 'identify',
        event: undefined,
        userId: 'u-1',
        traits: { plan: 'pro' },
      });
      const res = await post(`${c.url}/v1/batch`, {
        batch: [track, identify, { type: 'track', messageId: 'bad-1', anonymousId: 'a' }],
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 2 }] });

      const stored = await messages();
      expect(stored).toHaveLength(3);
      const [t, i, f] = [track.messageId, identify.messageId, undefined].map((id) =>
        id
          ? stored.find((m) => m.msgId === natsMsgId('demo', id))
          : stored.find((m) => m.subject === `${prefix}.failed`),
      );
      expect(t).toMatchObject({
        subject: `${prefix}.track`,
        body: { type: 'track', event: 'Product Viewed', source: 'demo', properties: { product_id: 'sku-1' } },
      });
      expect(typeof t?.body.receivedAt).toBe('string');
      expect(t?.body.context.ip).toBe('127.0.0.0');
      expect(i).toMatchObject({
        subject: `${prefix}.identify`,
        body: { userId: 'u-1', traits: { plan: 'pro' } },
      });
      expect(f?.body).toMatchObject({ messageId: 'bad-1', reason: 'event is required', source: 'demo' });
      expect(f?.msgId).toMatch(/^failed:[0-9a-f]{64}$/);
    } finally {
      await c.stop();
    }
  });

  it('reports a resent batch as duplicates and keeps one copy, also after a restart', async () => {
    await expectResendDeduplicated({ sinks: [sinkUrl] }, copiesOf);
  });

  it('keeps the events of two sources that send the same messageIds apart', async () => {
    await expectSourcesKeptApart({ sinks: [sinkUrl] }, async (ids) =>
      (await messages())
        .filter((m) => ids.includes(m.body.messageId as string))
        .map((m) => m.body.source as string),
    );
  });

  it('answers 503 at once while the server is unreachable, then stores the retry once', async () => {
    const proxy = await startTcpProxy(4222);
    const c = await startCollector({
      config: {
        sinks: [`nats://127.0.0.1:${proxy.port}?stream=${stream}&prefix=${prefix}&timeout_ms=1000`],
        sinkTimeoutMs: 2000,
        retryAfterSeconds: 1,
      },
    });
    try {
      await expectOutageThenRetryOnce(c, proxy, copiesOf);
    } finally {
      await c.stop();
      await proxy.close();
    }
  });

  it('refuses to start when the server cannot be reached, naming the sink but not its password', async () => {
    const error = await startCollector({
      config: { sinks: [`nats://user:secret@127.0.0.1:1?stream=${stream}&prefix=${prefix}&timeout_ms=500`] },
    }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(error.message).toContain('sink nats://127.0.0.1:1 could not open: connection refused');
    expect(error.message).not.toContain('secret');
  });
});
