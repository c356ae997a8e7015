import { createHash } from 'node:crypto';
import {
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type PubAck,
  StorageType,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { dedupKey } from '../util/dedup-key.ts';
import { intParam } from './fields.ts';
import type { FailedEvent, Sink, StoredEvent } from './sink.ts';

/** Options of the NATS JetStream sink. */
export interface NatsSinkOptions {
  /** `host:port` of each server to try. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  /** Stream that captures `<prefix>.>`; created when missing. */
  stream: string;
  /** Subject prefix: events go to `<prefix>.<type>`, failed events to `<prefix>.failed`. */
  prefix: string;
  /** How long the stream remembers a `Nats-Msg-Id` to drop a repeat (new streams only). */
  dedupWindowSeconds: number;
  /** Replicas of a new stream (1 on a single server, 3 in a cluster). */
  replicas: number;
  /** How long one publish waits for its PubAck, and a connect for the server. */
  timeoutMs: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Parses `nats://[user:pass@|token@]host:4222?stream=TRAIL&prefix=trail&dedup_window=120&timeout_ms=3000`. */
export function parseNatsUrl(url: string): NatsSinkOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const stream = params.get('stream') || 'TRAIL';
  const prefix = params.get('prefix') || 'trail';
  if (!NAME.test(stream)) throw new Error(`nats sink: stream "${stream}" must be letters, digits, _ or -`);
  if (!TOKEN.test(prefix))
    throw new Error(`nats sink: prefix "${prefix}" must be a subject without wildcards`);
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  return {
    servers: [`${parsed.hostname}:${parsed.port || 4222}`],
    ...(user && pass ? { user, pass } : user ? { token: user } : {}),
    stream,
    prefix,
    dedupWindowSeconds: intParam(params, 'dedup_window', 120),
    replicas: intParam(params, 'replicas', 1),
    timeoutMs: intParam(params, 'timeout_ms', 3000),
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A header-safe `Nats-Msg-Id` of an event: the hash of its source and messageId. */
function msgId(event: StoredEvent): string {
  return `sha256:${sha256(dedupKey(event.source, event.messageId))}`;
}

/** Failed events have no id of their own; one from their content makes a retried batch a duplicate. */
function failedMsgId(failed: FailedEvent): string {
  return `failed:${sha256(JSON.stringify([failed.source, failed.messageId ?? null, failed.reason, failed.payload]))}`;
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** Creates the stream when missing; refuses one that does not capture the sink's subjects. */
async function ensureStream(nc: NatsConnection, options: NatsSinkOptions): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: options.timeoutMs });
  const wanted = `${options.prefix}.>`;
  try {
    const info = await jsm.streams.info(options.stream);
    const subjects = info.config.subjects ?? [];
    if (!subjects.includes(wanted) && !subjects.includes('>')) {
      throw new Error(
        `nats sink: stream ${options.stream} exists but captures ${subjects.join(', ') || 'no subjects'}, not ${wanted}`,
      );
    }
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
    await jsm.streams.add({
      name: options.stream,
      subjects: [wanted],
      storage: StorageType.File,
      num_replicas: options.replicas,
      duplicate_window: nanos(options.dedupWindowSeconds * 1000),
    });
  }
}

/**
 * Publishes events to a JetStream stream, each with `Nats-Msg-Id` = a hash of its source and
 * messageId, so the server drops a repeat within the stream's duplicate window. A write resolves once every PubAck arrived, that
 * is once the stream stored every message. While the server is unreachable writes fail at once
 * instead of waiting in the client's reconnect buffer.
 */
export async function natsSink(options: NatsSinkOptions): Promise<Sink & { readonly nc: NatsConnection }> {
  const nc = await connect({
    servers: options.servers,
    user: options.user,
    pass: options.pass,
    token: options.token,
    name: 'trail-collector',
    timeout: options.timeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    ignoreClusterUpdates: true,
  });
  let connected = true;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })();
  try {
    await ensureStream(nc, options);
  } catch (error) {
    await nc.close();
    throw error;
  }
  const js = jetstream(nc, { timeout: options.timeoutMs });
  const timeout = options.timeoutMs;
  const online = () => {
    if (!connected || nc.isClosed()) throw new Error('not connected to the NATS server');
  };
  let closed: Promise<void> | undefined;

  return {
    name: 'nats',
    nc,
    async write(batch) {
      online();
      const events = batch.events.map((event) =>
        js.publish(`${options.prefix}.${event.type}`, JSON.stringify(event), {
          msgID: msgId(event),
          timeout,
        }),
      );
      const failed = batch.failed.map((event) =>
        js.publish(`${options.prefix}.failed`, JSON.stringify(event), { msgID: failedMsgId(event), timeout }),
      );
      const [acks] = await Promise.all([Promise.all(events), Promise.all(failed)]);
      return { duplicates: acks.filter((ack: PubAck) => ack.duplicate).length };
    },
    async ready() {
      if (!connected || nc.isClosed()) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<boolean>((done) => {
        timer = setTimeout(() => done(false), timeout);
      });
      try {
        return await Promise.race([nc.flush().then(() => true), late]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed ??= (async () => {
        if (nc.isClosed()) return;
        // Drain hands over what is in flight; a connection that is down has nothing to hand over.
        if (connected) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise((done) => {
            timer = setTimeout(done, timeout);
          });
          await Promise.race([nc.drain().catch(() => {}), late]).finally(() => clearTimeout(timer));
        }
        if (!nc.isClosed()) await nc.close();
      })();
      await closed;
    },
  };
}
