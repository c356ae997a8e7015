import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { ConfigInput } from '../../collector/src/config/config.ts';
import { freePort } from './free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const TSX = pathToFileURL(require.resolve('tsx')).href;
const ENTRY = (name: string) => join(ROOT, `collector/src/runtimes/${name}.ts`);
const WRANGLER_TOML = join(ROOT, 'examples/cloudflare-worker/wrangler.toml');

/** The runtimes the collector has an entry for. */
export type Runtime = 'node' | 'workers' | 'bun' | 'deno';
export const RUNTIMES: readonly Runtime[] = ['node', 'workers', 'bun', 'deno'];

/** Name of the embedded store's sink on each runtime, as /metrics labels it. */
export const STORE_SINK: Record<Runtime, string> = {
  node: 'sqlite',
  workers: 'd1',
  bun: 'sqlite',
  deno: 'sqlite',
};

/** A collector running as its own process, as `npm start` (or its runtime's command) runs it. */
export interface CollectorProcess {
  runtime: Runtime;
  url: string;
  dir: string;
  /** The embedded store's SQLite file (for Workers: the D1 database workerd persists). */
  readonly dbPath: string;
  logs: string[];
  child: ChildProcess;
  /** Opens the embedded store read-only for assertions. */
  query<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[];
  /** Sends a signal and waits for the process to exit; resolves to its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options for one collector process. */
export interface StartOptions {
  /** Which entry to start; Node by default. */
  runtime?: Runtime;
  config?: ConfigInput;
  env?: Record<string, string>;
  /** Reuse a folder (and so its database) across restarts. */
  dir?: string;
  /** Start with no config file at all, as a fresh clone's `npm start` does. */
  zeroConfig?: boolean;
}

const PLATFORM = `${process.platform}-${process.arch === 'arm64' ? 'aarch64' : 'x64'}`;

/** The first candidate that is a real executable (an npm postinstall may have moved it). */
function firstBinary(candidates: string[]): string | undefined {
  for (const candidate of candidates) {
    try {
      const path = require.resolve(candidate);
      // The launcher packages hold a small placeholder until their postinstall replaces it.
      if (statSync(path).size > 1_000_000) return path;
    } catch {
      // not installed
    }
  }
  return undefined;
}

/** The binary that runs a runtime, from its npm package; undefined when it is not installed here. */
export function runtimeBinary(runtime: Runtime): string | undefined {
  switch (runtime) {
    case 'node':
      return process.execPath;
    case 'workers':
      return require.resolve('wrangler/bin/wrangler.js');
    case 'bun':
      return firstBinary(['bun/bin/bun.exe', `@oven/bun-${PLATFORM}/bin/bun`]);
    case 'deno': {
      const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
      const pkg = `@deno/${process.platform}-${arch}`;
      return firstBinary(['deno/deno', `${pkg}-glibc/deno`, `${pkg}/deno`]);
    }
  }
}

/** Why a runtime cannot start here, or undefined when it can. */
export function unavailable(runtime: Runtime): string | undefined {
  if (runtime === 'node' || runtime === 'workers') return undefined; // these must always run
  return runtimeBinary(runtime) ? undefined : `the ${runtime} npm package has no binary for ${PLATFORM}`;
}

/** The command that starts a runtime's entry with a config, and the port it will listen on if known. */
async function command(
  runtime: Runtime,
  dir: string,
  configPath: string | undefined,
  config: ConfigInput,
): Promise<{ file: string; args: string[]; env: Record<string, string>; port?: number }> {
  const binary = runtimeBinary(runtime);
  if (!binary) throw new Error(unavailable(runtime));
  switch (runtime) {
    case 'node':
      return { file: binary, args: ['--import', TSX, ENTRY('node')], env: {} };
    case 'bun':
      return { file: binary, args: [ENTRY('bun')], env: { BUN_DISABLE_TELEMETRY: '1' } };
    case 'deno':
      return {
        file: binary,
        args: ['run', '-A', '--no-prompt', ENTRY('deno')],
        env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
      };
    case 'workers': {
      if (!configPath) throw new Error('Workers read their config from variables: zeroConfig does not apply');
      const port = await freePort();
      return {
        file: process.execPath,
        args: [
          binary,
          'dev',
          '--config',
          WRANGLER_TOML,
          '--local',
          '--persist-to',
          join(dir, 'wrangler-state'),
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--inspector-port',
          String(await freePort()),
          '--show-interactive-dev-session=false',
          '--var',
          `TRAIL_CONFIG:${JSON.stringify(config)}`,
          // The example sets TRAIL_WRITE_KEYS, which would replace the sources of TRAIL_CONFIG.
          ...(config.sources ? ['--var', 'TRAIL_WRITE_KEYS:'] : []),
        ],
        // Offline: no metrics, no error reports, no update check (it hides with the banner), no
        // download of the `request.cf` sample data, and wrangler's own settings in the temp folder.
        env: {
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          WRANGLER_HIDE_BANNER: 'true',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          XDG_CONFIG_HOME: join(dir, 'config'),
          MINIFLARE_CACHE_DIR: join(dir, 'cache'),
          CI: 'true',
        },
        port,
      };
    }
  }
}

/** The SQLite file of the D1 database that workerd persists under `--persist-to`. */
function d1File(dir: string): string {
  const folder = join(dir, 'wrangler-state/v3/d1/miniflare-D1DatabaseObject');
  const file = existsSync(folder)
    ? readdirSync(folder).find((name) => name.endsWith('.sqlite') && name !== 'metadata.sqlite')
    : undefined;
  if (!file) throw new Error(`no D1 database under ${folder} yet`);
  return join(folder, file);
}

async function waitForHttp(url: string, exited: Promise<unknown>, logs: string[]): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`collector exited before listening:\n${logs.join('\n')}`);
    try {
      // /readyz also makes the D1 sink create its schema, so the database file exists from here on.
      if ((await fetch(`${url}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`collector did not answer within 45 s:\n${logs.join('\n')}`);
}

/** Starts a collector on a free port in a temporary folder and waits until it answers. */
export async function startCollector(options: StartOptions = {}): Promise<CollectorProcess> {
  const runtime = options.runtime ?? 'node';
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `trail-collector-${runtime}-`));
  const configPath = join(dir, 'trail.config.json');
  const config: ConfigInput = { port: 0, ...options.config };
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (options.zeroConfig) env.TRAIL_PORT = '0';
  else {
    writeFileSync(configPath, JSON.stringify(config));
    env.TRAIL_CONFIG = configPath;
  }
  const cmd = await command(runtime, dir, options.zeroConfig ? undefined : configPath, config);
  if (runtime === 'workers') mkdirSync(join(dir, 'config'), { recursive: true });
  const child = spawn(cmd.file, cmd.args, {
    cwd: dir,
    env: { ...env, ...cmd.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // wrangler starts workerd as its own child: a process group lets stop() end both.
    detached: runtime === 'workers',
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const listening = new Promise<number>((done, fail) => {
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
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    if (runtime === 'workers' && child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
    return exited;
  };
  let url: string;
  try {
    if (cmd.port !== undefined) {
      url = `http://127.0.0.1:${cmd.port}`;
      listening.catch(() => {}); // wrangler logs no JSON `listening` line; exits are seen below
      await waitForHttp(url, exited, logs);
    } else {
      url = `http://127.0.0.1:${await listening}`;
    }
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
  const dbPathOf = () => (runtime === 'workers' ? d1File(dir) : join(dirname(configPath), 'data/events.db'));
  return {
    runtime,
    url,
    dir,
    get dbPath() {
      return dbPathOf();
    },
    logs,
    child,
    query<T>(sql: string, ...params: unknown[]) {
      const db = new Database(dbPathOf(), { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    stop,
  };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
