import { type CommandParser, createClient, defineScript } from 'redis';
import { intParam, withoutParams } from './fields.ts';
import { dedupKey } from '../util/dedup-key.ts';
import type { Sink, SinkBatch } from './sink.ts';

/** Options of the Redis Streams sink. */
export interface RedisSinkOptions {
  /** `redis://` or `rediss://` URL, without trail's own options. */
  url: string;
  /** Stream of events. */
  stream: string;
  /** Stream of failed events. */
  failedStream: string;
  /** Approximate length each stream is trimmed to (`MAXLEN ~`); 0 keeps everything. */
  maxlen: number;
  /** Prefix of the `SET NX` guard keys that make a write idempotent on source and messageId. */
  seenPrefix: string;
  /** How long (seconds) a guard key lives: the window in which a resent event is dropped. */
  dedupWindowSeconds: number;
  /** Connect and command timeout. */
  timeoutMs: number;
}

const OWN_PARAMS = [
  'stream',
  'failed_stream',
  'maxlen',
  'seen_prefix',
  'dedup_window',
  'timeout_ms',
] as const;

/** Parses `redis://127.0.0.1:6379?stream=trail:events&maxlen=1000000&dedup_window=86400`. */
export function parseRedisUrl(url: string): RedisSinkOptions {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const stream = params.get('stream') || 'trail:events';
  return {
    url: withoutParams(parsed, OWN_PARAMS),
    stream,
    failedStream: params.get('failed_stream') || `${stream}:failed`,
    maxlen: intParam(params, 'maxlen', 0, 0),
    seenPrefix: params.get('seen_prefix') ?? 'trail:seen:',
    dedupWindowSeconds: intParam(params, 'dedup_window', 86_400),
    timeoutMs: intParam(params, 'timeout_ms', 3000),
  };
}

/**
 * Appends a whole batch atomically: Redis runs a script to the end without interleaving another
 * client's command, so a guard key is set exactly when its event is added. The stream types are
 * checked before the first write, so a misconfigured key fails the batch without a partial write.
 * KEYS: events stream, failed stream. ARGV: guard prefix, window (s), maxlen (0: none), event
 * count, then per event its guard key (after the prefix), message_id, source, type, JSON; then per
 * failed event its five fields.
 */
const APPEND_BATCH = `
local prefix, window, maxlen, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= 'stream' and kind ~= 'none' then
    return redis.error_reply('WRONGTYPE ' .. key .. ' holds a ' .. kind .. ', not a stream')
  end
end
local function xadd(key, ...)
  if maxlen > 0 then return redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', ...) end
  return redis.call('XADD', key, '*', ...)
end
local duplicates = 0
for i = 0, n - 1 do
  local at = 5 + 5 * i
  if redis.call('SET', prefix .. ARGV[at], '1', 'NX', 'EX', window) then
    xadd(KEYS[1], 'message_id', ARGV[at + 1], 'source', ARGV[at + 2], 'type', ARGV[at + 3],
      'event', ARGV[at + 4])
  else
    duplicates = duplicates + 1
  end
end
for j = 5 + 5 * n, #ARGV, 5 do
  xadd(KEYS[2], 'source', ARGV[j], 'reason', ARGV[j + 1], 'message_id', ARGV[j + 2],
    'received_at', ARGV[j + 3], 'payload', ARGV[j + 4])
end
return duplicates
`;

const appendBatch = defineScript({
  SCRIPT: APPEND_BATCH,
  NUMBER_OF_KEYS: 2,
  parseCommand(parser: CommandParser, keys: [string, string], args: string[]) {
    parser.pushKeys(keys);
    parser.push(...args);
  },
  transformReply: (reply: unknown) => Number(reply),
});

function scriptArgs(batch: SinkBatch, options: RedisSinkOptions): string[] {
  const args = [
    options.seenPrefix,
    String(options.dedupWindowSeconds),
    String(options.maxlen),
    String(batch.events.length),
  ];
  for (const e of batch.events) {
    args.push(dedupKey(e.source, e.messageId), e.messageId, e.source, e.type, JSON.stringify(e));
  }
  for (const f of batch.failed) args.push(f.source, f.reason, f.messageId ?? '', f.receivedAt, f.payload);
  return args;
}

/** The client, with the batch script as a command (EVALSHA, falling back to EVAL once). */
function createTrailClient(options: RedisSinkOptions, started: () => boolean) {
  return createClient({
    url: options.url,
    name: 'trail-collector',
    disableOfflineQueue: true,
    commandOptions: { timeout: options.timeoutMs },
    scripts: { appendBatch },
    socket: {
      connectTimeout: options.timeoutMs,
      // At startup an unreachable server is a startup error; later the client keeps reconnecting.
      reconnectStrategy: (retries: number, cause: Error) =>
        started() ? Math.min(50 * 2 ** retries, 1000) : retries < 2 ? 100 : cause,
    },
  });
}

/** The Redis client a {@link redisSink} writes through. */
export type TrailRedisClient = ReturnType<typeof createTrailClient>;

/**
 * Appends events to a Redis stream (`XADD`, field `event` = the event as JSON). Streams have no
 * dedup of their own, so a `SET <prefix>["<source>","<messageId>"] 1 NX EX <window>` guard in the
 * same script drops a resent event. Commands fail at once while the server is unreachable (no offline queue).
 */
export async function redisSink(
  options: RedisSinkOptions,
): Promise<Sink & { readonly client: TrailRedisClient }> {
  let started = false;
  const client = createTrailClient(options, () => started);
  // Errors reach the writes that hit them; the client also emits them, and an unheard 'error'
  // event would crash the process.
  client.on('error', () => {});
  await client.connect();
  started = true;
  const keys: [string, string] = [options.stream, options.failedStream];
  let closed: Promise<void> | undefined;
  return {
    name: 'redis',
    client,
    async write(batch) {
      return { duplicates: await client.appendBatch(keys, scriptArgs(batch, options)) };
    },
    async ready() {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      closed ??= client.isReady ? client.close() : Promise.resolve(client.destroy());
      await closed;
    },
  };
}
