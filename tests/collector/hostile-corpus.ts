// The hostile input corpus: requests a collector on the open internet will be sent, by broken
// clients, scanners and people probing it, each with the answer it must get. Data only; the
// runner is hostile.test.ts, which sends every case to one collector process started with
// HOSTILE_CONFIG and checks the answer, the store and that the process is still well.
import { gzipSync } from 'node:zlib';
import type { ConfigInput } from '../../collector/src/config/config.ts';

/** The collector the corpus is written for. Its per-client rate limit is off: every case comes from 127.0.0.1. */
export const HOSTILE_CONFIG: ConfigInput = {
  sources: [
    // Browser sources, each for its own site.
    { writeKey: 'demo', allowedOrigins: ['https://app.example'] },
    { writeKey: 'shop', name: 'web-shop', allowedOrigins: ['https://shop.example'] },
    // A server-side source: no browser origin at all.
    { writeKey: 'server', allowedOrigins: [] },
    { writeKey: 'optin', allowedOrigins: ['https://app.example'], consentMode: 'opt-in' },
  ],
  // No source allows `*`: a preflight carries no write key, so one `*` source would let every
  // origin's preflight through.
  rateLimit: { perSecond: 0 },
  demo: false,
};

/** How one request is built. */
export interface HostileRequest {
  /** POST unless told. */
  method?: string;
  /** `/v1/batch` unless told. */
  path?: string;
  /** Sent as Basic auth user; `null` sends no Authorization header. `demo` unless told. */
  writeKey?: string | null;
  /** `application/json` unless told; `null` sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Bytes or text as they are; anything else is sent as its JSON. */
  body?: Buffer | string | object;
  /** Gzip the body and say so in Content-Encoding. */
  gzip?: boolean;
  /** Stream the body in 64 KB chunks with no Content-Length (chunked transfer encoding). */
  chunked?: boolean;
  /**
   * Declare this Content-Length whatever the body's real length; sent over a raw socket, since
   * fetch refuses a mismatch.
   */
  declaredLength?: number;
}

/** What must be true of one stored event (read back from the `events` table). */
export interface StoredCheck {
  messageId: string;
  /** Values in the stored payload by path, own properties only (so `__proto__` is plain data). */
  fields?: { path: string[]; equals?: unknown; matches?: RegExp; absent?: true }[];
  /** The stored `timestamp` is exactly `receivedAt` plus this many ms (skew correction). */
  timestampFromReceived?: number;
}

/** The answer a case must get. */
export interface Expectation {
  status: number;
  /** The JSON answer's `error` code; unset for a 2xx and for `bodyless` answers. */
  error?: string;
  /** A substring of the answer's `message` (every error answer has a non-empty one). */
  message?: string;
  /**
   * No JSON body: answers made before the app sees the request (Node's HTTP parser: 431) or
   * a refused CORS preflight, whose body no browser ever exposes.
   */
  bodyless?: boolean;
  /** Response headers: a value, a pattern, or null for "absent". */
  headers?: Record<string, string | RegExp | null>;
  /** 200 answers: the counts in the answer. */
  accepted?: number;
  duplicates?: number;
  droppedByConsent?: number;
  /**
   * 200 answers: exactly these events are listed in `rejected` (and written to failed_events in
   * this order), each with a reason containing `reason`. Unset means none.
   */
  rejected?: { index: number; reason: string }[];
  /** Events that must be in the store afterwards. */
  stored?: StoredCheck[];
  /** Message ids that must not be in the store afterwards. */
  notStored?: string[];
  /** Longest a failed_events payload of this case may be (the collector truncates them). */
  failedPayloadMax?: number;
}

export interface HostileCase {
  name: string;
  /** Requests sent first, each of which must be answered 200 (e.g. the first send of a replay). */
  before?: HostileRequest[];
  request: HostileRequest;
  expect: Expectation;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

let sequence = 0;
/** A message id unique in this corpus. */
const nextId = (tag: string) => `hostile-${tag}-${++sequence}`;

type Ev = Record<string, unknown> & { messageId: string };

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

/** A valid track event with a fresh messageId; override or add any field. */
export function valid(overrides: Record<string, unknown> = {}, tag = 'ok'): Ev {
  return {
    type: 'track',
    event: 'Hostile Probe',
    messageId: nextId(tag),
    anonymousId: 'anon-hostile',
    timestamp: iso(NOW),
    properties: { plan: 'gold' },
    ...overrides,
  };
}

/**
 * An event's JSON with members appended as raw JSON text, for what JSON.stringify cannot write.
 * Pairs rather than an object literal, in which `__proto__` would set the prototype.
 */
const withRaw = (event: Ev, members: Record<string, string> | [string, string][]): string => {
  const text = JSON.stringify(event);
  const pairs = Array.isArray(members) ? members : Object.entries(members);
  const extra = pairs.map(([key, raw]) => `${JSON.stringify(key)}:${raw}`);
  return `${text.slice(0, -1)},${extra.join(',')}}`;
};

/** A batch body of events, each either an object or raw JSON text. */
const rawBatch = (...events: (Ev | string)[]): string =>
  `{"batch":[${events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join(',')}]}`;

const deepObject = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const deepArray = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

/** An event with no properties of its own, to carry raw ones. */
const bare = (tag: string): Ev => {
  const event = valid({}, tag);
  delete event.properties;
  return event;
};

const ok = (...events: Ev[]): Expectation['stored'] => events.map((e) => ({ messageId: e.messageId }));
const ids = (...events: Ev[]) => events.map((e) => e.messageId);

/** Properties object with `count` distinct keys. */
const manyProperties = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, i]));

const utf8 = (text: string) => Buffer.from(text, 'utf8');
/** A batch body whose one event's name holds `bytes` verbatim (for byte-level UTF-8 cases). */
const withBytesInName = (event: Ev, bytes: number[]): Buffer => {
  const [head, tail] = rawBatch({ ...event, event: '\u0001' }).split('\\u0001');
  return Buffer.concat([utf8(head ?? ''), Buffer.from(bytes), utf8(tail ?? '')]);
};

const gzipped = gzipSync(JSON.stringify({ batch: [valid()] }));
const MB = 1024 * 1024;

const REQUIRED = 'is required';
const NOT_OBJECT = 'event must be an object';
const TOO_DEEP = 'nested deeper than 64 levels';

// ---------------------------------------------------------------------------------------------
// The cases, by theme. Events are made once, here, so that each case knows the ids it checks.

const cases: HostileCase[] = [];
const add = (c: HostileCase) => cases.push(c);

// -- Bodies that are not a JSON object ---------------------------------------------------------
{
  const emptyMessage = 'request body is empty';
  add({
    name: 'empty body',
    request: { body: '' },
    expect: { status: 400, error: 'invalid_body', message: emptyMessage },
  });
  add({
    name: 'whitespace-only body',
    request: { body: ' \r\n\t ' },
    expect: { status: 400, error: 'invalid_body', message: emptyMessage },
  });
  const notObject = 'body must be a JSON object';
  add({
    name: 'top-level null',
    request: { body: 'null' },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
  add({
    name: 'top-level array of events',
    request: { body: [valid()] },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
  add({
    name: 'top-level number',
    request: { body: '42' },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
  add({
    name: 'top-level string',
    request: { body: '"batch"' },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
  add({
    name: 'top-level true',
    request: { body: 'true' },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
  add({
    name: 'top-level array nested 10,000 levels',
    request: { body: deepArray(10_000) },
    expect: { status: 400, error: 'invalid_body', message: notObject },
  });
}

// -- Not JSON at all, or almost JSON -----------------------------------------------------------
{
  const e = JSON.stringify(valid());
  const notJson = (name: string, body: string) =>
    add({
      name,
      request: { body },
      expect: { status: 400, error: 'invalid_json', message: 'body is not JSON' },
    });
  notJson('plain text', 'hello collector');
  notJson('HTML form post', '<html><body>batch</body></html>');
  notJson('truncated JSON', `{"batch":[${e}`);
  notJson('NaN as a JSON token', `{"batch":[${e.slice(0, -1)},"properties":{"price":NaN}}]}`);
  notJson('Infinity as a JSON token', `{"batch":[${e.slice(0, -1)},"properties":{"price":-Infinity}}]}`);
  notJson('trailing garbage after the object', `{"batch":[${e}]} trailing`);
  notJson('two JSON objects back to back', `{"batch":[]}{"batch":[${e}]}`);
  notJson('JavaScript object literal (unquoted keys, single quotes)', "{batch: [{type: 'track'}]}");
  notJson('trailing comma', `{"batch":[${e},]}`);
  notJson('comments', `// events\n{"batch":[${e}]}`);
  notJson('raw control character inside a string', `{"batch":[],"x":"a\u0001b"}`);
  notJson('undefined token', '{"batch":undefined}');
}

// -- Bytes that are not UTF-8 ------------------------------------------------------------------
{
  const notUtf8 = (name: string, bytes: number[]) =>
    add({
      name,
      request: { body: withBytesInName(valid(), bytes) },
      expect: { status: 400, error: 'invalid_body', message: 'not valid UTF-8' },
    });
  notUtf8('invalid UTF-8 byte 0xff in a string', [0x61, 0xff, 0x62]);
  notUtf8('overlong UTF-8 encoding of "/" (0xc0 0xaf)', [0xc0, 0xaf]);
  notUtf8('UTF-8-encoded lone surrogate (0xed 0xa0 0x80)', [0xed, 0xa0, 0x80]);
  notUtf8('truncated multi-byte sequence', [0xe4, 0xb8]);
  notUtf8('code point above U+10FFFF (0xf4 0x90 0x80 0x80)', [0xf4, 0x90, 0x80, 0x80]);
  add({
    name: 'invalid UTF-8 inside a gzip body',
    request: { body: withBytesInName(valid(), [0xff, 0xfe]), gzip: true },
    expect: { status: 400, error: 'invalid_body', message: 'not valid UTF-8' },
  });
}

// -- Text that is valid but unusual ------------------------------------------------------------
{
  const bom = valid();
  add({
    name: 'BOM-prefixed JSON (the decoder drops the BOM, as RFC 8259 allows)',
    request: {
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(JSON.stringify({ batch: [bom] }))]),
    },
    expect: { status: 200, accepted: 1, stored: ok(bom) },
  });
  const dup = valid({}, 'dupkey');
  add({
    name: 'duplicate keys (the last one wins, as in JSON.parse)',
    request: {
      body: rawBatch(
        withRaw(dup, { event: '"First"' }).replace('"event":"Hostile Probe",', '"event":"Zeroth",'),
      ),
    },
    expect: {
      status: 200,
      accepted: 1,
      stored: [{ messageId: dup.messageId, fields: [{ path: ['event'], equals: 'First' }] }],
    },
  });
  const lone = valid({ event: 'Lone \ud800 surrogate', properties: { s: '\udfff\ud800' } });
  add({
    name: 'lone surrogate escapes ("\\ud800") are stored as U+FFFD (valid UTF-8)',
    request: { body: rawBatch(JSON.stringify(lone)) },
    expect: {
      status: 200,
      accepted: 1,
      stored: [
        {
          messageId: lone.messageId,
          fields: [
            { path: ['event'], equals: 'Lone \ufffd surrogate' },
            { path: ['properties', 's'], equals: '\ufffd\ufffd' },
          ],
        },
      ],
    },
  });
  const nul = valid({ event: 'nul\u0000inside', properties: { s: '\u0000\u0000' } });
  add({
    name: 'NUL characters in strings',
    request: { body: { batch: [nul] } },
    expect: {
      status: 200,
      stored: [
        {
          messageId: nul.messageId,
          fields: [
            { path: ['event'], equals: 'nul\u0000inside' },
            { path: ['properties', 's'], equals: '\u0000\u0000' },
          ],
        },
      ],
    },
  });
  const wide = valid({ event: '商品浏览 🛒', properties: { note: '𝄞 ünïcödé 中文' } });
  add({
    name: 'four-byte UTF-8 and CJK text',
    request: { body: { batch: [wide] } },
    expect: {
      status: 200,
      stored: [{ messageId: wide.messageId, fields: [{ path: ['event'], equals: '商品浏览 🛒' }] }],
    },
  });
}

// -- The batch member --------------------------------------------------------------------------
{
  const notArray = 'batch must be an array';
  add({
    name: 'batch is an object',
    request: { body: { batch: valid() } },
    expect: { status: 400, error: 'invalid_body', message: notArray },
  });
  add({
    name: 'batch is a string',
    request: { body: { batch: '[]' } },
    expect: { status: 400, error: 'invalid_body', message: notArray },
  });
  add({
    name: 'batch is null',
    request: { body: { batch: null } },
    expect: { status: 400, error: 'invalid_body', message: notArray },
  });
  add({
    name: 'batch is missing',
    request: { body: { events: [valid()] } },
    expect: { status: 400, error: 'invalid_body', message: notArray },
  });
  add({ name: 'empty batch', request: { body: { batch: [] } }, expect: { status: 200, accepted: 0 } });
  add({
    name: '501 events (one over the limit)',
    request: {
      body: { batch: Array.from({ length: 501 }, () => ({ type: 'track', event: 'x', anonymousId: 'a' })) },
    },
    expect: { status: 413, error: 'payload_too_large', message: 'batch has 501 events; the limit is 500' },
  });
  const full = Array.from({ length: 500 }, () => ({
    type: 'track',
    event: 'Full',
    anonymousId: 'a',
    messageId: nextId('full'),
  }));
  add({
    name: '500 events (the limit)',
    request: { body: { batch: full } },
    expect: {
      status: 200,
      accepted: 500,
      stored: [{ messageId: full[0]!.messageId }, { messageId: full[499]!.messageId }],
    },
  });
  const kept = valid();
  add({
    name: 'entries that are not objects beside a valid event',
    request: { body: { batch: [null, 1, 'track', [], true, kept] } },
    expect: {
      status: 200,
      accepted: 1,
      rejected: [0, 1, 2, 3, 4].map((index) => ({ index, reason: NOT_OBJECT })),
      stored: ok(kept),
    },
  });
}

// -- Every event type with its required fields missing -----------------------------------------
{
  const a = valid();
  const b = valid({ type: 'identify', userId: 'u-1', traits: { plan: 'gold' } });
  const broken: [Record<string, unknown>, string][] = [
    [{ type: 'track', anonymousId: 'a' }, `event ${REQUIRED}`],
    [{ type: 'track', event: '', anonymousId: 'a' }, 'event must not be empty'],
    [{ type: 'track', event: 'No Ids' }, 'needs an anonymousId or a userId'],
    [{ type: 'page', name: 'Home' }, 'needs an anonymousId or a userId'],
    [{ type: 'screen', name: 'Home' }, 'needs an anonymousId or a userId'],
    [{ type: 'identify', traits: { plan: 'gold' } }, 'needs an anonymousId or a userId'],
    [{ type: 'alias', userId: 'u-1' }, `previousId ${REQUIRED}`],
    [{ type: 'alias', previousId: 'a-1' }, `userId ${REQUIRED}`],
    [{ type: 'group', userId: 'u-1' }, `groupId ${REQUIRED}`],
    [{ event: 'No Type', anonymousId: 'a' }, `type ${REQUIRED}`],
    [
      { type: 'purchase', anonymousId: 'a' },
      'type must be one of track, page, screen, identify, alias, group',
    ],
    [{ type: '__proto__', anonymousId: 'a' }, 'type must be one of'],
  ];
  const batch = [a, ...broken.map(([e], i) => ({ ...e, messageId: nextId(`missing-${i}`) })), b];
  add({
    name: 'every event type with a required field missing, between two valid events',
    request: { body: { batch } },
    expect: {
      status: 200,
      accepted: 2,
      rejected: broken.map(([, reason], i) => ({ index: i + 1, reason })),
      stored: ok(a, b),
      notStored: batch.slice(1, -1).map((e) => e.messageId as string),
    },
  });
  const single: [string, Record<string, unknown>, string][] = [
    ['track', { anonymousId: 'a' }, `event ${REQUIRED}`],
    ['page', { name: 'Home' }, 'needs an anonymousId or a userId'],
    ['screen', { name: 'Home' }, 'needs an anonymousId or a userId'],
    ['identify', { traits: {} }, 'needs an anonymousId or a userId'],
    ['alias', { userId: 'u-1' }, `previousId ${REQUIRED}`],
    ['group', { userId: 'u-1' }, `groupId ${REQUIRED}`],
  ];
  for (const [type, body, reason] of single) {
    add({
      name: `POST /v1/${type} without its required fields`,
      request: { path: `/v1/${type}`, body: { ...body, messageId: nextId(`single-${type}`) } },
      expect: { status: 400, error: 'invalid_event', message: reason },
    });
  }
}

// -- Wrong types for every common field --------------------------------------------------------
{
  const first = valid();
  const last = valid({ type: 'page', name: 'Pricing' });
  const wrong: [Record<string, unknown>, string][] = [
    [{ messageId: { id: 1 } }, 'messageId must be a string'],
    [{ messageId: ['x'] }, 'messageId must be a string'],
    [{ anonymousId: true }, 'anonymousId must be a string'],
    [{ userId: null }, 'userId must be a string'],
    [{ timestamp: 1_700_000_000_000 }, 'timestamp must be an ISO 8601 date string'],
    [{ timestamp: 'yesterday' }, 'timestamp must be an ISO 8601 date string'],
    [{ timestamp: `${iso(NOW)}${' '.repeat(50)}` }, 'timestamp must be an ISO 8601 date string'],
    [{ sentAt: 5 }, 'sentAt must be an ISO 8601 date string'],
    [{ properties: [1, 2] }, 'properties must be an object'],
    [{ properties: 'a=1' }, 'properties must be an object'],
    [{ context: 'web' }, 'context must be an object'],
    [{ integrations: [] }, 'integrations must be an object'],
    [{ event: 42 }, 'event must be a string'],
    [{ type: 7 }, 'type must be one of'],
    [{ type: 'page', name: 5 }, 'name must be a string'],
    [{ type: 'page', category: {} }, 'category must be a string'],
    [{ type: 'identify', traits: 'gold' }, 'traits must be an object'],
    [{ type: 'group', groupId: { id: 1 } }, 'groupId must be a string'],
    [{ type: 'alias', userId: 'u-1', previousId: ['a'] }, 'previousId must be a string'],
  ];
  const batch = [first, ...wrong.map(([fields]) => ({ ...valid({}, 'wrongtype'), ...fields })), last];
  add({
    name: 'wrong types for every common field, between two valid events',
    request: { body: { batch } },
    expect: {
      status: 200,
      accepted: 2,
      rejected: wrong.map(([, reason], i) => ({ index: i + 1, reason })),
      stored: ok(first, last),
    },
  });
  const numeric = valid({ messageId: 918_273_645 });
  add({
    name: 'a numeric messageId is stored as a string',
    request: { body: { batch: [numeric] } },
    expect: { status: 200, accepted: 1, stored: [{ messageId: '918273645' }] },
  });
}

// -- Id and name lengths -----------------------------------------------------------------------
{
  const longest = valid({
    messageId: `m${'x'.repeat(255)}`,
    anonymousId: 'a'.repeat(256),
    userId: 'u'.repeat(256),
  });
  const tooLong: [Record<string, unknown>, string][] = [
    [{ messageId: 'm'.repeat(257) }, 'messageId must be at most 256 characters'],
    [{ anonymousId: 'a'.repeat(257) }, 'anonymousId must be at most 256 characters'],
    [{ userId: 'u'.repeat(257) }, 'userId must be at most 256 characters'],
    [{ type: 'group', groupId: 'g'.repeat(257) }, 'groupId must be at most 256 characters'],
    [{ messageId: '' }, 'messageId must not be empty'],
    [{ anonymousId: '', userId: undefined }, 'anonymousId must not be empty'],
    [{ event: 'e'.repeat(513) }, 'event must be at most 512 characters'],
    [{ type: 'page', name: 'n'.repeat(513) }, 'name must be at most 512 characters'],
  ];
  const batch = [...tooLong.map(([fields]) => ({ ...valid({}, 'len'), ...fields })), longest];
  add({
    name: 'ids of 257 characters and names of 513 are refused; 256 is stored',
    request: { body: { batch } },
    expect: {
      status: 200,
      accepted: 1,
      rejected: tooLong.map(([, reason], index) => ({ index, reason })),
      stored: ok(longest),
    },
  });
}

// -- Sizes -------------------------------------------------------------------------------------
{
  const tooLarge = 'exceeds the limit of 512000 bytes';
  add({
    name: '10 MB plain body with its Content-Length',
    request: { body: Buffer.alloc(10 * MB, 0x20) },
    expect: { status: 413, error: 'payload_too_large', message: `request body ${tooLarge}` },
  });
  add({
    name: '10 MB body streamed without Content-Length (chunked)',
    request: { body: Buffer.alloc(10 * MB, 0x20), chunked: true },
    expect: { status: 413, error: 'payload_too_large', message: `request body ${tooLarge}` },
  });
  add({
    name: 'declared Content-Length of 10 MB over a short body',
    request: { body: { batch: [valid()] }, declaredLength: 10 * MB },
    expect: { status: 413, error: 'payload_too_large', message: `request body ${tooLarge}` },
  });
  add({
    name: 'declared Content-Length over the per-event limit on /v1/track',
    request: { path: '/v1/track', body: valid(), declaredLength: 40_000 },
    expect: { status: 413, error: 'payload_too_large', message: 'exceeds the limit of 32768 bytes' },
  });
  add({
    name: '1 MB string in one event',
    request: { body: { batch: [valid({ properties: { blob: 'x'.repeat(MB) } })] } },
    expect: { status: 413, error: 'payload_too_large', message: tooLarge },
  });
  const [a, big, b] = [valid(), valid({ properties: { blob: 'x'.repeat(400_000) } }), valid()];
  add({
    name: '400 KB string in one event beside valid ones (failed payload truncated to 64 KB)',
    request: { body: { batch: [a, big, b] } },
    expect: {
      status: 200,
      accepted: 2,
      rejected: [{ index: 1, reason: 'bytes; the limit is 32768' }],
      stored: ok(a, b),
      notStored: ids(big),
      failedPayloadMax: 64 * 1024,
    },
  });
  const [c, over, d] = [valid(), valid({ properties: { blob: 'y'.repeat(33 * 1024) } }), valid()];
  add({
    name: 'event of 33 KB (over the 32 KB event limit) beside valid ones',
    request: { body: { batch: [c, over, d] } },
    expect: {
      status: 200,
      accepted: 2,
      rejected: [{ index: 1, reason: 'the limit is 32768' }],
      stored: ok(c, d),
    },
  });
  const under = valid({ properties: { blob: 'z'.repeat(32_000) } });
  add({
    name: 'event just under 32 KB is stored',
    request: { body: { batch: [under] } },
    expect: { status: 200, accepted: 1, stored: ok(under) },
  });
  const [e, wide, f] = [valid(), valid({ properties: manyProperties(5_000) }), valid()];
  add({
    name: '5,000 properties (63 KB) are refused by the 32 KB event limit, beside valid events',
    request: { body: { batch: [e, wide, f] } },
    expect: {
      status: 200,
      accepted: 2,
      rejected: [{ index: 1, reason: 'the limit is 32768' }],
      stored: ok(e, f),
    },
  });
  add({
    name: '5,000 properties on /v1/track (the body is the event, over 32 KB)',
    request: { path: '/v1/track', body: valid({ properties: manyProperties(5_000) }) },
    expect: { status: 413, error: 'payload_too_large', message: 'exceeds the limit of 32768 bytes' },
  });
  const thousands = valid({ properties: manyProperties(2_000) });
  add({
    name: '2,000 properties (under 32 KB) are stored',
    request: { body: { batch: [thousands] } },
    expect: {
      status: 200,
      accepted: 1,
      stored: [{ messageId: thousands.messageId, fields: [{ path: ['properties', 'p1999'], equals: 1999 }] }],
    },
  });
  // The batch's context is merged into every event: 50 events under 400 KB of shared context
  // would otherwise store 20 MB from a 400 KB request.
  const shared = Array.from({ length: 50 }, () => valid({}, 'ctx'));
  add({
    name: '400 KB batch-level context merged into 50 events counts against each event',
    request: { body: { context: { pad: 'p'.repeat(400_000) }, batch: shared } },
    expect: {
      status: 200,
      accepted: 0,
      rejected: shared.map((_, index) => ({ index, reason: 'of batch context; the limit is 32768' })),
      notStored: ids(...shared),
      failedPayloadMax: 64 * 1024,
    },
  });
  const merged = valid({ context: { page: { path: '/x' } } });
  add({
    name: 'a small batch-level context is merged into the event',
    request: { body: { context: { locale: 'zh-CN', page: { path: '/batch' } }, batch: [merged] } },
    expect: {
      status: 200,
      stored: [
        {
          messageId: merged.messageId,
          fields: [
            { path: ['context', 'locale'], equals: 'zh-CN' },
            { path: ['context', 'page', 'path'], equals: '/x' },
          ],
        },
      ],
    },
  });
}

// -- Deep nesting ------------------------------------------------------------------------------
{
  const deep = (name: string, nested: string, reason = TOO_DEEP) => {
    const [a, bad, b] = [valid(), bare('deep'), valid()];
    add({
      name,
      request: { body: rawBatch(a, withRaw(bad, { properties: `{"deep":${nested}}` }), b) },
      expect: {
        status: 200,
        accepted: 2,
        rejected: [{ index: 1, reason }],
        stored: ok(a, b),
        notStored: ids(bad),
      },
    });
  };
  deep('objects nested 10,000 levels inside properties, beside valid events', deepObject(10_000));
  deep('arrays nested 10,000 levels inside properties, beside valid events', deepArray(10_000));
  // Deep enough for masking or the store's JSON.stringify to overflow, shallow enough for the first stringify.
  deep('objects nested 3,000 levels inside properties', deepObject(3_000));
  deep('arrays nested 4,000 levels inside properties', deepArray(4_000));
  deep('65 levels (one over the limit)', deepObject(63));
  const limit = bare('depth64');
  add({
    name: '64 levels (the limit) are stored',
    request: { body: rawBatch(withRaw(limit, { properties: `{"deep":${deepObject(62)}}` })) },
    expect: { status: 200, accepted: 1, stored: ok(limit) },
  });
  const [c, d] = [valid(), valid()];
  add({
    name: 'batch-level context nested 10,000 levels (merged into every event)',
    request: { body: `{"context":{"deep":${deepObject(10_000)}},"batch":${JSON.stringify([c, d])}}` },
    expect: {
      status: 200,
      accepted: 0,
      rejected: [
        { index: 0, reason: TOO_DEEP },
        { index: 1, reason: TOO_DEEP },
      ],
      notStored: ids(c, d),
    },
  });
  const [atLimit, overLimit] = [valid({}, 'ctx64'), valid({}, 'ctx65')];
  add({
    name: 'batch-level context reaching level 64 of its events is merged',
    request: { body: `{"context":{"deep":${deepObject(62)}},"batch":[${JSON.stringify(atLimit)}]}` },
    expect: { status: 200, accepted: 1, stored: ok(atLimit) },
  });
  add({
    name: 'batch-level context reaching level 65 of its events',
    request: { body: `{"context":{"deep":${deepObject(63)}},"batch":[${JSON.stringify(overLimit)}]}` },
    expect: {
      status: 200,
      accepted: 0,
      rejected: [{ index: 0, reason: `${TOO_DEEP} with the batch context` }],
    },
  });
  const e = valid();
  add({
    name: 'an event that is an array nested 10,000 levels, beside a valid one',
    request: { body: `{"batch":[${deepArray(10_000)},${JSON.stringify(e)}]}` },
    expect: { status: 200, accepted: 1, rejected: [{ index: 0, reason: TOO_DEEP }], stored: ok(e) },
  });
  add({
    name: 'an event nested 250,000 levels (the whole 500 KB)',
    request: { body: `{"batch":[${deepArray(250_000)}]}` },
    expect: { status: 200, accepted: 0, rejected: [{ index: 0, reason: TOO_DEEP }] },
  });
  const ignored = valid();
  add({
    name: 'an unknown top-level member nested 10,000 levels is ignored',
    request: { body: `{"extra":${deepObject(10_000)},"batch":[${JSON.stringify(ignored)}]}` },
    expect: { status: 200, accepted: 1, stored: ok(ignored) },
  });
  add({
    name: 'POST /v1/track with properties nested 10,000 levels',
    request: {
      path: '/v1/track',
      body: withRaw(bare('deep-single'), { properties: `{"d":${deepArray(10_000)}}` }),
    },
    expect: { status: 400, error: 'invalid_event', message: TOO_DEEP },
  });
}

// -- __proto__, constructor, prototype ---------------------------------------------------------
{
  const polluter = valid({}, 'proto-in-body');
  add({
    name: '__proto__ at the top level of the body is plain data, not the prototype of the body',
    request: { body: `{"__proto__":{"batch":[${JSON.stringify(polluter)}],"writeKey":"demo"}}` },
    expect: {
      status: 400,
      error: 'invalid_body',
      message: 'batch must be an array',
      notStored: ids(polluter),
    },
  });
  const top = bare('proto-top');
  add({
    name: '__proto__, constructor and prototype as event members are dropped, not applied',
    request: {
      body: rawBatch(
        withRaw(top, [
          ['__proto__', '{"anonymousId":"polluted","polluted":true}'],
          ['constructor', '{"prototype":{"polluted":true}}'],
          ['prototype', '{"polluted":true}'],
          ['properties', '{"plan":"gold"}'],
        ]),
      ),
    },
    expect: {
      status: 200,
      accepted: 1,
      stored: [
        {
          messageId: top.messageId,
          fields: [
            { path: ['__proto__'], absent: true },
            { path: ['constructor'], absent: true },
            { path: ['prototype'], absent: true },
            { path: ['polluted'], absent: true },
            { path: ['properties', 'plan'], equals: 'gold' },
          ],
        },
      ],
    },
  });
  const nested = bare('proto-nested');
  add({
    name: '__proto__ and constructor.prototype inside properties and context are stored as plain data',
    request: {
      body: rawBatch(
        withRaw(nested, {
          properties:
            '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":1}',
          context: '{"__proto__":{"isAdmin":true},"locale":"en"}',
        }),
      ),
    },
    expect: {
      status: 200,
      accepted: 1,
      stored: [
        {
          messageId: nested.messageId,
          fields: [
            { path: ['properties', '__proto__', 'polluted'], equals: 'yes' },
            { path: ['properties', 'constructor', 'prototype', 'polluted'], equals: 'yes' },
            { path: ['properties', 'prototype'], equals: 1 },
            { path: ['context', '__proto__', 'isAdmin'], equals: true },
            { path: ['context', 'locale'], equals: 'en' },
            { path: ['properties', 'polluted'], absent: true },
            { path: ['context', 'isAdmin'], absent: true },
          ],
        },
      ],
    },
  });
  const viaContext = valid({}, 'proto-batch-context');
  add({
    name: '__proto__ in the batch-level context is merged as plain data',
    request: { body: `{"context":{"__proto__":{"isAdmin":true}},"batch":[${JSON.stringify(viaContext)}]}` },
    expect: {
      status: 200,
      accepted: 1,
      stored: [
        {
          messageId: viaContext.messageId,
          fields: [
            { path: ['context', '__proto__', 'isAdmin'], equals: true },
            { path: ['context', 'isAdmin'], absent: true },
          ],
        },
      ],
    },
  });
  const single = bare('proto-single');
  delete single.type;
  add({
    name: '__proto__ in a single-event body (/v1/track spreads the body into the event)',
    request: {
      path: '/v1/track',
      body: withRaw(single, [['__proto__', '{"type":"alias","polluted":true}']]),
    },
    expect: {
      status: 200,
      accepted: 1,
      stored: [
        {
          messageId: single.messageId,
          fields: [
            { path: ['type'], equals: 'track' },
            { path: ['polluted'], absent: true },
          ],
        },
      ],
    },
  });
  const named = valid({ event: '__proto__' });
  const ctor = valid({ event: 'constructor' });
  add({
    name: 'events named __proto__ and constructor',
    request: { body: { batch: [named, ctor] } },
    expect: {
      status: 200,
      accepted: 2,
      stored: [
        { messageId: named.messageId, fields: [{ path: ['event'], equals: '__proto__' }] },
        { messageId: ctor.messageId, fields: [{ path: ['event'], equals: 'constructor' }] },
      ],
    },
  });
  const granted = { consent: { categoryPreferences: { analytics: true } } };
  const optinNamed = valid({ event: 'constructor', context: granted });
  const optinPlain = valid({ event: 'Signed Up', context: granted });
  add({
    name: 'opt-in source: an event named constructor with analytics consent is stored like any other',
    request: { writeKey: 'optin', body: { batch: [optinPlain, optinNamed] } },
    expect: { status: 200, accepted: 2, droppedByConsent: 0, stored: ok(optinPlain, optinNamed) },
  });
  for (const key of ['__proto__', 'constructor', 'hasOwnProperty']) {
    add({
      name: `write key "${key}"`,
      request: { writeKey: key, body: { batch: [valid()] } },
      expect: { status: 401, error: 'unauthorized', message: 'unknown write key' },
    });
  }
}

// -- Timestamps and clocks ---------------------------------------------------------------------
{
  const skewed = (name: string, event: Ev, offset: number, batchSentAt?: string) =>
    add({
      name,
      request: { body: { batch: [event], ...(batchSentAt ? { sentAt: batchSentAt } : {}) } },
      expect: {
        status: 200,
        accepted: 1,
        stored: [
          {
            messageId: event.messageId,
            timestampFromReceived: offset,
            fields: [{ path: ['originalTimestamp'], equals: event.timestamp }],
          },
        ],
      },
    });
  skewed(
    'client clock in year 9999 (timestamp and sentAt): stored on the server clock',
    valid({ timestamp: '9999-12-31T23:59:58.000Z' }),
    -1_000,
    '9999-12-31T23:59:59.000Z',
  );
  skewed(
    'client clock at 1970 (timestamp and sentAt): stored on the server clock',
    valid({ timestamp: '1970-01-01T00:00:00.000Z', sentAt: '1970-01-01T00:00:30.000Z' }),
    -30_000,
  );
  skewed(
    'client clock a day ahead, batch sentAt',
    valid({ timestamp: iso(NOW + DAY - 5_000) }),
    -5_000,
    iso(NOW + DAY),
  );
  skewed(
    'client clock a day behind, event sentAt',
    valid({ timestamp: iso(NOW - DAY - 7_000), sentAt: iso(NOW - DAY) }),
    -7_000,
  );
  skewed(
    "an event's own sentAt wins over the batch's",
    valid({ timestamp: iso(NOW - 2_000), sentAt: iso(NOW) }),
    -2_000,
    iso(NOW + 3 * DAY),
  );
  skewed(
    'timestamp and sentAt at the two ends of the Date range (the corrected time does not fit a Date)',
    valid({ timestamp: '-271821-04-20T00:00:00.000Z', sentAt: '+275760-09-13T00:00:00.000Z' }),
    0,
  );
  const future = valid({ timestamp: '9999-12-31T23:59:59.000Z' });
  const past = valid({ timestamp: '1970-01-01T00:00:00.000Z' });
  const receiptTime = (event: Ev) => ({
    messageId: event.messageId,
    timestampFromReceived: 0,
    fields: [{ path: ['originalTimestamp'], equals: event.timestamp }],
  });
  add({
    name: 'year 9999 and 1970 timestamps without sentAt are outside the window: stored at the receipt time',
    request: { body: { batch: [future, past] } },
    expect: { status: 200, accepted: 2, stored: [receiptTime(future), receiptTime(past)] },
  });
  const farSentAt = valid({ timestamp: iso(NOW - 60_000), sentAt: '2999-01-01T00:00:00.000Z' });
  add({
    name: 'a sentAt centuries after its timestamp would date the event centuries back: stored at the receipt time',
    request: { body: { batch: [farSentAt] } },
    expect: { status: 200, accepted: 1, stored: [receiptTime(farSentAt)] },
  });
  const one = valid({ timestamp: '1' });
  const rfc = valid({ timestamp: new Date(NOW).toUTCString() });
  const dateOnly = valid({ timestamp: iso(NOW).slice(0, 10) });
  // A minute ago, written with an offset and no fraction.
  const minuteAgo = Math.floor((NOW - 60_000) / 1000) * 1000;
  const iso8601 = valid({ timestamp: `${iso(minuteAgo + 8 * 3_600_000).slice(0, 19)}+08:00` });
  add({
    name: 'timestamps Date.parse accepts that are not ISO 8601 date-times ("1", RFC 1123, a date alone) are refused',
    request: { body: { batch: [one, rfc, dateOnly, iso8601] } },
    expect: {
      status: 200,
      accepted: 1,
      rejected: [0, 1, 2].map((index) => ({ index, reason: 'timestamp must be an ISO 8601 date string' })),
      stored: [{ messageId: iso8601.messageId, fields: [{ path: ['timestamp'], equals: iso(minuteAgo) }] }],
    },
  });
  const garbageSentAt = valid({ timestamp: iso(NOW - 60_000) });
  add({
    name: 'a batch sentAt that is not a string is ignored',
    request: { body: { batch: [garbageSentAt], sentAt: { year: 9999 } } },
    expect: {
      status: 200,
      stored: [
        { messageId: garbageSentAt.messageId, fields: [{ path: ['timestamp'], equals: iso(NOW - 60_000) }] },
      ],
    },
  });
}

// -- Replays -----------------------------------------------------------------------------------
{
  const once = valid({}, 'replay');
  add({
    name: 'replayed messageId: the second send is a duplicate and stores nothing new',
    before: [{ body: { batch: [once] } }],
    request: { body: { batch: [once] } },
    expect: { status: 200, accepted: 0, duplicates: 1, stored: ok(once) },
  });
  const original = valid({ event: 'Original' }, 'replay-changed');
  add({
    name: 'replayed messageId with a changed payload keeps the first',
    before: [{ body: { batch: [original] } }],
    request: { body: { batch: [{ ...original, event: 'Forged', properties: { price: 0 } }] } },
    expect: {
      status: 200,
      accepted: 0,
      duplicates: 1,
      stored: [{ messageId: original.messageId, fields: [{ path: ['event'], equals: 'Original' }] }],
    },
  });
  const twice = valid({}, 'replay-in-batch');
  add({
    name: 'the same messageId twice in one batch',
    request: { body: { batch: [twice, { ...twice, event: 'Second' }] } },
    expect: {
      status: 200,
      accepted: 1,
      duplicates: 1,
      stored: [{ messageId: twice.messageId, fields: [{ path: ['event'], equals: 'Hostile Probe' }] }],
    },
  });
  const viaSingle = valid({}, 'replay-single');
  const singleBody: Record<string, unknown> = { ...viaSingle };
  delete singleBody.type;
  add({
    name: 'replayed messageId on /v1/track after /v1/batch',
    before: [{ body: { batch: [viaSingle] } }],
    request: { path: '/v1/track', body: singleBody },
    expect: { status: 200, accepted: 0, duplicates: 1 },
  });
}

// -- Write keys --------------------------------------------------------------------------------
{
  add({
    name: 'missing write key',
    request: { writeKey: null, body: { batch: [valid()] } },
    expect: { status: 401, error: 'unauthorized', message: 'missing write key' },
  });
  add({
    name: 'unknown write key',
    request: { writeKey: 'nope', body: { batch: [valid()] } },
    expect: { status: 401, error: 'unauthorized', message: 'unknown write key' },
  });
  add({
    name: 'malformed Basic auth (not base64)',
    request: {
      writeKey: null,
      headers: { authorization: 'Basic !!!not-base64!!!' },
      body: { batch: [valid()] },
    },
    expect: { status: 401, error: 'unauthorized', message: 'not valid Basic auth' },
  });
  add({
    name: 'Basic auth with an empty user',
    request: {
      writeKey: null,
      headers: { authorization: `Basic ${Buffer.from(':demo').toString('base64')}` },
      body: { batch: [valid()] },
    },
    expect: { status: 401, error: 'unauthorized', message: 'missing write key' },
  });
  add({
    name: 'Bearer instead of Basic',
    request: { writeKey: null, headers: { authorization: 'Bearer demo' }, body: { batch: [valid()] } },
    expect: { status: 401, error: 'unauthorized', message: 'missing write key' },
  });
  const inBody = valid();
  add({
    name: 'write key only in the body',
    request: { writeKey: null, contentType: 'text/plain', body: { writeKey: 'demo', batch: [inBody] } },
    expect: { status: 200, accepted: 1, stored: ok(inBody) },
  });
  add({
    name: 'write key in the body is a number',
    request: { writeKey: null, body: { writeKey: 12345, batch: [valid()] } },
    expect: { status: 401, error: 'unauthorized', message: 'missing write key' },
  });
  add({
    name: 'unknown key in Basic auth wins over a valid key in the body',
    request: { writeKey: 'nope', body: { writeKey: 'demo', batch: [valid()] } },
    expect: { status: 401, error: 'unauthorized', message: 'unknown write key' },
  });
  add({
    name: 'non-JSON body without a write key is refused for the body first',
    request: { writeKey: null, body: 'not json' },
    expect: { status: 400, error: 'invalid_json', message: 'body is not JSON' },
  });
}

// -- Origins -----------------------------------------------------------------------------------
{
  add({
    name: 'disallowed Origin for the write key',
    request: { writeKey: 'shop', headers: { origin: 'https://evil.example' }, body: { batch: [valid()] } },
    expect: {
      status: 403,
      error: 'origin_not_allowed',
      message: 'origin https://evil.example is not allowed',
      headers: { 'access-control-allow-origin': null },
    },
  });
  add({
    name: "Origin allowed for another source but not this key's",
    request: { writeKey: 'shop', headers: { origin: 'https://app.example' }, body: { batch: [valid()] } },
    expect: {
      status: 403,
      error: 'origin_not_allowed',
      message: 'not allowed for this write key',
      headers: { 'access-control-allow-origin': null },
    },
  });
  add({
    name: 'Origin "null" (sandboxed iframe, file://)',
    request: { headers: { origin: 'null' }, body: { batch: [valid()] } },
    expect: { status: 403, error: 'origin_not_allowed', message: 'origin null is not allowed' },
  });
  add({
    name: 'any Origin on a server-only source',
    request: { writeKey: 'server', headers: { origin: 'https://app.example' }, body: { batch: [valid()] } },
    expect: { status: 403, error: 'origin_not_allowed', message: 'not allowed' },
  });
  const allowed = valid();
  add({
    name: 'allowed Origin is stored and may read the answer',
    request: { writeKey: 'shop', headers: { origin: 'https://shop.example' }, body: { batch: [allowed] } },
    expect: {
      status: 200,
      accepted: 1,
      stored: ok(allowed),
      headers: { 'access-control-allow-origin': 'https://shop.example', vary: /Origin/ },
    },
  });
  add({
    name: 'OPTIONS preflight from a disallowed origin',
    request: {
      method: 'OPTIONS',
      writeKey: null,
      contentType: null,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    },
    expect: { status: 403, bodyless: true, headers: { 'access-control-allow-origin': null } },
  });
  add({
    name: 'OPTIONS preflight from an allowed origin',
    request: {
      method: 'OPTIONS',
      writeKey: null,
      contentType: null,
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    },
    expect: {
      status: 204,
      bodyless: true,
      headers: {
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': /POST/,
      },
    },
  });
}

// -- Compression -------------------------------------------------------------------------------
{
  const gz = valid();
  add({
    name: 'gzip body',
    request: { body: { batch: [gz] }, gzip: true },
    expect: { status: 200, accepted: 1, stored: ok(gz) },
  });
  const upper = valid();
  add({
    name: 'Content-Encoding GZIP in capitals',
    request: { headers: { 'content-encoding': 'GZIP' }, body: gzipSync(JSON.stringify({ batch: [upper] })) },
    expect: { status: 200, accepted: 1, stored: ok(upper) },
  });
  const unsupported = (name: string, encoding: string) =>
    add({
      name,
      request: { headers: { 'content-encoding': encoding }, body: gzipped },
      expect: {
        status: 415,
        error: 'unsupported_encoding',
        message: `Content-Encoding ${encoding} is not supported`,
      },
    });
  unsupported('Content-Encoding br', 'br');
  unsupported('unknown Content-Encoding', 'x-trail-magic');
  unsupported('stacked Content-Encoding (gzip, gzip)', 'gzip, gzip');
  const notGzip = 'body is not valid gzip';
  add({
    name: 'Content-Encoding gzip on a plain JSON body',
    request: { headers: { 'content-encoding': 'gzip' }, body: { batch: [valid()] } },
    expect: { status: 400, error: 'invalid_body', message: notGzip },
  });
  const badCrc = Buffer.from(gzipped);
  badCrc[badCrc.length - 6] = (badCrc[badCrc.length - 6] ?? 0) ^ 0xff;
  add({
    name: 'gzip with a bad CRC',
    request: { headers: { 'content-encoding': 'gzip' }, body: badCrc },
    expect: { status: 400, error: 'invalid_body', message: notGzip },
  });
  add({
    name: 'truncated gzip',
    request: { headers: { 'content-encoding': 'gzip' }, body: gzipped.subarray(0, gzipped.length - 12) },
    expect: { status: 400, error: 'invalid_body', message: notGzip },
  });
  add({
    name: 'gzip followed by trailing garbage',
    request: { headers: { 'content-encoding': 'gzip' }, body: Buffer.concat([gzipped, utf8('garbage')]) },
    expect: { status: 400, error: 'invalid_body', message: notGzip },
  });
  add({
    name: 'gzip bomb: 20 KB that inflates to 20 MB',
    request: {
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(20 * MB, 0x20), { level: 9 }),
    },
    expect: {
      status: 413,
      error: 'payload_too_large',
      message: 'decompressed body exceeds the limit of 512000 bytes',
    },
  });
}

// -- Headers, URLs, methods, content types -----------------------------------------------------
{
  add({
    name: '64 KB header (Node refuses it before the app: 431)',
    request: { headers: { 'x-padding': 'h'.repeat(64 * 1024) }, body: { batch: [valid()] } },
    expect: { status: 431, bodyless: true },
  });
  add({
    name: '100 KB URL (431)',
    request: { path: `/v1/batch?pad=${'u'.repeat(100_000)}`, body: { batch: [valid()] } },
    expect: { status: 431, bodyless: true },
  });
  add({
    name: '10 KB path (under the header limit: no such route)',
    request: { path: `/v1/${'p'.repeat(10_000)}`, body: { batch: [valid()] } },
    expect: { status: 404, error: 'not_found', message: 'no route for POST /v1/ppp' },
  });
  const ua = valid();
  add({
    name: '12 KB User-Agent header',
    request: { headers: { 'user-agent': `Mozilla/5.0 ${'(x; '.repeat(3_000)}` }, body: { batch: [ua] } },
    expect: { status: 200, accepted: 1, stored: ok(ua) },
  });
  add({
    name: 'GET /v1/batch',
    request: { method: 'GET', contentType: null },
    expect: { status: 404, error: 'not_found', message: 'no route for GET /v1/batch' },
  });
  add({
    name: 'PUT /v1/batch',
    request: { method: 'PUT', body: { batch: [valid()] } },
    expect: { status: 404, error: 'not_found', message: 'no route for PUT /v1/batch' },
  });
  add({
    name: 'POST to an unknown event type',
    request: { path: '/v1/purchase', body: valid() },
    expect: { status: 404, error: 'not_found', message: 'no route for POST /v1/purchase' },
  });
  const beacon = valid();
  add({
    name: 'text/plain body (what sendBeacon sends)',
    request: { contentType: 'text/plain;charset=UTF-8', body: { batch: [beacon] } },
    expect: { status: 200, accepted: 1, stored: ok(beacon) },
  });
  const form = valid();
  add({
    name: 'JSON labelled application/x-www-form-urlencoded (the type is not read, like text/plain)',
    request: { contentType: 'application/x-www-form-urlencoded', body: { batch: [form] } },
    expect: { status: 200, accepted: 1, stored: ok(form) },
  });
  add({
    name: 'a real form-encoded body',
    request: { contentType: 'application/x-www-form-urlencoded', body: 'batch=%5B%5D&writeKey=demo' },
    expect: { status: 400, error: 'invalid_json', message: 'body is not JSON' },
  });
  const untyped = valid();
  add({
    name: 'no Content-Type',
    request: { contentType: null, body: { batch: [untyped] } },
    expect: { status: 200, accepted: 1, stored: ok(untyped) },
  });
}

// -- Strings that are expensive to scan for PII ------------------------------------------------
{
  const words = valid({ properties: { blob: `${'a'.repeat(31_000)}1` } });
  add({
    name: '31 KB run of word characters with a digit (email pattern worst case)',
    request: { body: { batch: [words] } },
    expect: { status: 200, accepted: 1, stored: ok(words) },
  });
  const digits = valid({ properties: { list: '1 '.repeat(500) } });
  add({
    name: '1,000-character run of digits and spaces (card/phone pattern)',
    request: { body: { batch: [digits] } },
    expect: { status: 200, accepted: 1, stored: ok(digits) },
  });
  const huge = valid({ properties: { list: '1 '.repeat(15_000) } });
  add({
    name: '30 KB run of digits and spaces',
    request: { body: { batch: [huge] } },
    expect: { status: 200, accepted: 1, stored: ok(huge) },
  });
}

/** Every case, in the order they are sent. */
export const HOSTILE_CORPUS: readonly HostileCase[] = cases;
