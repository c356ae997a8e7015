// The Cloudflare Workers entry. Everything it imports must run in workerd: no `node:` modules, no
// native addons, no from-url.ts (its server sinks reach for both). See examples/cloudflare-worker.
import type { ExecutionContext, Hono } from 'hono';
import { createApp } from '../app.ts';
import { type ConfigInput, parseConfig } from '../config/config.ts';
import { applyEnv, type Env } from '../config/env.ts';
import { jsonLogger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { cfQueueSink, type QueueLike } from '../sinks/cf-queue.ts';
import { type D1DatabaseLike, d1Sink } from '../sinks/d1.ts';
import { fanOut } from '../sinks/fanout.ts';
import { HTTP_SINKS } from '../sinks/http-sinks.ts';
import type { Sink, SinkContext, StoredEvent } from '../sinks/sink.ts';

/** The Worker's bindings and variables (wrangler.toml `[vars]`, `[[d1_databases]]`, `[[queues.producers]]`). */
export interface WorkerEnv {
  /** D1 database, the embedded store. */
  DB?: D1DatabaseLike;
  /** Queues producer; when bound and no sinks are configured, every event is also sent to it. */
  QUEUE?: QueueLike<StoredEvent>;
  /** The config file's content, since a Worker has no files: a JSON object var or a JSON string. */
  TRAIL_CONFIG?: string | ConfigInput;
  [name: string]: unknown;
}

/** Builds a sink from its URL, the Worker's bindings and what the HTTP sinks need. */
type WorkerSinkFactory = (url: string, env: WorkerEnv, context: SinkContext) => Promise<Sink>;

function binding<T>(env: WorkerEnv, name: string, method: string): T {
  const value = env[name] as Record<string, unknown> | undefined;
  if (typeof value?.[method] !== 'function')
    throw new Error(`binding ${name} is missing or is not a ${method}()`);
  return value as T;
}

/** The binding a `d1:DB` or `queue:QUEUE` URL names, or the default one. */
const bindingName = (url: string, fallback: string) =>
  url.slice(url.indexOf(':') + 1).replace(/^\/\//, '') || fallback;

/**
 * Sinks available on Workers, by URL scheme: `d1:DB` and `queue:QUEUE` (a binding name after the
 * colon), and the sinks that need nothing but fetch (ClickHouse over HTTP, webhooks). Never the
 * server sinks of from-url.ts: they need `node:` modules or native addons.
 */
export const WORKER_SINKS: Record<string, WorkerSinkFactory> = {
  d1: async (url, env) => d1Sink(binding<D1DatabaseLike>(env, bindingName(url, 'DB'), 'prepare')),
  queue: async (url, env) =>
    cfQueueSink(binding<QueueLike<StoredEvent>>(env, bindingName(url, 'QUEUE'), 'sendBatch')),
  ...Object.fromEntries(
    Object.entries(HTTP_SINKS).map(([scheme, open]): [string, WorkerSinkFactory] => [
      scheme,
      (url, _env, context) => open(url, context),
    ]),
  ),
};

/** Without configured sinks: D1, plus the queue when one is bound. */
function defaultSinks(env: WorkerEnv): string[] {
  return env.QUEUE ? ['d1:DB', 'queue:QUEUE'] : ['d1:DB'];
}

function openWorkerSinks(urls: readonly string[], env: WorkerEnv, context: SinkContext): Promise<Sink[]> {
  return Promise.all(
    urls.map((url) => {
      const scheme = url.includes(':') ? url.slice(0, url.indexOf(':')) : url;
      const factory = WORKER_SINKS[scheme];
      if (!factory) {
        const known = Object.keys(WORKER_SINKS).join(', ');
        // Only the scheme: the rest of a URL may hold credentials.
        throw new Error(`sink scheme "${scheme}:" is not available on Workers; use one of ${known}`);
      }
      return factory(url, env, context);
    }),
  );
}

/** The Worker's string variables and secrets, which `TRAIL_*` overrides and the HTTP sinks read. */
function stringVars(env: WorkerEnv): Env {
  const vars: Env = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') vars[name] = value;
  return vars;
}

/** The config: `TRAIL_CONFIG` as the file, `TRAIL_*` string variables over it, as on Node. */
export function workerConfigInput(env: WorkerEnv): ConfigInput {
  const raw = env.TRAIL_CONFIG;
  const base = (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? {})) as ConfigInput;
  const input = applyEnv(base, stringVars(env));
  return { ...input, sinks: input.sinks ?? defaultSinks(env) };
}

/** Builds the app from the bindings; once per isolate, since bindings do not change within one. */
async function build(env: WorkerEnv): Promise<Hono> {
  const config = parseConfig(workerConfigInput(env));
  const logger = jsonLogger(config.logLevel);
  // Counters live in the isolate: /metrics shows what this isolate has seen since it started.
  const metrics = new Metrics();
  const sinks = await openWorkerSinks(config.sinks, env, {
    env: stringVars(env),
    timeoutMs: config.sinkTimeoutMs,
  });
  const sink = fanOut(sinks, config.sinkTimeoutMs, (name, seconds, ok) =>
    metrics.observe(...METRIC.sinkLatency, { sink: name, ok: String(ok) }, seconds),
  );
  logger.log('info', 'started', { sinks: sink.name });
  // Cloudflare sets CF-Connecting-IP to the peer's address; clients cannot forge it at the edge.
  return createApp({ config, sink, metrics, logger, socketIp: (c) => c.req.header('cf-connecting-ip') });
}

let app: Promise<Hono> | undefined;

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let ready: Hono;
    try {
      app ??= build(env);
      ready = await app;
    } catch (error) {
      app = undefined; // the next request tries again, and logs again
      console.error(JSON.stringify({ level: 'error', msg: 'cannot start', error: String(error) }));
      return Response.json(
        { success: false, error: 'config_error', message: 'the collector is misconfigured' },
        { status: 500 },
      );
    }
    return ready.fetch(request, env, ctx);
  },
};
