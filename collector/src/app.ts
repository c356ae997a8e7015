import { EVENT_TYPES, type EventContext, type EventType } from '@trail/sdk-core/protocol';
import { type Context, Hono } from 'hono';
import { routePath } from 'hono/route';
import type { Config, SourceConfig } from './config/config.ts';
import { type DebuggerDeps, debuggerRoutes } from './debugger/routes.ts';
import { Admission, type Caller } from './http/admission.ts';
import { bodyWriteKey, headerWriteKey } from './http/auth.ts';
import { readJsonBody } from './http/body.ts';
import { corsHeaders, originAllowedByAny, PREFLIGHT_HEADERS } from './http/cors.ts';
import { HttpError } from './http/errors.ts';
import { metricsAccess } from './http/metrics-access.ts';
import { watchWrites } from './http/readiness.ts';
import { ReplayGuard } from './http/replay.ts';
import { verifySignature } from './http/signature.ts';
import { type Envelope, Ingestor } from './ingest/ingest.ts';
import { anonymizeIp, TrustedProxies } from './ingest/ip.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';
import { METRIC } from './ops/names.ts';
import { SinkError } from './sinks/fanout.ts';
import type { Sink } from './sinks/sink.ts';

/** What a runtime hands the app: the pieces that differ between Node, Bun, Deno and Workers. */
export interface AppDeps {
  config: Config;
  sink: Sink;
  metrics: Metrics;
  logger: Logger;
  /** The peer address of the connection, as the runtime knows it. */
  socketIp?: (c: Context) => string | undefined;
  /** The server listens on loopback only, so nobody else can connect: /metrics may go without a token. */
  loopbackOnly?: boolean;
  /** The /debugger page and its API; not mounted when absent. */
  debugger?: DebuggerDeps;
}

/** Most messageIds one receipts request may ask about, and its largest body. */
const RECEIPT_IDS = 500;
const RECEIPT_BYTES = 32 * 1024;
/** How long a receipts answer that would say "not stored" waits for event requests a moment behind. */
const RECEIPT_GRACE_MS = 500;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Batch-level fields, taken only when they have the right shape (events validate their own). */
function envelopeOf(body: Record<string, unknown>): Envelope {
  return {
    sentAt: typeof body.sentAt === 'string' ? body.sentAt : undefined,
    context: isObject(body.context) ? (body.context as EventContext) : undefined,
  };
}

/** The Hono app with every route; runtime entries wrap it. */
export function createApp(deps: AppDeps): Hono {
  const { config, sink, metrics, logger } = deps;
  const sources = new Map<string, SourceConfig>(config.sources.map((s) => [s.writeKey, s]));
  // Ingestion writes through the watch, so that /readyz knows when real writes fail.
  const readiness = watchWrites(sink);
  const ingestor = new Ingestor(config, readiness.sink, metrics, logger, deps.debugger?.bus);
  const admission = new Admission(config, sources, metrics);
  const replays = new ReplayGuard();
  const proxies = new TrustedProxies(config.ip.trustedProxies, config.ip.proxyHeader);
  const checkMetricsAccess = metricsAccess(config.metrics.token, deps.loopbackOnly === true);
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    metrics.inc(...METRIC.requests, { route: routePath(c, -1), status: String(c.res.status) });
  });

  app.use('/v1/*', async (c, next) => {
    const origin = c.req.header('origin');
    const allowed = origin !== undefined && originAllowedByAny(sources.values(), origin);
    if (c.req.method === 'OPTIONS') {
      return allowed && origin
        ? c.body(null, 204, { ...corsHeaders(origin), ...PREFLIGHT_HEADERS })
        : c.body(null, 403);
    }
    await next();
    // Set after the handler so that error answers are readable too: a client that cannot read
    // a 400 would take it for a network error and retry forever.
    if (allowed && origin && c.res.status !== 403) {
      for (const [name, value] of Object.entries(corsHeaders(origin))) c.res.headers.set(name, value);
    }
  });

  /** Who sends a request, as admission sees it, and the address to store with its events. */
  const callerOf = (c: Context): { ip?: string; caller: Caller } => {
    const { ip, key: client } = proxies.client(c.req.raw.headers, deps.socketIp?.(c));
    const caller: Caller = {
      client,
      origin: c.req.header('origin'),
      key: () => headerWriteKey(c.req.header('authorization'), c.req.query('writeKey')),
    };
    return { ip, caller };
  };

  const receive = async (c: Context, type?: EventType) => {
    const receivedAt = Date.now();
    const { ip, caller } = callerOf(c);
    // Everything that can be refused without the body is refused before it is read.
    const early = await admission.beforeBody(caller, receivedAt);
    // A single-event body is the event, so the per-event cap applies to the whole body.
    const limit = type ? config.limits.eventBytes : config.limits.batchBytes;
    const { sent, json: body } = await admission.read(caller, early, receivedAt, (stop) =>
      readJsonBody(c.req.raw, limit, stop),
    );
    if (!isObject(body)) throw new HttpError(400, 'invalid_body', 'body must be a JSON object');
    const source = early ?? (await admission.authenticate(caller, bodyWriteKey(body), receivedAt));
    const signed = source.signingSecret
      ? await verifySignature(
          c.req.raw.headers,
          source.signingSecret,
          { method: c.req.method, path: c.req.path, body: sent },
          receivedAt,
        )
      : undefined;
    let events: unknown[];
    if (type) {
      events = [{ ...body, type }];
    } else {
      if (!Array.isArray(body.batch))
        throw new HttpError(400, 'invalid_body', 'batch must be an array of events');
      if (body.batch.length > config.limits.batchEvents) {
        throw new HttpError(
          413,
          'payload_too_large',
          `batch has ${body.batch.length} events; the limit is ${config.limits.batchEvents}`,
        );
      }
      events = body.batch;
    }
    if (signed) replays.claim(signed, receivedAt);
    let stored = false;
    try {
      const result = await admission.store(() =>
        ingestor.ingest({
          source,
          events,
          envelope: envelopeOf(body),
          receivedAt,
          userAgent: c.req.header('user-agent'),
          ip: ip && config.ip.anonymize ? anonymizeIp(ip) : ip,
        }),
      );
      stored = true;
      const [single] = result.rejected;
      if (type && single) throw new HttpError(400, 'invalid_event', single.reason);
      return c.json(result, 200);
    } finally {
      // Remembered once stored: a retry of a request whose write failed must still go through.
      if (signed) replays.settle(signed, stored);
    }
  };

  // Which of up to RECEIPT_IDS messageIds this process has stored: a page that unloaded with a
  // request in flight never saw its answer, and the next page asks before sending those events again.
  app.post('/v1/receipts', async (c) => {
    const receivedAt = Date.now();
    const { caller } = callerOf(c);
    const early = await admission.beforeBody(caller, receivedAt);
    if (!early)
      throw new HttpError(401, 'unauthorized', 'receipts need the write key in the URL or Basic auth');
    // Server sources sign their requests and see every answer: receipts are for pages and apps.
    if (early.signingSecret)
      throw new HttpError(403, 'forbidden', 'receipts are not offered to signed sources');
    const { json: body } = await admission.read(caller, early, receivedAt, (stop) =>
      readJsonBody(c.req.raw, RECEIPT_BYTES, stop),
    );
    const ids = isObject(body) ? body.messageIds : undefined;
    if (!Array.isArray(ids) || ids.length > RECEIPT_IDS || !ids.every((id) => typeof id === 'string'))
      throw new HttpError(
        400,
        'invalid_body',
        `messageIds must be an array of at most ${RECEIPT_IDS} strings`,
      );
    // The request the page's predecessor sent on its way out may still be being stored, or, on
    // another connection, a moment behind this one: a "not stored" waits for a grace period first.
    // Only writes of these very ids are awaited, so nobody can hold an answer up with slow bodies.
    let received = await ingestor.received(early, ids as string[]);
    if (received.length < ids.length) {
      await new Promise((done) => setTimeout(done, RECEIPT_GRACE_MS));
      received = await ingestor.received(early, ids as string[]);
    }
    return c.json({ received }, 200);
  });

  app.post('/v1/batch', (c) => receive(c));
  for (const type of EVENT_TYPES) app.post(`/v1/${type}`, (c) => receive(c, type));

  if (deps.debugger) app.route('/debugger', debuggerRoutes(deps.debugger));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const ready = await readiness.ready(Date.now());
    return c.json({ status: ready ? 'ready' : 'sink unavailable' }, ready ? 200 : 503);
  });
  app.get('/metrics', (c) => {
    checkMetricsAccess(c.req.header('authorization'));
    return c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' });
  });

  app.notFound((c) =>
    c.json(new HttpError(404, 'not_found', `no route for ${c.req.method} ${c.req.path}`).body(), 404),
  );
  app.onError((error, c) => {
    if (error instanceof HttpError) return c.json(error.body(), error.status, error.headers);
    if (error instanceof SinkError) {
      const retryAfter = String(config.retryAfterSeconds);
      return c.json(
        { success: false, error: 'sink_unavailable', message: 'storage is unavailable; retry later' },
        503,
        { 'Retry-After': retryAfter },
      );
    }
    logger.log('error', 'unhandled error', { path: c.req.path, error: String(error) });
    return c.json({ success: false, error: 'internal_error', message: 'internal error' }, 500);
  });
  return app;
}
