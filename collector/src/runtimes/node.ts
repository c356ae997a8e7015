import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createApp } from '../app.ts';
import { loadConfig } from '../config/load-file.ts';
import { jsonLogger } from '../ops/logger.ts';
import { Metrics } from '../ops/metrics.ts';
import { METRIC } from '../ops/names.ts';
import { fanOut } from '../sinks/fanout.ts';
import { openSinks, SERVER_SINKS } from '../sinks/from-url.ts';

const config = await loadConfig(process.env, process.cwd());
const logger = jsonLogger(config.logLevel);
const metrics = new Metrics();
const sinks = await openSinks(config.sinks, SERVER_SINKS, {
  env: process.env,
  timeoutMs: config.sinkTimeoutMs,
});
const sink = fanOut(sinks, config.sinkTimeoutMs, (name, seconds, ok) =>
  metrics.observe(...METRIC.sinkLatency, { sink: name, ok: String(ok) }, seconds),
);
const app = createApp({ config, sink, metrics, logger, socketIp: (c) => getConnInfo(c).remote.address });

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  logger.log('info', 'listening', { host: config.host, port: info.port, sinks: sink.name });
});

let stopping = false;
/** Stops taking connections, lets requests in flight finish their writes, then closes the sinks. */
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.log('info', 'shutting down', { signal });
  const force = setTimeout(() => {
    logger.log('warn', 'shutdown timed out; closing open connections', {
      timeoutMs: config.shutdownTimeoutMs,
    });
    if ('closeAllConnections' in server) server.closeAllConnections();
  }, config.shutdownTimeoutMs);
  force.unref();
  server.close(async () => {
    await sink.close();
    logger.log('info', 'stopped');
    process.exit(0);
  });
  if ('closeIdleConnections' in server) server.closeIdleConnections();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
