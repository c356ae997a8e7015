import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { freePort } from '../../tests/support/free-port.ts';
import { type ServerProcess, startServer } from './process.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/** A server under test, started fresh (empty database) for each configuration. */
export interface Target {
  name: string;
  start(): Promise<RunningTarget>;
}

export interface RunningTarget extends ServerProcess {
  /** Events stored so far, or undefined for a server that stores nothing. */
  storedRows(): number | undefined;
}

/** Runs `open` in a fresh temporary folder, removed once the server stops. */
async function inTempDir(open: (dir: string) => Promise<RunningTarget>): Promise<RunningTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'trail-bench-collector-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const target = await open(dir);
    return {
      ...target,
      stop: async () => {
        await target.stop();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Counts rows with a read-only connection of its own; WAL lets it read beside the server's writes. */
function countRows(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const NULL_SERVER = join(import.meta.dirname, 'null-server.ts');

/** (a) node:http reading the body and parsing it, nothing else. */
export const nullServer: Target = {
  name: '(a) null server: node:http + JSON.parse',
  async start() {
    const port = await freePort();
    const server = await startServer(NULL_SERVER, { port, args: [`--port=${port}`] });
    return { ...server, storedRows: () => undefined };
  },
};

/** (b) the null server storing each event with one prepared insert, in one transaction per request. */
export const sqliteFloor = floor('(b) null server + SQLite insert', []);

/** (b′) as (b), into the collector's own table with its columns and indexes. */
export const trailSchemaFloor = floor('(b′) null server + SQLite insert, trail schema', ['--schema=trail']);

function floor(name: string, args: string[]): Target {
  return {
    name,
    start: () =>
      inTempDir(async (dir) => {
        const file = join(dir, 'events.db');
        const port = await freePort();
        const server = await startServer(NULL_SERVER, {
          port,
          args: [`--port=${port}`, `--sqlite=${file}`, ...args],
        });
        return { ...server, storedRows: () => countRows(file) };
      }),
  };
}

/**
 * (c) our collector as `npm start` runs it, without the demo pages and the debugger, logging only
 * warnings, storing in its default SQLite sink; the `demo` write key is the only source, and the
 * per-client rate limit is off because the bench is one client.
 */
export const ourCollector: Target = {
  name: '(c) trail collector',
  start: () =>
    inTempDir(async (dir) => {
      const file = join(dir, 'events.db');
      const port = await freePort();
      const server = await startServer(join(ROOT, 'collector/src/runtimes/node.ts'), {
        port,
        // In the temporary folder, so that no trail.config.* of the checkout applies.
        cwd: dir,
        env: {
          TRAIL_HOST: '127.0.0.1',
          TRAIL_PORT: String(port),
          TRAIL_SINKS: `sqlite:${file}`,
          TRAIL_WRITE_KEYS: 'demo',
          TRAIL_DEMO: '0',
          TRAIL_DEBUGGER: '0',
          TRAIL_LOG_LEVEL: 'warn',
          // One address sends everything here; the per-client limit would refuse most of it.
          TRAIL_RATE_LIMIT: '0',
        },
        ready: '/readyz',
      });
      return { ...server, storedRows: () => countRows(file) };
    }),
};
