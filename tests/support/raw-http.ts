import { connect, type Socket } from 'node:net';

/** An HTTP answer as read off the socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** An HTTP/1.1 request written by hand on its own TCP connection, so a test controls its pace. */
export interface RawRequest {
  /** The answer once it is complete; undefined when the connection closed without one. */
  answer: Promise<RawAnswer | undefined>;
  /** Whether the answer is complete already. */
  readonly answered: boolean;
  /** Settles once the connection is closed, by either side. */
  closed: Promise<void>;
  /** Sends more of the request. */
  write(data: string | Buffer): void;
  close(): void;
}

/** Options of one hand-written request. */
export interface RawRequestOptions {
  method?: string;
  /** Path and query; `/v1/batch` unless told. */
  path?: string;
  headers?: Record<string, string>;
  /** What is sent of the body at first; send the rest with `write`. */
  body?: string | Buffer;
  /** Content-Length to announce; the length of `body` unless told. */
  contentLength?: number;
  /** Local address to connect from (any of 127.0.0.0/8 on Linux), so that tests have several clients. */
  localAddress?: string;
  /** Send only this much of the head (request line and headers), to stall inside it. */
  headBytes?: number;
}

function parse(buffer: Buffer): RawAnswer | undefined {
  const end = buffer.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = buffer.subarray(end + 4);
  const length = Number(headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(length) && body.length < length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, text: body.toString('utf8') };
}

/** Opens a connection to the collector at `url` and writes the head and the first part of a body. */
export function openRequest(url: string, options: RawRequestOptions = {}): Promise<RawRequest> {
  const { hostname, port } = new URL(url);
  const body = Buffer.from(options.body ?? '');
  const headers: Record<string, string> = {
    host: `${hostname}:${port}`,
    'content-type': 'application/json',
    'content-length': String(options.contentLength ?? body.length),
    ...options.headers,
  };
  const head = Buffer.from(
    `${options.method ?? 'POST'} ${options.path ?? '/v1/batch'} HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`,
    'latin1',
  );
  return new Promise((opened, failed) => {
    const socket: Socket = connect({
      host: hostname,
      port: Number(port),
      localAddress: options.localAddress,
    });
    let received = Buffer.alloc(0);
    let answered = false;
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    const answer = new Promise<RawAnswer | undefined>((done) => {
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const parsed = parse(received);
        if (parsed && !answered) {
          answered = true;
          done(parsed);
        }
      });
      socket.on('close', () => done(parse(received)));
      socket.on('error', () => done(parse(received)));
    });
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      socket.write(
        options.headBytes === undefined ? Buffer.concat([head, body]) : head.subarray(0, options.headBytes),
      );
      opened({
        answer,
        closed,
        get answered() {
          return answered;
        },
        write: (data) => void socket.write(data),
        close: () => socket.destroy(),
      });
    });
  });
}
