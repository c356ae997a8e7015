import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** tsx's loader, by file URL so that a child can import it whatever its working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A server under test, in a process of its own so that its memory is its own. */
export interface ServerProcess {
  url: string;
  /** Resident memory in MB: the peak since start (VmHWM) and now (VmRSS). */
  memory(): { peakMb: number; currentMb: number };
  /** Ends the process (SIGTERM, then SIGKILL after 5 s) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript server with Node and tsx (as `npm start` does), waits until GET `ready` on
 * `port` answers 2xx, and hands it back. Its output is kept to explain an early exit.
 */
export async function startServer(
  script: string,
  options: { port: number; args?: string[]; env?: Record<string, string>; cwd?: string; ready?: string },
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', TSX, script, ...(options.args ?? [])], {
    cwd: options.cwd,
    // Only what a server needs: nothing from the bench's own environment (NODE_OPTIONS …) leaks in.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!running()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilReady(`${url}${options.ready ?? '/'}`, running);
  } catch (error) {
    await stop();
    throw new Error(`${script} did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return {
    url,
    memory: () => memoryOf(child.pid!),
    stop,
  };
}

async function waitUntilReady(url: string, running: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!running()) throw new Error('it exited');
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no answer within 30 s');
}

/** VmHWM and VmRSS of a process, from Linux's /proc (in kB there). */
function memoryOf(pid: number): { peakMb: number; currentMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    if (!kb) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(kb) / 1024;
  };
  return { peakMb: mb('VmHWM'), currentMb: mb('VmRSS') };
}
