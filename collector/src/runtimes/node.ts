// The Node entry, what `npm start` runs.
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { assemble, shutdownHandler } from './server.ts';
import { missingDemoFiles, mountDemo } from './static.ts';

const collector = await assemble(process.env, process.cwd(), (c) => getConnInfo(c).remote.address);
const { config, logger, sink, app } = collector;
if (config.demo) {
  mountDemo(app);
  const missing = missingDemoFiles();
  if (missing.length)
    logger.log('warn', 'demo files missing; run npm run build:examples', { missing: missing.join(', ') });
}

const { headersTimeoutMs, bodyTimeoutMs } = config.http;
const serverOptions = {
  headersTimeout: headersTimeoutMs,
  // Node's own limit on the whole request; the app answers 408 at bodyTimeoutMs before it.
  requestTimeout: headersTimeoutMs + bodyTimeoutMs,
  // Node checks both timeouts on this interval (30 s by default), which would stretch them.
  connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
};
const server = serve(
  { fetch: app.fetch, hostname: config.host, port: config.port, serverOptions },
  (info) => {
    logger.log('info', 'listening', { host: config.host, port: info.port, sinks: sink.name });
    if (config.demo) logger.log('info', 'demo', { shop: `http://${config.host}:${info.port}/shop/` });
  },
);

const shutdown = shutdownHandler(collector, {
  stop: () =>
    new Promise<void>((done) => {
      server.close(() => done());
      if ('closeIdleConnections' in server) server.closeIdleConnections();
    }),
  force: () => {
    if ('closeAllConnections' in server) server.closeAllConnections();
  },
  exit: (code) => process.exit(code),
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
