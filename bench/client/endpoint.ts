import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** Burst events one request carries; 0 for requests that are not the SDK's event sends. */
export type EventCounter = (path: string, body: string) => number;

/** What the endpoint received since the last `expect`. */
export interface Received {
  /** Requests other than CORS preflights. */
  requests: number;
  /** Burst events, as the current counter read them. */
  events: number;
}

/** A stand-in collector that accepts whatever any of the SDKs sends. */
export interface Endpoint {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Starts counting afresh, reading bodies with `counter` (the SDK under test's format). */
  expect(counter: EventCounter): void;
  received(): Received;
  /**
   * Resolves once `events` burst events have arrived, or no request has come for `quietMs` (the SDK
   * has sent what it kept), or `timeoutMs` has passed, whichever is first.
   */
  waitFor(events: number, quietMs: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * One node:http server on 127.0.0.1 that answers every request 200 with `{}` and permissive CORS
 * (the page's origin echoed, credentials allowed, any preflight granted): every SDK counts that as
 * delivered, so none retries and the figures are each SDK's own work, not the server's.
 */
export async function startEndpoint(): Promise<Endpoint> {
  let counter: EventCounter = () => 0;
  let received: Received = { requests: 0, events: 0 };
  let lastRequest = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'OPTIONS') {
        lastRequest = Date.now();
        received.requests++;
        received.events += safeCount(counter, req, Buffer.concat(chunks));
      }
      answer(req, res);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    expect(next) {
      counter = next;
      received = { requests: 0, events: 0 };
    },
    received: () => ({ ...received }),
    async waitFor(events, quietMs, timeoutMs) {
      const start = Date.now();
      // Quiet counts from the wait's start too: a long burst is not a quiet period.
      const waiting = () =>
        received.events < events &&
        Date.now() - start < timeoutMs &&
        Date.now() - Math.max(lastRequest, start) < quietMs;
      while (waiting()) await new Promise((r) => setTimeout(r, 50));
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    'access-control-allow-origin': req.headers.origin ?? '*',
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    'access-control-max-age': '600',
    'content-type': 'application/json',
  };
  res.writeHead(200, headers).end('{}');
}

/** Runs the counter on the body as the SDK encoded it: plain, gzip, or PostHog's `data=<base64>` form. */
function safeCount(counter: EventCounter, req: IncomingMessage, raw: Buffer): number {
  try {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    if (text.startsWith('data=')) {
      text = Buffer.from(decodeURIComponent(text.slice(5)), 'base64').toString('utf8');
    }
    return counter(path, text);
  } catch {
    return 0; // not a body the counter reads: not an event send
  }
}
