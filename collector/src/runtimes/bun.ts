// The Bun entry: `bun collector/src/runtimes/bun.ts`. Same config, sinks and shutdown as Node; the
// embedded store goes through bun:sqlite, since better-sqlite3's native addon does not load in Bun.
import { createApp } from '../app.ts';
import { loadConfig } from '../config/load-file.ts';
import { jsonLogger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { bunSqliteSink } from '../sinks/bun-sqlite.ts';
import { fanOut } from '../sinks/fanout.ts';
import { openSinks, SERVER_SINKS } from '../sinks/from-url.ts';
import { parseSqliteUrl } from '../sinks/sqlite-schema.ts';

/** The part of Bun's API this entry uses (the types of `bun-types` are not installed). */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
interface BunApi {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}
const { Bun } = globalThis as unknown as { Bun: BunApi };

const config = await loadConfig(process.env, process.cwd());
const logger = jsonLogger(config.logLevel);
const metrics = new Metrics();
const sinks = await openSinks(
  config.sinks,
  {
    ...SERVER_SINKS,
    sqlite: (url) => bunSqliteSink(parseSqliteUrl(url)),
  },
  { env: process.env, timeoutMs: config.sinkTimeoutMs },
);
const sink = fanOut(sinks, config.sinkTimeoutMs, (name, seconds, ok) =>
  metrics.observe(...METRIC.sinkLatency, { sink: name, ok: String(ok) }, seconds),
);
const app = createApp({
  config,
  sink,
  metrics,
  logger,
  socketIp: (c) => (c.env as { remoteAddress?: string }).remoteAddress,
});

const server = Bun.serve({
  hostname: config.host,
  port: config.port,
  fetch: (request, srv) => app.fetch(request, { remoteAddress: srv.requestIP(request)?.address }),
});
logger.log('info', 'listening', { host: config.host, port: server.port, sinks: sink.name });

let stopping = false;
/** Stops taking connections, lets requests in flight finish their writes, then closes the sinks. */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'shutting down', { signal });
  const force = setTimeout(() => {
    logger.log('warn', 'shutdown timed out; closing open connections', {
      timeoutMs: config.shutdownTimeoutMs,
    });
    void server.stop(true);
  }, config.shutdownTimeoutMs);
  await server.stop();
  clearTimeout(force);
  await sink.close();
  logger.log('info', 'stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
