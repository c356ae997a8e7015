import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { ConfigInput } from '../../collector/src/config/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'collector/src/runtimes/node.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A collector running as its own process, as `npm start` runs it. */
export interface CollectorProcess {
  url: string;
  dir: string;
  dbPath: string;
  logs: string[];
  child: ChildProcess;
  /** Opens the embedded store read-only for assertions. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  /** Sends a signal and waits for the process to exit; resolves to its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options for one collector process. */
export interface StartOptions {
  config?: ConfigInput;
  env?: Record<string, string>;
  /** Reuse a folder (and so its database) across restarts. */
  dir?: string;
  /** Start with no config file at all, as a fresh clone's `npm start` does. */
  zeroConfig?: boolean;
}

/** Starts the Node collector on a free port in a temporary folder and waits until it listens. */
export async function startCollector(options: StartOptions = {}): Promise<CollectorProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'trail-collector-'));
  const configPath = join(dir, 'trail.config.json');
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, ...options.env };
  if (options.zeroConfig) env.TRAIL_PORT = '0';
  else {
    writeFileSync(configPath, JSON.stringify({ port: 0, ...options.config }));
    env.TRAIL_CONFIG = configPath;
  }
  const child = spawn(process.execPath, ['--import', TSX, ENTRY], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const port = await new Promise<number>((done, fail) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        const entry = parseLine(line);
        if (entry?.msg === 'listening' && typeof entry.port === 'number') done(entry.port);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    void exited.then((code) =>
      fail(new Error(`collector exited with ${code} before listening:\n${logs.join('\n')}`)),
    );
  });
  const dbPath = join(dir, 'data/events.db');
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    dbPath,
    logs,
    child,
    query<T>(sql: string, ...params: unknown[]) {
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
