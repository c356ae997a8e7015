// The Deno entry: `deno run -A collector/src/runtimes/deno.ts`. Same config, sinks and shutdown as
// Node; the embedded store goes through node:sqlite, since Deno cannot load better-sqlite3 (a
// V8/nan addon). Server sinks other than SQLite run through Deno's npm compatibility.
import { nodeSqliteSink } from '../sinks/node-sqlite.ts';
import { parseSqliteUrl } from '../sinks/sqlite-schema.ts';
import { assemble, shutdownHandler } from './server.ts';

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

const collector = await assemble(
  Deno.env.toObject(),
  Deno.cwd(),
  (c) => (c.env as { remoteAddress?: string }).remoteAddress,
  async (url) => nodeSqliteSink(parseSqliteUrl(url)),
);
const { config, logger, sink, app } = collector;

const server = Deno.serve(
  {
    hostname: config.host,
    port: config.port,
    onListen: ({ port }) => logger.log('info', 'listening', { host: config.host, port, sinks: sink.name }),
  },
  (request, info) => app.fetch(request, { remoteAddress: info.remoteAddr.hostname }),
);

const shutdown = shutdownHandler(collector, {
  stop: () => server.shutdown(),
  force: () => Deno.exit(1),
  exit: (code) => Deno.exit(code),
});
Deno.addSignalListener('SIGTERM', () => shutdown('SIGTERM'));
Deno.addSignalListener('SIGINT', () => shutdown('SIGINT'));
