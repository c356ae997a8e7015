import type { Config } from '../config/config.ts';
import type { Env } from '../config/env.ts';
import type { Logger } from '../ops/logger.ts';
import { parseSqliteUrl } from '../sinks/sqlite-schema.ts';
import { EventBus } from './bus.ts';
import { type InsightsReader, sqliteInsights } from './insights.ts';
import type { DebuggerDeps } from './routes.ts';

/** A random admin token (128 bits, base64url). */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** Whether the debugger is on: as configured, else everywhere but NODE_ENV=production. */
export function debuggerEnabled(config: Config, env: Env): boolean {
  return config.debugger.enabled ?? env.NODE_ENV !== 'production';
}

/** Opens a read-only better-sqlite3 connection for insights when the first sink is a SQLite file. */
export async function openSqliteInsights(config: Config): Promise<InsightsReader | undefined> {
  const [primary] = config.sinks;
  if (!primary?.startsWith('sqlite:')) return undefined;
  const { path } = parseSqliteUrl(primary);
  if (path === ':memory:') return undefined;
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { readonly: true, fileMustExist: true });
  return sqliteInsights(db);
}

/**
 * The debugger for a server runtime, or undefined when it is off. With no configured token one is
 * generated and the page's URL, token included, is logged once.
 */
export async function serverDebugger(
  config: Config,
  env: Env,
  logger: Logger,
  insights: () => Promise<InsightsReader | undefined>,
): Promise<DebuggerDeps | undefined> {
  if (!debuggerEnabled(config, env)) return undefined;
  const configured = config.debugger.token;
  const token = configured ?? generateToken();
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/debugger`;
  logger.log('info', 'debugger', {
    url: configured ? base : `${base}?token=${token}`,
    token: configured ? 'configured' : 'generated',
  });
  let reader: InsightsReader | undefined;
  try {
    reader = await insights();
  } catch (error) {
    logger.log('warn', 'debugger insights unavailable', { error: String(error) });
  }
  return { token, bus: new EventBus(), insights: reader };
}
