import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** Path and query exactly as sent. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** `Date.now()` when the body was complete. */
  at: number;
}

/** Answers one request; the default answers 200 with an empty body. */
export type Reply = (req: ReceivedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A local HTTP server standing in for a remote service (ClickHouse, a webhook receiver): it records
 * every request exactly as it arrived and answers as the test says.
 */
export interface HttpReceiver {
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** How the next requests are answered; replace it at any time. */
  reply: Reply;
  /** Stops listening and drops every open connection: the service is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startReceiver(
  reply: Reply = (_req, res) => {
    res.end();
  },
): Promise<HttpReceiver> {
  let server: Server | undefined;
  let port = 0;
  const receiver: HttpReceiver = {
    get port() {
      return port;
    },
    requests: [],
    reply,
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      const closed = new Promise<void>((done) => current.close(() => done()));
      current.closeAllConnections();
      await closed;
    },
    start: () =>
      new Promise<void>((done, fail) => {
        const next = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (chunk: Buffer) => chunks.push(chunk));
          req.on('end', () => {
            const url = new URL(req.url ?? '/', 'http://receiver');
            const received: ReceivedRequest = {
              method: req.method ?? '',
              path: url.pathname,
              query: url.searchParams,
              rawUrl: req.url ?? '',
              headers: req.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              at: Date.now(),
            };
            receiver.requests.push(received);
            Promise.resolve(receiver.reply(received, res)).catch((error: unknown) => {
              res.statusCode = 599;
              res.end(String(error));
            });
          });
        });
        next.once('error', fail);
        next.listen(port, '127.0.0.1', () => {
          const address = next.address();
          if (address && typeof address === 'object') port = address.port;
          server = next;
          done();
        });
      }),
  };
  await receiver.start();
  return receiver;
}

/** Answers with a status and a text body. */
export function answer(
  res: ServerResponse,
  status: number,
  body = '',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/** Drops the connection without an answer: the request may have been stored, the ack is lost. */
export function hangUp(res: ServerResponse): void {
  res.socket?.destroy();
}
