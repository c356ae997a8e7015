// The Deno entry: `deno run -A collector/src/runtimes/deno.ts`. Same config, sinks and shutdown as
// Node; the embedded store goes through node:sqlite, since Deno cannot load better-sqlite3 (a
// V8/nan addon). Server sinks other than SQLite run through Deno's npm compatibility.
import { createApp } from '../app.ts';
import { loadConfig } from '../config/load-file.ts';
import { jsonLogger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { fanOut } from '../sinks/fanout.ts';
import { openSinks, SERVER_SINKS } from '../sinks/from-url.ts';
import { nodeSqliteSink } from '../sinks/node-sqlite.ts';
import { parseSqliteUrl } from '../sinks/sqlite-schema.ts';

/** The part of Deno's API this entry uses (Deno's own types are not installed). */
interface DenoServer {
  shutdown(): Promise<void>;
}
interface DenoApi {
  env: { toObject(): Record<string, string> };
  cwd(): string;
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  serve(
    options: { hostname: string; port: number; onListen(addr: { port: number }): void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoServer;
}
const { Deno } = globalThis as unknown as { Deno: DenoApi };

const env = Deno.env.toObject();
const config = await loadConfig(env, Deno.cwd());
const logger = jsonLogger(config.logLevel);
const metrics = new Metrics();
const sinks = await openSinks(
  config.sinks,
  {
    ...SERVER_SINKS,
    sqlite: (url) => nodeSqliteSink(parseSqliteUrl(url)),
  },
  { env, timeoutMs: config.sinkTimeoutMs },
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

const server = Deno.serve(
  {
    hostname: config.host,
    port: config.port,
    onListen: ({ port }) => logger.log('info', 'listening', { host: config.host, port, sinks: sink.name }),
  },
  (request, info) => app.fetch(request, { remoteAddress: info.remoteAddr.hostname }),
);

let stopping = false;
/** Stops taking connections, lets requests in flight finish their writes, then closes the sinks. */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'shutting down', { signal });
  const force = setTimeout(() => {
    logger.log('warn', 'shutdown timed out; exiting', { timeoutMs: config.shutdownTimeoutMs });
    Deno.exit(1);
  }, config.shutdownTimeoutMs);
  await server.shutdown();
  clearTimeout(force);
  await sink.close();
  logger.log('info', 'stopped');
  Deno.exit(0);
}
Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'));
Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'));
