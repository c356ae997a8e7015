// Sends the hostile input corpus (hostile-corpus.ts) to one collector process, case by case: each
// must get its status and error code with a readable message, store exactly its valid events, put
// its invalid ones in failed_events, and leave the process up. After the whole corpus the process
// must still be healthy, within a memory bound, and store a normal batch as before.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse, ErrorResponse } from '../../sdk-core/src/protocol.ts';
import { type CollectorProcess, startCollector } from '../support/collector-process.ts';
import { basic, trackEvent } from '../support/events.ts';
import {
  HOSTILE_CONFIG,
  HOSTILE_CORPUS,
  type HostileCase,
  type HostileRequest,
  type StoredCheck,
} from './hostile-corpus.ts';

/** Resident memory the collector may reach after the whole corpus (it starts near 100 MB). */
const RSS_BOUND_MB = 400;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

const bodyBytes = (body: HostileRequest['body']): Buffer | undefined =>
  body === undefined
    ? undefined
    : Buffer.isBuffer(body)
      ? body
      : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');

/** The body in 64 KB chunks, so that fetch sends it chunked, with no Content-Length. */
const chunks = (bytes: Buffer): ReadableStream<Uint8Array> => {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + 65_536)));
      offset += 65_536;
    },
  });
};

/** Parses one HTTP/1.1 response once it is complete; undefined while more bytes are due. */
function parseResponse(bytes: Buffer, ended: boolean): Answer | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(end + 4);
  const length = headers.get('content-length');
  if (length !== null) {
    if (body.length < Number(length)) return undefined;
    body = body.subarray(0, Number(length));
  } else if (!ended) {
    return undefined;
  } else if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    const parts: Buffer[] = [];
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: body.toString('utf8') };
}

/** A request over a bare socket, declaring a Content-Length that fetch would refuse to send. */
function sendRaw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  declaredLength: number,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let done = false;
    const finish = (ended: boolean) => {
      if (done) return;
      const answer = parseResponse(Buffer.concat(received), ended);
      if (!answer && !ended) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(new Error(`connection closed without a complete answer: ${Buffer.concat(received)}`));
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    socket.on('connect', () => {
      const head = [
        `${method} ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Connection: close',
        `Content-Length: ${declaredLength}`,
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      if (body) socket.write(body);
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      finish(false);
    });
    // The collector may close while the rest of the declared body is still due.
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

async function send(base: string, request: HostileRequest): Promise<Answer> {
  const method = request.method ?? 'POST';
  const path = request.path ?? '/v1/batch';
  const headers: Record<string, string> = {};
  const contentType = request.contentType === undefined ? 'application/json' : request.contentType;
  if (contentType) headers['content-type'] = contentType;
  const writeKey = request.writeKey === undefined ? 'demo' : request.writeKey;
  if (writeKey !== null) headers.authorization = basic(writeKey);
  Object.assign(headers, request.headers);
  let body = bodyBytes(request.body);
  if (request.gzip && body) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  if (request.declaredLength !== undefined) {
    return sendRaw(base, method, path, headers, body, request.declaredLength);
  }
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (body && method !== 'GET' && method !== 'HEAD') {
    if (request.chunked) {
      init.body = chunks(body);
      init.duplex = 'half';
    } else {
      init.body = body as unknown as BodyInit;
    }
  }
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The value at a path of a parsed payload, through own properties only. */
function at(value: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key))
      return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return { found: true, value: current };
}

interface EventRow {
  message_id: string;
  timestamp: string;
  received_at: string;
  payload: string;
}

interface FailedRow {
  id: number;
  message_id: string | null;
  reason: string;
  payload: string;
}

const vmRssMb = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
};

describe('hostile input corpus', () => {
  let collector: CollectorProcess;

  const events = (ids: readonly string[]): EventRow[] =>
    ids.length === 0
      ? []
      : collector.query<EventRow>(
          `SELECT message_id, timestamp, received_at, payload FROM events WHERE message_id IN (${ids
            .map(() => '?')
            .join(',')})`,
          ...ids,
        );
  const eventCount = () => collector.query<{ n: number }>('SELECT count(*) AS n FROM events')[0]?.n ?? 0;
  const lastFailedId = () =>
    collector.query<{ id: number | null }>('SELECT max(id) AS id FROM failed_events')[0]?.id ?? 0;
  const failedSince = (id: number) =>
    collector.query<FailedRow>(
      'SELECT id, message_id, reason, payload FROM failed_events WHERE id > ? ORDER BY id',
      id,
    );

  const alive = () => {
    expect(collector.child.exitCode, collector.logs.slice(-20).join('\n')).toBeNull();
    expect(collector.child.signalCode).toBeNull();
  };

  const checkStored = (check: StoredCheck) => {
    const [row] = events([check.messageId]);
    expect(row, `event ${check.messageId} is stored`).toBeDefined();
    if (!row) return;
    const payload: unknown = JSON.parse(row.payload);
    for (const field of check.fields ?? []) {
      const got = at(payload, field.path);
      const where = `${check.messageId}: ${field.path.join('.')}`;
      if (field.absent) {
        expect(got.found, `${where} is absent`).toBe(false);
        continue;
      }
      expect(got.found, `${where} is present`).toBe(true);
      if ('equals' in field) expect(got.value, where).toEqual(field.equals);
      if (field.matches) expect(String(got.value), where).toMatch(field.matches);
    }
    if (check.timestampFromReceived !== undefined) {
      expect(Date.parse(row.timestamp) - Date.parse(row.received_at), `${check.messageId}: timestamp`).toBe(
        check.timestampFromReceived,
      );
    }
  };

  beforeAll(async () => {
    collector = await startCollector({ config: HOSTILE_CONFIG });
  });
  afterAll(async () => {
    if (collector) expect(await collector.stop()).toBe(0);
  });

  it('has at least 60 named cases, each name once', () => {
    expect(HOSTILE_CORPUS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(HOSTILE_CORPUS.map((c) => c.name)).size).toBe(HOSTILE_CORPUS.length);
  });

  it.each(HOSTILE_CORPUS)('$name', async (c: HostileCase) => {
    for (const request of c.before ?? []) expect((await send(collector.url, request)).status).toBe(200);
    const failedBefore = lastFailedId();
    const countBefore = eventCount();
    const x = c.expect;

    const answer = await send(collector.url, c.request);
    expect(answer.status, answer.text.slice(0, 300)).toBe(x.status);
    for (const [name, want] of Object.entries(x.headers ?? {})) {
      const got = answer.headers.get(name);
      if (want === null) expect(got, name).toBeNull();
      else if (typeof want === 'string') expect(got, name).toBe(want);
      else expect(got ?? '', name).toMatch(want);
    }

    const failed = failedSince(failedBefore);
    if (x.bodyless) {
      expect(answer.text).toBe('');
    } else if (x.status >= 400) {
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(answer.text) as ErrorResponse;
      expect(body).toMatchObject({ success: false, error: x.error });
      expect(typeof body.message).toBe('string');
      expect(body.message.trim().length).toBeGreaterThan(0);
      if (x.message) expect(body.message).toContain(x.message);
    } else {
      const body = JSON.parse(answer.text) as BatchResponse;
      expect(body.success).toBe(true);
      const rejected = x.rejected ?? [];
      expect(body.rejected.map((r) => r.index)).toEqual(rejected.map((r) => r.index));
      body.rejected.forEach((r, i) => expect(r.reason).toContain(rejected[i]?.reason));
      if (x.accepted !== undefined) expect(body.accepted).toBe(x.accepted);
      if (x.duplicates !== undefined) expect(body.duplicates).toBe(x.duplicates);
      if (x.droppedByConsent !== undefined) expect(body.droppedByConsent).toBe(x.droppedByConsent);
      // Every rejected event is kept in failed_events, with the reason the client was given.
      expect(failed.map((f) => f.reason)).toEqual(body.rejected.map((r) => r.reason));
      expect(failed.map((f) => f.message_id)).toEqual(body.rejected.map((r) => r.messageId ?? null));
    }
    if (x.status !== 200) {
      expect(eventCount()).toBe(countBefore);
      if (x.error === 'invalid_event') {
        // A single-event endpoint refuses its one invalid event, and keeps it like any other.
        const message = (JSON.parse(answer.text) as ErrorResponse).message;
        expect(failed.map((f) => f.reason)).toEqual([message]);
      } else {
        // A request refused as a whole stores nothing, not even a failed event.
        expect(failed).toEqual([]);
      }
    }
    if (x.failedPayloadMax !== undefined) {
      for (const f of failed) expect(f.payload.length).toBeLessThanOrEqual(x.failedPayloadMax);
    }
    for (const check of x.stored ?? []) checkStored(check);
    if (x.notStored) expect(events(x.notStored)).toEqual([]);
    alive();
  });

  describe('after the whole corpus', () => {
    it('is still up and healthy, and logged no unhandled error', async () => {
      alive();
      expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${collector.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${collector.url}/metrics`)).status).toBe(200);
      expect(collector.logs.filter((line) => line.includes('unhandled error'))).toEqual([]);
    });

    it(`stays under ${RSS_BOUND_MB} MB of resident memory`, () => {
      const pid = collector.child.pid;
      expect(pid).toBeDefined();
      expect(vmRssMb(pid!)).toBeLessThan(RSS_BOUND_MB);
    });

    it('stores a normal batch as before', async () => {
      const batch = [trackEvent(), trackEvent({ type: 'page', name: 'Home' }), trackEvent()];
      const answer = await send(collector.url, { body: { batch, sentAt: new Date().toISOString() } });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({
        success: true,
        accepted: 3,
        duplicates: 0,
        droppedByConsent: 0,
        rejected: [],
      });
      const rows = events(batch.map((e) => e.messageId));
      expect(rows.map((r) => r.message_id).sort()).toEqual(batch.map((e) => e.messageId).sort());
      const stored = JSON.parse(rows[0]!.payload) as Record<string, unknown>;
      expect(at(stored, ['polluted']).found).toBe(false);
      expect(at(stored, ['context', 'isAdmin']).found).toBe(false);
    });

    it('shows no sign of a polluted Object.prototype', async () => {
      // Had a payload set Object.prototype.batch or .anonymousId, these would be taken as given.
      const noBatch = await send(collector.url, { body: { writeKey: 'demo' } });
      expect(noBatch.status).toBe(400);
      expect(JSON.parse(noBatch.text)).toMatchObject({
        error: 'invalid_body',
        message: expect.stringMatching(/batch/),
      });
      const noIds = await send(collector.url, { body: { batch: [{ type: 'track', event: 'No Ids' }] } });
      expect(noIds.status).toBe(200);
      expect((JSON.parse(noIds.text) as BatchResponse).rejected).toEqual([
        { index: 0, reason: 'needs an anonymousId or a userId' },
      ]);
    });
  });
});

describe('hostile input: one client over the rate limit', () => {
  let collector: CollectorProcess;
  beforeAll(async () => {
    collector = await startCollector({
      config: { sources: [{ writeKey: 'demo' }], rateLimit: { perSecond: 1, burst: 2 }, demo: false },
    });
  });
  afterAll(async () => {
    if (collector) await collector.stop();
  });

  it('answers 429 rate_limited with Retry-After past the burst, and stores nothing of it', async () => {
    const batches = [trackEvent(), trackEvent(), trackEvent()];
    const answers: Answer[] = [];
    for (const event of batches) answers.push(await send(collector.url, { body: { batch: [event] } }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    const refused = answers[2]!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = JSON.parse(refused.text) as ErrorResponse;
    expect(body).toMatchObject({ success: false, error: 'rate_limited' });
    expect(body.message).toMatch(/retry in \d+ s/);
    const stored = collector
      .query<{ message_id: string }>('SELECT message_id FROM events')
      .map((r) => r.message_id);
    expect(stored.sort()).toEqual([batches[0]!.messageId, batches[1]!.messageId].sort());
  });
});
