import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = resolve(import.meta.dirname, '../..');
const ROLLUP = join(ROOT, 'node_modules/rollup/dist/bin/rollup');
/** Written after a successful build; the bundles are current while it is newer than every input. */
const STAMP = join(ROOT, 'node_modules/.cache/trail/sdk-build-stamp');
const OUTPUTS = [
  'sdk-web/dist/trail.js',
  'sdk-web/dist/index.js',
  'sdk-web/dist/index.d.ts',
  'sdk-miniprogram/miniprogram_dist/index.js',
  'sdk-miniprogram/dist/index.mjs',
  'sdk-miniprogram/dist/index.d.ts',
].map((f) => join(ROOT, f));
const INPUTS = [
  'sdk-web/src',
  'sdk-core/src',
  'sdk-miniprogram/src',
  'sdk-miniprogram/package.json',
  'sdk-web/package.json',
  'sdk-core/package.json',
  'rollup.config.mjs',
  'scripts/size-plugin.mjs',
  'scripts/size-budgets.json',
  'tsconfig.json',
].map((p) => join(ROOT, p));

declare module 'vitest' {
  export interface ProvidedContext {
    /** Output of `npm run build` when it failed in the global setup; null when the bundles are good. */
    sdkBuildError: string | null;
  }
}

/**
 * Vitest global setup: runs the rollup build once before any test, so `npm test` works on a fresh
 * clone, and skips it while the bundles are newer than their sources. A failed build does not stop
 * the other suites: the browser tests read `inject('sdkBuildError')` and fail with the build output.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('sdkBuildError', await buildSdkIfStale());
}

/**
 * Runs the rollup build unless the bundles are newer than their sources (also `npm start`'s
 * prestart). Resolves to null when the bundles are good, else to the build's output.
 */
export async function buildSdkIfStale(): Promise<string | null> {
  if (upToDate()) return null;
  const { code, output } = await run(process.execPath, [ROLLUP, '-c', 'rollup.config.mjs']);
  if (code === 0) {
    mkdirSync(dirname(STAMP), { recursive: true });
    writeFileSync(STAMP, new Date().toISOString());
  }
  return code === 0 ? null : `npm run build exited with ${code}:\n${output}`;
}

function upToDate(): boolean {
  if (!existsSync(STAMP) || !OUTPUTS.every((f) => existsSync(f))) return false;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.every((input) => newest(input) < built);
}

/** Newest modification time of a file or of anything under a folder. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, output }));
  });
}
