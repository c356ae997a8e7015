import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, type ConfigInput, parseConfig } from './config.ts';
import { applyEnv, type Env } from './env.ts';

const DEFAULT_FILES = ['trail.config.ts', 'trail.config.mjs', 'trail.config.js', 'trail.config.json'];

/** Reads a config file: JSON, or a module whose default export is the config. */
async function readConfigFile(path: string): Promise<ConfigInput> {
  if (path.endsWith('.json')) return JSON.parse(readFileSync(path, 'utf8')) as ConfigInput;
  const module = (await import(pathToFileURL(path).href)) as { default?: ConfigInput };
  return module.default ?? {};
}

/**
 * The config for server runtimes: the file named by TRAIL_CONFIG, else a trail.config.* in the
 * working directory, else defaults; TRAIL_* variables override it.
 */
export async function loadConfig(env: Env, cwd: string): Promise<Config> {
  const named = env.TRAIL_CONFIG ? resolve(cwd, env.TRAIL_CONFIG) : undefined;
  if (named && !existsSync(named)) throw new Error(`TRAIL_CONFIG names ${named}, which does not exist`);
  const file = named ?? DEFAULT_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  const base = file ? await readConfigFile(file) : {};
  return parseConfig(applyEnv(base, env));
}
