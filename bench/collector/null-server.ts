/**
 * The baselines the collector is measured against, run as a child process of the bench:
 *   node --import tsx null-server.ts --port=N                  read the body, JSON.parse it, answer 200
 *   node --import tsx null-server.ts --port=N --sqlite=FILE    … and first store each event in SQLite
 *   … --sqlite=FILE --schema=trail                              … into the collector's own tables
 * The SQLite variant is the floor cost of storing: the pragmas of our sink (sync-sqlite.ts), a table
 * with what it cannot do without (a unique messageId, the event as JSON), one prepared insert per
 * event and one transaction per request. With `--schema=trail` it writes the collector's columns
 * and indexes instead, which shows what the store's layout costs apart from the collector's work.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import type Database from 'better-sqlite3';
import type { StoredEvent } from '../../collector/src/sinks/sink.ts';
import { eventRow, INSERT_EVENT, SQLITE_SCHEMA_SCRIPT } from '../../collector/src/sinks/sqlite-schema.ts';

const { values } = parseArgs({
  options: { port: { type: 'string' }, sqlite: { type: 'string' }, schema: { type: 'string' } },
});

type Store = (events: { messageId: string }[]) => void;

async function openStore(path: string): Promise<Store> {
  const { default: open } = await import('better-sqlite3');
  const db = open(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const insert = values.schema === 'trail' ? trailTable(db) : bareTable(db);
  const store = db.transaction((events: { messageId: string }[]) => {
    for (const event of events) insert(event);
  });
  // BEGIN IMMEDIATE, as our sink begins its transactions.
  return (events) => store.immediate(events);
}

function bareTable(db: Database.Database): (event: { messageId: string }) => void {
  db.exec('CREATE TABLE events (message_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)');
  const insert = db.prepare('INSERT OR IGNORE INTO events (message_id, payload) VALUES (?, ?)');
  return (event) => insert.run(event.messageId, JSON.stringify(event));
}

function trailTable(db: Database.Database): (event: { messageId: string }) => void {
  db.exec(SQLITE_SCHEMA_SCRIPT);
  const insert = db.prepare(INSERT_EVENT);
  const receivedAt = new Date().toISOString();
  return (event) => insert.run(...eventRow({ ...event, receivedAt, source: 'demo' } as StoredEvent));
}

const store = values.sqlite ? await openStore(values.sqlite) : undefined;

const server = createServer((req, res) => {
  // GET answers the bench's readiness check.
  if (req.method !== 'POST') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch: { messageId: string }[] };
    store?.(body.batch);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
  });
});
server.listen(Number(values.port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
