import type { Context, Hono } from 'hono';
import { createApp } from '../app.ts';
import type { Config } from '../config/config.ts';
import type { Env } from '../config/env.ts';
import { openSqliteInsights, serverDebugger } from '../debugger/setup.ts';
import { loadConfig } from '../config/load-file.ts';
import { isLoopbackHost } from '../ingest/ip.ts';
import { jsonLogger, type Logger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { fanOut } from '../sinks/fanout.ts';
import { openSinks, SERVER_SINKS, type SinkFactory } from '../sinks/from-url.ts';
import type { Sink } from '../sinks/sink.ts';

/** A collector assembled for a server runtime, before it listens. */
export interface ServerCollector {
  config: Config;
  logger: Logger;
  sink: Sink;
  app: Hono;
  /** Ends the debugger's live streams, so that shutdown need not wait for open pages. */
  closeStreams?: () => void;
}

/**
 * Config from file and env, the sinks it names (with the runtime's own embedded store), metrics and
 * the app: everything Node, Bun and Deno share. `socketIp` reads the peer address the runtime gives.
 */
export async function assemble(
  env: Env,
  cwd: string,
  socketIp: (c: Context) => string | undefined,
  sqlite?: SinkFactory,
): Promise<ServerCollector> {
  const config = await loadConfig(env, cwd);
  const logger = jsonLogger(config.logLevel);
  const metrics = new Metrics();
  const factories = sqlite ? { ...SERVER_SINKS, sqlite } : SERVER_SINKS;
  const sinks = await openSinks(config.sinks, factories, { env, timeoutMs: config.sinkTimeoutMs });
  const sink = fanOut(sinks, config.sinkTimeoutMs, (name, seconds, ok) =>
    metrics.observe(...METRIC.sinkLatency, { sink: name, ok: String(ok) }, seconds),
  );
  // Insights read the SQLite file through better-sqlite3, so on Node only (Bun and Deno pass `sqlite`).
  const debug = await serverDebugger(config, env, logger, async () =>
    sqlite ? undefined : openSqliteInsights(config),
  );
  return {
    config,
    logger,
    sink,
    app: createApp({
      config,
      sink,
      metrics,
      logger,
      socketIp,
      loopbackOnly: isLoopbackHost(config.host),
      debugger: debug,
    }),
    closeStreams: debug ? () => debug.bus.closeAll() : undefined,
  };
}

/** How a runtime stops its server: gently (requests in flight finish), or at once. */
export interface Stopper {
  stop(): Promise<void>;
  force(): void;
  exit(code: number): void;
}

/**
 * A signal handler that stops taking connections, lets requests in flight finish their writes, then
 * closes the sinks; past `shutdownTimeoutMs` it closes what is still open.
 */
export function shutdownHandler(
  { config, logger, sink, closeStreams }: ServerCollector,
  server: Stopper,
): (signal: string) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'shutting down', { signal });
    closeStreams?.();
    const force = setTimeout(() => {
      logger.log('warn', 'shutdown timed out; closing open connections', {
        timeoutMs: config.shutdownTimeoutMs,
      });
      server.force();
    }, config.shutdownTimeoutMs);
    void server
      .stop()
      .then(() => {
        clearTimeout(force);
        return sink.close();
      })
      .then(() => {
        logger.log('info', 'stopped');
        server.exit(0);
      });
  };
}
