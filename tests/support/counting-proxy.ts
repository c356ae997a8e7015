import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a collector that counts, per messageId, the event requests (`/v1/batch`)
 * that carried it: what a network sees, whatever the browser reports or the store deduplicates.
 * `failNext` answers the next event requests 503 itself, as a collector that is down would.
 */
export interface CountingProxy {
  readonly url: string;
  /** Event requests per messageId. */
  readonly sends: Map<string, number>;
  /** Per messageId, the event requests carrying it that never reached the collector (answered 503 by the proxy, or lost on the way). */
  readonly refused: Map<string, number>;
  /** Receipts requests seen. */
  receipts: number;
  /** Every request in arrival order: time, path, the messageIds it carried or asked about, its answer. */
  readonly log: { at: number; path: string; ids: string[]; status?: number; answer?: string }[];
  /** Answer the next `n` event requests 503 without forwarding them. */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to the collector at `target`. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let failing = 0;
  const proxy: CountingProxy = {
    url: '',
    sends: new Map(),
    refused: new Map(),
    receipts: 0,
    log: [],
    failNext: (n) => void (failing = n),
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const entry: CountingProxy['log'][number] = { at: Date.now(), path, ids: [] };
      try {
        const sent = JSON.parse(body.toString()) as {
          batch?: { messageId?: string }[];
          messageIds?: string[];
        };
        entry.ids = sent.messageIds ?? (sent.batch ?? []).map((e) => String(e.messageId));
      } catch {
        // Not JSON: the collector will say so.
      }
      proxy.log.push(entry);
      if (req.method === 'POST' && path === '/v1/batch') {
        const { ids } = entry;
        for (const id of ids) proxy.sends.set(id, (proxy.sends.get(id) ?? 0) + 1);
        if (failing > 0) {
          failing--;
          entry.status = 503;
          for (const id of ids) proxy.refused.set(id, (proxy.refused.get(id) ?? 0) + 1);
          res.writeHead(503, {
            'retry-after': '1',
            'access-control-allow-origin': req.headers.origin ?? '*',
          });
          res.end('{"success":false}');
          return;
        }
      }
      if (req.method === 'POST' && path === '/v1/receipts') proxy.receipts++;
      const out = forward(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          // A connection per request: a kept-alive one the collector closed would lose the request.
          agent: false,
        },
        (answer) => {
          entry.status = answer.statusCode;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          if (path === '/v1/receipts') {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => (entry.answer = Buffer.concat(parts).toString()));
          }
          answer.pipe(res);
        },
      );
      out.on('error', () => {
        // Never reached the collector: for the count, as good as refused.
        entry.status = 502;
        if (path === '/v1/batch')
          for (const id of entry.ids) proxy.refused.set(id, (proxy.refused.get(id) ?? 0) + 1);
        res.destroy();
      });
      out.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  (proxy as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
