// The Bun entry: `bun collector/src/runtimes/bun.ts`. Same config, sinks and shutdown as Node; the
// embedded store goes through bun:sqlite, since better-sqlite3's native addon does not load in Bun.
import { bunSqliteSink } from '../sinks/bun-sqlite.ts';
import { parseSqliteUrl } from '../sinks/sqlite-schema.ts';
import { assemble, shutdownHandler } from './server.ts';

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
    /** Seconds a connection may stay idle (no bytes either way); 255 at most. */
    idleTimeout: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}
const { Bun } = globalThis as unknown as { Bun: BunApi };

const collector = await assemble(
  process.env,
  process.cwd(),
  (c) => (c.env as { remoteAddress?: string }).remoteAddress,
  async (url) => bunSqliteSink(parseSqliteUrl(url)),
);
const { config, logger, sink, app } = collector;

const server = Bun.serve({
  hostname: config.host,
  port: config.port,
  // Bun has no headers timeout of its own: a connection that sends nothing for this long is closed.
  idleTimeout: Math.min(255, Math.ceil(config.http.headersTimeoutMs / 1000)),
  fetch: (request, srv) => app.fetch(request, { remoteAddress: srv.requestIP(request)?.address }),
});
logger.log('info', 'listening', { host: config.host, port: server.port, sinks: sink.name });

const shutdown = shutdownHandler(collector, {
  stop: () => server.stop(),
  force: () => void server.stop(true),
  exit: (code) => process.exit(code),
});
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
