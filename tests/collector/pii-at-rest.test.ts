// PII never at rest unmasked: what the collector stores, in `events` and in `failed_events`, holds
// masked strings, keys and numbers, leaves ids alone only at the paths configured exempt, and is
// valid UTF-8 whatever the client sent. Read back from the SQLite file of a real collector process.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPii } from '../../sdk-core/src/pii.ts';
import {
  type CollectorProcess,
  RUNTIMES,
  type Runtime,
  startCollector,
  unavailable,
} from '../support/collector-process.ts';
import { post, trackEvent } from '../support/events.ts';
import { cardKeys, emailKeys } from '../support/hostile-inputs.ts';
import { makeId, makeLuhn } from '../support/pii-numbers.ts';

const MOBILE = '13812345678';
const EMAIL = 'li.lei@example.com';
const CARD = makeLuhn('622202123456789');
const ID_CARD = makeId('11010519491231002');
const SECRETS = [MOBILE, EMAIL, CARD, ID_CARD];

/** Fails with the first secret that `text` still holds. */
const expectNoSecret = (text: string) => {
  for (const secret of SECRETS) expect(text, `stores ${secret}`).not.toContain(secret);
};

const personal = () => ({ phone: MOBILE, email: EMAIL, card: CARD, id_card: ID_CARD });

/** Stored rows of one kind, by messageId. */
const storedEvent = (c: CollectorProcess, messageId: string): Record<string, any> => {
  const [row] = c.query<{ payload: string }>('SELECT payload FROM events WHERE message_id = ?', messageId);
  if (!row) throw new Error(`event ${messageId} was not stored`);
  return JSON.parse(row.payload) as Record<string, any>;
};
const failedPayloads = (c: CollectorProcess, messageId: string): string[] =>
  c
    .query<{ payload: string }>('SELECT payload FROM failed_events WHERE message_id = ?', messageId)
    .map((r) => r.payload);

describe('PII at rest (pii.mask on, the default)', () => {
  let c: CollectorProcess;
  beforeAll(async () => {
    c = await startCollector({ config: { rateLimit: { perSecond: 0 } } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('masks the payload of refused events in failed_events', async () => {
    const bogus = trackEvent({ type: 'bogus', properties: personal() });
    const tooBig = trackEvent({ properties: { ...personal(), pad: 'x'.repeat(40_000) } });
    let deep: unknown = { phone: MOBILE, email: EMAIL };
    for (let i = 0; i < 70; i++) deep = { d: deep };
    const tooDeep = trackEvent({ properties: { deep } });
    const valid = trackEvent();
    const res = await post(`${c.url}/v1/batch`, { batch: [bogus, tooBig, tooDeep, valid] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0 }, { index: 1 }, { index: 2 }],
    });
    for (const event of [bogus, tooBig, tooDeep]) {
      const [payload] = failedPayloads(c, event.messageId);
      expect(payload).toBeDefined();
      expectNoSecret(payload as string);
      expect(payload).toContain('138****5678');
      expect(payload).toContain('l***@example.com');
    }
  });

  it('masks before it cuts a long refused payload, so no part of a number survives the cut', async () => {
    // Failed payloads keep their first 64 Ki characters; put the cut inside the mobile number.
    const event = trackEvent({ type: 'bogus', properties: { pad: '', phone: MOBILE } });
    const at = JSON.stringify(event).indexOf(MOBILE);
    (event.properties as Record<string, string>).pad = 'x'.repeat(64 * 1024 - at - 7);
    const res = await post(`${c.url}/v1/batch`, { batch: [event] });
    expect(res.status).toBe(200);
    const [payload] = failedPayloads(c, event.messageId);
    expect(payload).toHaveLength(64 * 1024);
    expect(payload?.endsWith('"phone":"138****')).toBe(true);
  });

  it('stores numbers that hold PII as their masked text, and other numbers as numbers', async () => {
    const event = trackEvent({
      properties: {
        phone: Number(MOBILE),
        card: Number(CARD),
        negative: -Number(MOBILE),
        price: 1299.5,
        ms: 1_700_000_000_000,
        big: 12_345_678_901_234,
      },
    });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    const props = storedEvent(c, event.messageId).properties;
    expect(props).toEqual({
      phone: '138****5678',
      card: `${'*'.repeat(12)}${CARD.slice(-4)}`,
      negative: '-138****5678',
      price: 1299.5,
      ms: 1_700_000_000_000,
      big: 12_345_678_901_234,
    });
  });

  it('masks object keys, keeps keys that mask alike apart, and keeps __proto__ a plain key', async () => {
    const messageId = randomUUID();
    // Written as text: `__proto__` must reach the collector as an own key, as JSON allows.
    const body =
      `{"batch":[{"type":"track","event":"Keys","messageId":"${messageId}","anonymousId":"a-1",` +
      `"properties":{"${MOBILE}":1,"${EMAIL}":2,"13800138000":"first","13811118000":"second",` +
      `"__proto__":{"13800138000":"${MOBILE}"}}}]}`;
    const res = await post(`${c.url}/v1/batch`, body);
    expect(res.status).toBe(200);
    const [row] = c.query<{ payload: string }>('SELECT payload FROM events WHERE message_id = ?', messageId);
    expectNoSecret(row?.payload ?? '');
    expect(row?.payload).toContain(
      '"properties":{"138****5678":1,"l***@example.com":2,"138****8000":"first","138****8000#2":"second",' +
        '"__proto__":{"138****8000":"138****5678"}}',
    );
  });

  it('leaves ids alone at the exempt paths only, and masks the same keys anywhere else', async () => {
    const event = trackEvent({
      userId: MOBILE,
      context: { session: { id: MOBILE }, other: { id: MOBILE } },
      properties: {
        order_id: MOBILE,
        nested: { userId: MOBILE, order_id: MOBILE },
        products: [{ product_id: MOBILE, sku: CARD, name: MOBILE, more: { product_id: MOBILE } }],
        list: [{ userId: MOBILE }],
      },
    });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    const stored = storedEvent(c, event.messageId);
    expect(stored.userId).toBe(MOBILE);
    expect(stored.context.session.id).toBe(MOBILE);
    expect(stored.context.other.id).toBe('138****5678');
    expect(stored.properties).toEqual({
      order_id: MOBILE,
      nested: { userId: '138****5678', order_id: '138****5678' },
      products: [{ product_id: MOBILE, sku: CARD, name: '138****5678', more: { product_id: '138****5678' } }],
      list: [{ userId: '138****5678' }],
    });
  });

  it('masks an object or array at an exempt path: only a string or number there is left as sent', async () => {
    // `properties.order_id: {phone, email}` and `properties.products[].sku: {p: …}` were stored raw.
    const event = trackEvent({
      properties: {
        order_id: { phone: MOBILE, email: EMAIL },
        sku: [MOBILE, Number(MOBILE)],
        product_id: Number(MOBILE),
        products: [{ sku: { p: MOBILE } }, { sku: MOBILE }],
      },
    });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    expect(storedEvent(c, event.messageId).properties).toEqual({
      order_id: { phone: '138****5678', email: 'l***@example.com' },
      sku: ['138****5678', '138****5678'],
      product_id: Number(MOBILE),
      products: [{ sku: { p: '138****5678' } }, { sku: MOBILE }],
    });
  });

  it('masks PII beside star runs, keeping only what a mask keeps next to its stars', async () => {
    const event = trackEvent({
      properties: {
        after: 'card **** **** **** 1234 13812345678',
        glued: '****13812345678',
        before: '13812345678 ****',
        masked: '0086138****5678',
      },
    });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    expect(storedEvent(c, event.messageId).properties).toEqual({
      after: 'card **** **** **** 1234 138****5678',
      glued: '****138****5678',
      before: '138****5678 ****',
      masked: '0086138****5678',
    });
  });

  it('masks the whole local part of a URL-encoded address, escapes and all', async () => {
    const event = trackEvent({
      properties: { email: 'zhang.san%2Btag%40example.com', url: '/s?to=zhang.san%2Btag%40example.com&x=1' },
    });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    const stored = storedEvent(c, event.messageId);
    expect(JSON.stringify(stored)).not.toContain('zhang');
    expect(stored.properties).toEqual({ email: 'z***%40example.com', url: '/s?to=z***%40example.com&x=1' });
  });

  it('masks a number from 2^53 up whole, and leaves a summed price alone', async () => {
    // Sent as JSON numbers: the ID reads back as 110105199003071230, whose checksum fails, and was
    // stored with its region and birth date. A fraction's digits are rounding noise, kept as sent.
    const messageId = randomUUID();
    const id = makeId('11010519900307123');
    const body =
      `{"batch":[{"type":"track","event":"Numbers","messageId":"${messageId}","anonymousId":"a-1",` +
      `"properties":{"id_number":${id},"total":19.990000000000002,"price":1299.5}}]}`;
    expect((await post(`${c.url}/v1/batch`, body)).status).toBe(200);
    const [row] = c.query<{ payload: string }>('SELECT payload FROM events WHERE message_id = ?', messageId);
    expect(row?.payload).not.toContain('1101051990');
    expect(JSON.parse(row?.payload ?? '{}').properties).toEqual({
      id_number: '**************1230',
      total: 19.990000000000002,
      price: 1299.5,
    });
  });

  it('keeps apart hundreds of keys that mask to one name, in an event and in the batch context', async () => {
    // Each key renamed `#2`, `#3`… in one pass (tests/collector/linear-work.test.ts: at the size limits).
    const keys = (names: string[]) => Object.fromEntries(names.map((name, i) => [name, i]));
    const event = trackEvent({ properties: { emails: keys(emailKeys(500)), cards: keys(cardKeys(500)) } });
    const res = await post(`${c.url}/v1/batch`, {
      batch: [event],
      context: { emails: keys(emailKeys(300)) },
    });
    expect(await res.json()).toMatchObject({ accepted: 1 });
    const stored = storedEvent(c, event.messageId);
    for (const [object, name, count] of [
      [stored.properties.emails, 'u***@x.co', 500],
      [stored.properties.cards, '************1234', 500],
      [stored.context.emails, 'u***@x.co', 300],
    ] as const) {
      const entries = Object.entries(object as Record<string, number>);
      expect(entries).toHaveLength(count);
      expect(entries.slice(0, 2)).toEqual([
        [name, 0],
        [`${name}#2`, 1],
      ]);
      expect(entries.at(-1)).toEqual([`${name}#${count}`, count - 1]);
    }
  });

  it('masks the batch context, once, into every event of the batch', async () => {
    const events = [trackEvent(), trackEvent(), trackEvent({ context: { note: 'own note' } })];
    const context = { note: `call ${MOBILE}`, session: { id: MOBILE }, [MOBILE]: EMAIL };
    const res = await post(`${c.url}/v1/batch`, { batch: events, context });
    expect(res.status).toBe(200);
    const stored = events.map((e) => storedEvent(c, e.messageId).context);
    for (const { session, ...rest } of stored) {
      expect(session.id).toBe(MOBILE); // an exempt path
      expectNoSecret(JSON.stringify(rest));
      expect(rest['138****5678']).toBe('l***@example.com');
    }
    expect(stored.map((ctx) => ctx.note)).toEqual(['call 138****5678', 'call 138****5678', 'own note']);
  });

  it('stores what the SDK already masked as it is (masking is idempotent)', async () => {
    // A value found to lose its middle when masked a second time.
    const once = 'a***@a.aa-************0008-a.aa-***@a.aaa***@a.aa';
    expect(maskPii(once)).toBe(once);
    const event = trackEvent({ properties: { text: once } });
    await post(`${c.url}/v1/batch`, { batch: [event] });
    expect(storedEvent(c, event.messageId).properties.text).toBe(once);
  });
});

describe('PII exempt paths from the config', () => {
  it('exempts exactly the configured paths', async () => {
    const c = await startCollector({ config: { pii: { exemptPaths: ['properties.code', 'items[].id'] } } });
    try {
      const event = trackEvent({
        userId: MOBILE,
        properties: { code: MOBILE, id: MOBILE },
        items: [{ id: MOBILE }],
      });
      await post(`${c.url}/v1/batch`, { batch: [event] });
      const stored = storedEvent(c, event.messageId);
      expect(stored.userId).toBe('138****5678');
      expect(stored.properties).toEqual({ code: MOBILE, id: '138****5678' });
      expect(stored.items).toEqual([{ id: MOBILE }]);
    } finally {
      await c.stop();
    }
  });

  it('refuses the bare key names of pii.exemptKeys at startup, naming the replacement', async () => {
    const start = startCollector({ config: { pii: { exemptKeys: ['order_id'] } as never } });
    await expect(start).rejects.toThrow(/pii\.exemptKeys was replaced by pii\.exemptPaths/);
  });
});

/** A stored text column's bytes, decoded strictly: throws on invalid UTF-8 as Python's sqlite3 does. */
const strictText = (c: CollectorProcess, sql: string, ...params: unknown[]): string[] =>
  c
    .query<{ bytes: Buffer }>(sql, ...params)
    .map((r) => new TextDecoder('utf-8', { fatal: true }).decode(r.bytes));

describe.each(RUNTIMES)('lone surrogates on %s', (runtime: Runtime) => {
  const reason = unavailable(runtime);
  if (reason) {
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }

  // The rule does not depend on masking: without it, once is enough.
  it.each(runtime === 'node' ? [true, false] : [true])(
    'are stored as U+FFFD in every string, keys too (pii.mask %s)',
    async (mask) => {
      const c = await startCollector({ runtime, config: { pii: { mask } } });
      try {
        const kept = randomUUID();
        const refused = randomUUID();
        // JSON escapes: a lone high and a lone low surrogate, and a valid pair (an emoji) beside them.
        const body =
          `{"batch":[{"type":"track","event":"E\\ud800","messageId":"${kept}","anonymousId":"a\\udc00",` +
          `"properties":{"k\\ud800":"v\\udfffx","pair":"\\ud83d\\ude00"}},` +
          `{"type":"bogus","messageId":"${refused}","note":"n\\ud800"}]}`;
        const res = await post(`${c.url}/v1/batch`, body);
        expect(res.status).toBe(200);
        const [payload] = strictText(
          c,
          'SELECT CAST(payload AS BLOB) AS bytes FROM events WHERE message_id = ?',
          kept,
        );
        expect(JSON.parse(payload ?? '')).toMatchObject({
          event: 'E\ufffd',
          anonymousId: 'a\ufffd',
          properties: { 'k\ufffd': 'v\ufffdx', pair: '😀' },
        });
        expect(
          strictText(
            c,
            'SELECT CAST(event || anonymous_id AS BLOB) AS bytes FROM events WHERE message_id = ?',
            kept,
          ),
        ).toEqual(['E\ufffda\ufffd']);
        const [failed] = strictText(
          c,
          'SELECT CAST(payload AS BLOB) AS bytes FROM failed_events WHERE message_id = ?',
          refused,
        );
        expect(failed).toContain('"note":"n\ufffd"');
      } finally {
        await c.stop();
      }
    },
  );
});

// The cut is the same code on every runtime, so one runtime shows it.
describe('a refused payload cut at 64 KiB', () => {
  it('keeps a refused payload valid UTF-8 when its cut splits a surrogate pair', async () => {
    const c = await startCollector();
    try {
      const event = trackEvent({ type: 'bogus', properties: { pad: '', emoji: '😀' } });
      const at = JSON.stringify(event).indexOf('😀');
      (event.properties as Record<string, string>).pad = 'x'.repeat(64 * 1024 - at - 1);
      await post(`${c.url}/v1/batch`, { batch: [event] });
      const [payload] = strictText(
        c,
        'SELECT CAST(payload AS BLOB) AS bytes FROM failed_events WHERE message_id = ?',
        event.messageId,
      );
      expect(payload?.endsWith('"emoji":"\ufffd')).toBe(true);
    } finally {
      await c.stop();
    }
  });
});
