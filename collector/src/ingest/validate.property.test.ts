import { EVENT_TYPES } from '@trail/sdk-core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISO_DATE_TIME, isIsoDateTime, type Validation, validateEvent } from './validate.ts';

// Property tests of validateEvent against the valibot schema in validate.ts. The rules below are read
// off that schema, nothing more:
//   - the event is a non-null, non-array object;
//   - `type` is one of track, page, screen, identify, alias, group;
//   - ids (messageId, anonymousId, userId, previousId, groupId) are a string or a safe integer (JSON
//     keeps its digits) whose String() is 1..256 UTF-16 units; optional except previousId + userId on
//     alias, groupId on group;
//   - timestamp, sentAt: optional ISO 8601 date-times with a zone (`YYYY-MM-DDThh:mm[:ss[.f{1,9}]]`
//     then `Z` or `±hh[:]mm`; six-digit signed years too) of at most 64 units, of a day that exists;
//   - context, integrations (all types), properties (track/page/screen), traits (identify/group):
//     optional "objects", i.e. typeof 'object', not null, not an array;
//   - track: `event` is a required string of 1..512 units; page/screen: optional `name`, `category`
//     strings of at most 512 units;
//   - anonymousId or userId is present (and, being a non-empty id, truthy);
//   - any other key is let through (loose objects), whatever its value.
// A key present with the value undefined counts as absent for optional fields.

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ID_KEYS = ['messageId', 'anonymousId', 'userId', 'previousId', 'groupId'] as const;
const SPECIAL_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** Keys the schema knows for each type; everything else is passed through untouched. */
const SCHEMA_KEYS: Record<string, readonly string[]> = {
  common: ['messageId', 'anonymousId', 'userId', 'timestamp', 'sentAt', 'context', 'integrations', 'type'],
  track: ['event', 'properties'],
  page: ['name', 'category', 'properties'],
  screen: ['name', 'category', 'properties'],
  identify: ['traits'],
  alias: ['previousId'],
  group: ['groupId', 'traits'],
};
const knownKeys = (type: string): Set<string> =>
  new Set([...SCHEMA_KEYS.common!, ...(SCHEMA_KEYS[type] ?? [])]);

// ---------------------------------------------------------------------------------------------
// Reference predicate: an independent transcription of the schema.
// ---------------------------------------------------------------------------------------------

const idOk = (v: unknown): boolean =>
  (typeof v === 'string' || Number.isSafeInteger(v)) && String(v).length >= 1 && String(v).length <= 256;

/** The date-time rule, read part by part (the schema reads it with one pattern). */
const dateOk = (v: unknown): boolean => {
  if (typeof v !== 'string' || v.length > 64) return false;
  const [date, rest, ...more] = v.split('T');
  if (date === undefined || rest === undefined || more.length > 0) return false;
  const ymd = /^([+-]\d{6}|\d{4})-(\d\d)-(\d\d)$/.exec(date);
  const zoneAt = Math.max(rest.indexOf('Z'), rest.indexOf('+'), rest.indexOf('-'));
  if (!ymd || zoneAt < 0) return false;
  const [clock, zone] = [rest.slice(0, zoneAt), rest.slice(zoneAt)];
  const hms = /^(\d\d):(\d\d)(?::(\d\d)(?:\.\d{1,9})?)?$/.exec(clock);
  const offset = /^[+-](\d\d):?(\d\d)$/.exec(zone);
  if (!hms || (zone !== 'Z' && !offset)) return false;
  if (Number(hms[1]) > 23 || Number(hms[2]) > 59 || Number(hms[3] ?? 0) > 59) return false;
  if (offset && (Number(offset[1]) > 23 || Number(offset[2]) > 59)) return false;
  const [year, month, day] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 ? 1 : 0);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const lastDay = daysInMonth + (month === 2 && leap ? 1 : 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= lastDay && !Number.isNaN(Date.parse(v));
};
const nameOk = (v: unknown): boolean => typeof v === 'string' && v.length <= 512;
const opt =
  (f: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === undefined || f(v);

const allowed = (x: unknown): boolean => {
  if (!isObject(x) || !(EVENT_TYPES as readonly unknown[]).includes(x.type)) return false;
  const common =
    opt(idOk)(x.messageId) &&
    opt(idOk)(x.anonymousId) &&
    opt(idOk)(x.userId) &&
    opt(dateOk)(x.timestamp) &&
    opt(dateOk)(x.sentAt) &&
    opt(isObject)(x.context) &&
    opt(isObject)(x.integrations);
  if (!common) return false;
  let specific: boolean;
  switch (x.type) {
    case 'track':
      specific = nameOk(x.event) && (x.event as string).length >= 1 && opt(isObject)(x.properties);
      break;
    case 'page':
    case 'screen':
      specific = opt(nameOk)(x.name) && opt(nameOk)(x.category) && opt(isObject)(x.properties);
      break;
    case 'identify':
      specific = opt(isObject)(x.traits);
      break;
    case 'alias':
      specific = idOk(x.previousId) && idOk(x.userId);
      break;
    default: // group
      specific = idOk(x.groupId) && opt(isObject)(x.traits);
  }
  return specific && (x.anonymousId !== undefined || x.userId !== undefined);
};

/** validateEvent's answer is one of the two documented shapes, with a non-empty reason. */
const wellFormed = (r: Validation): void => {
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) expect(isObject(r.event)).toBe(true);
  else {
    expect(typeof r.reason).toBe('string');
    expect(r.reason.length).toBeGreaterThan(0);
  }
};

// ---------------------------------------------------------------------------------------------
// Generators of valid values
// ---------------------------------------------------------------------------------------------

const idArb = fc.oneof(
  fc.uuid(),
  fc.string({ minLength: 1, maxLength: 256 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 128 }), // up to 256 UTF-16 units
  fc.string({ unit: 'binary-ascii', minLength: 256, maxLength: 256 }),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -0), // String(-0) is "0"
);
const modernDate = fc.date({
  min: new Date('1970-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
});
const pad = (n: number) => String(n).padStart(2, '0');
/** `d` written as a date-time in a zone `minutes` east of UTC, in each form the rule allows. */
const inZone = (d: Date, minutes: number, colon: boolean, fraction: string) => {
  const local = new Date(d.getTime() + minutes * 60_000).toISOString().slice(0, -5);
  const sign = minutes < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.trunc(Math.abs(minutes) / 60))}${colon ? ':' : ''}${pad(Math.abs(minutes) % 60)}`;
  return `${local}${fraction}${minutes === 0 && colon ? 'Z' : zone}`;
};
const dateArb = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), // six-digit years too
  fc
    .record({
      d: modernDate,
      minutes: fc.integer({ min: -14 * 60, max: 14 * 60 }),
      colon: fc.boolean(),
      fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.\d{1,9}$/)),
    })
    .map(({ d, minutes, colon, fraction }) => inZone(d, minutes, colon, fraction)),
  modernDate.map((d) => d.toISOString().slice(0, 16) + 'Z'), // no seconds
);
const nameArb = (min: number) =>
  fc.oneof(
    fc.string({ minLength: min, maxLength: 512 }),
    fc.string({ unit: 'binary', minLength: min, maxLength: 256 }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: 64 }),
  );
const objArb: fc.Arbitrary<Obj> = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
  fc.object({ maxDepth: 2 }),
  fc.constant({}),
);

/** Optional fields: absent or valid. */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
const strip = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** A valid event of any type, with extra keys the schema does not name (any value, any key). */
const validEvent: fc.Arbitrary<Obj> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    who: fc.constantFrom('anonymousId', 'userId', 'both'),
    messageId: optional(idArb),
    anonymousId: idArb,
    userId: idArb,
    timestamp: optional(dateArb),
    sentAt: optional(dateArb),
    context: optional(objArb),
    integrations: optional(objArb),
    event: nameArb(1),
    name: optional(nameArb(0)),
    category: optional(nameArb(0)),
    properties: optional(objArb),
    traits: optional(objArb),
    previousId: idArb,
    groupId: idArb,
    extra: fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom('event', 'name', 'previousId', 'groupId', 'traits', 'properties'),
      ),
      fc.anything(),
      { maxKeys: 4 },
    ),
  })
  .map(({ type, who, extra, ...f }) => {
    const e: Obj = {
      type,
      messageId: f.messageId,
      anonymousId: who === 'userId' && type !== 'alias' ? undefined : f.anonymousId,
      userId: who === 'anonymousId' && type !== 'alias' ? undefined : f.userId,
      timestamp: f.timestamp,
      sentAt: f.sentAt,
      context: f.context,
      integrations: f.integrations,
    };
    if (type === 'track') Object.assign(e, { event: f.event, properties: f.properties });
    if (type === 'page' || type === 'screen')
      Object.assign(e, { name: f.name, category: f.category, properties: f.properties });
    if (type === 'identify') e.traits = f.traits;
    if (type === 'alias') e.previousId = f.previousId;
    if (type === 'group') Object.assign(e, { groupId: f.groupId, traits: f.traits });
    // Extra keys: only those the schema does not know for this type (others are mutations below).
    const known = knownKeys(type);
    for (const [k, v] of Object.entries(extra))
      if (!known.has(k))
        Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
    return strip(e);
  });

// ---------------------------------------------------------------------------------------------
// Generators of forbidden values
// ---------------------------------------------------------------------------------------------

const notUndefined = <T>(arb: fc.Arbitrary<T>) => arb.filter((v) => v !== undefined);
const anything = fc.anything({
  withNullPrototype: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withBigInt: true,
});
const badId = fc.oneof(
  fc.constant(''),
  fc.constant(Number.NaN),
  // Numbers JSON does not keep to the digit: past 2^53, fractions, 1e400 (Infinity).
  fc.double().filter((n) => !Number.isSafeInteger(n)),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.POSITIVE_INFINITY, 0.5),
  fc.string({ minLength: 257, maxLength: 400 }),
  fc.string({ unit: 'binary', minLength: 129, maxLength: 200 }).filter((s) => s.length > 256),
  notUndefined(anything.filter((v) => typeof v !== 'string' && typeof v !== 'number')),
);
const badDate = fc.oneof(
  fc.string().filter((s) => Number.isNaN(Date.parse(s))),
  // What Date.parse takes but the rule does not: "1" (2001), RFC 1123, a date alone, no zone, an
  // hour-only offset, days that do not exist.
  fc.constantFrom('1', '12', '2024', '2024-05', '2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z'),
  modernDate.chain((d) =>
    fc.constantFrom(
      d.toUTCString(),
      d.toISOString().slice(0, 10),
      d.toISOString().slice(0, -1),
      `${d.toISOString().slice(0, -1)}+08`,
      d.toISOString().replace('T', ' '),
      d.toString(),
    ),
  ),
  // Parseable but longer than 64: V8 skips trailing blanks and (comments) after an RFC 1123 date.
  fc
    .tuple(modernDate, fc.nat(40))
    .chain(([d, n]) =>
      fc.constantFrom(
        `${d.toUTCString()}${' '.repeat(36 + n)}`,
        `${d.toUTCString()} (${'c'.repeat(34 + n)})`,
      ),
    ),
  fc.string({ minLength: 65, maxLength: 100 }),
  notUndefined(anything.filter((v) => typeof v !== 'string')),
);
const badName = fc.oneof(
  fc.string({ minLength: 513, maxLength: 600 }),
  notUndefined(anything.filter((v) => typeof v !== 'string')),
);
const badObject = notUndefined(anything.filter((v) => !isObject(v)));
const badType = anything.filter((v) => !(EVENT_TYPES as readonly unknown[]).includes(v));

interface Mutation {
  /** The field the reason must name; undefined for the whole-event check. */
  field?: string;
  event: Obj;
  what: string;
}
const set = (e: Obj, k: string, v: unknown): Obj => {
  const out = { ...e };
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
};
const del = (e: Obj, ...ks: string[]): Obj =>
  Object.fromEntries(Object.entries(e).filter(([k]) => !ks.includes(k)));

/** One change the schema forbids, among those that apply to the event's type. */
const mutate = (e: Obj): fc.Arbitrary<Mutation> => {
  const t = e.type as string;
  const options: fc.Arbitrary<Mutation>[] = [
    badType.map((v) => ({ field: 'type', event: set(e, 'type', v), what: 'type not an event type' })),
    fc.constant({ field: 'type', event: del(e, 'type'), what: 'type missing' }),
  ];
  const field = (k: string, arb: fc.Arbitrary<unknown>, what: string) =>
    options.push(arb.map((v) => ({ field: k, event: set(e, k, v), what })));
  for (const k of ['messageId', 'anonymousId', 'userId']) field(k, badId, `${k} not a valid id`);
  for (const k of ['timestamp', 'sentAt']) field(k, badDate, `${k} not a date string`);
  for (const k of ['context', 'integrations']) field(k, badObject, `${k} not an object`);
  if (t === 'track') {
    field('event', fc.oneof(fc.constant(''), badName), 'event empty, too long or not a string');
    options.push(fc.constant({ field: 'event', event: del(e, 'event'), what: 'event missing' }));
  }
  if (t === 'page' || t === 'screen') for (const k of ['name', 'category']) field(k, badName, `${k} bad`);
  if (['track', 'page', 'screen'].includes(t)) field('properties', badObject, 'properties not an object');
  if (t === 'identify' || t === 'group') field('traits', badObject, 'traits not an object');
  if (t === 'alias') {
    field('previousId', badId, 'previousId not a valid id');
    options.push(
      fc.constant({ field: 'previousId', event: del(e, 'previousId'), what: 'previousId missing' }),
    );
    options.push(fc.constant({ field: 'userId', event: del(e, 'userId'), what: 'alias userId missing' }));
  }
  if (t === 'group') {
    field('groupId', badId, 'groupId not a valid id');
    options.push(fc.constant({ field: 'groupId', event: del(e, 'groupId'), what: 'groupId missing' }));
  }
  if (t !== 'alias')
    options.push(
      fc.constant({ event: del(e, 'anonymousId', 'userId'), what: 'neither anonymousId nor userId' }),
    );
  return fc.oneof(...options);
};

// ---------------------------------------------------------------------------------------------

describe('validateEvent never throws', () => {
  it('on anything at all', () => {
    fc.assert(
      fc.property(anything, (x) => wellFormed(validateEvent(x))),
      { numRuns: 500 },
    );
  });

  it('on any JSON value, and rejects every non-object', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) => {
        const r = validateEvent(x);
        wellFormed(r);
        if (!isObject(x)) expect(r).toEqual({ ok: false, reason: 'event must be an object' });
      }),
      { numRuns: 500 },
    );
  });

  it('on objects with __proto__, constructor and prototype keys (as JSON.parse makes them)', () => {
    const special = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty');
    fc.assert(
      fc.property(validEvent, fc.array(fc.tuple(special, fc.jsonValue()), { maxLength: 3 }), (e, extra) => {
        const json = JSON.stringify(e, safeJson);
        // Splice the keys into the JSON text, so that JSON.parse defines them as own data properties.
        const text =
          json === '{}' || extra.length === 0
            ? json
            : `{${extra.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')},${json.slice(1)}`;
        const input = JSON.parse(text) as Obj;
        const r = validateEvent(input);
        wellFormed(r);
        expect(({} as Obj).type).toBeUndefined(); // no prototype pollution
        if (r.ok) {
          expect(Object.getPrototypeOf(r.event)).toBe(Object.prototype);
          for (const k of SPECIAL_KEYS) expect(Object.hasOwn(r.event, k)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never takes a field from a smuggled __proto__ object', () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        const input = JSON.parse(`{"__proto__":${JSON.stringify(strip(e), safeJson)}}`) as Obj;
        expect(validateEvent(input)).toEqual({ ok: false, reason: 'type is required' });
      }),
      { numRuns: 100 },
    );
  });

  it('on deep nesting in context, properties and unknown keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.constantFrom('context', 'properties', 'extra', 'integrations'),
        (depth, key) => {
          let deep: unknown = 'leaf';
          for (let i = 0; i < depth; i++) deep = i % 2 ? [deep] : { d: deep };
          const r = validateEvent({ type: 'track', event: 'E', anonymousId: 'a', [key]: { d: deep } });
          expect(r.ok).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});

/** JSON.stringify replacer for what fc.anything may put under extra keys. */
function safeJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? String(v) : v;
}

describe('validateEvent accepts what the schema allows', () => {
  it('accepts every generated well-formed event of every type', () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        const r = validateEvent(e);
        expect(r).toMatchObject({ ok: true });
      }),
      { numRuns: 1000 },
    );
  });

  it('returns the event with ids as strings, other known fields as given and unknown keys passed through', () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        const r = validateEvent(e);
        if (!r.ok) throw new Error(r.reason);
        const out = r.event as unknown as Obj;
        const expected = Object.keys(e).filter((k) => !SPECIAL_KEYS.has(k));
        expect(Object.keys(out).sort()).toEqual(expected.sort());
        for (const k of expected) {
          const want =
            (ID_KEYS as readonly string[]).includes(k) && knownKeys(e.type as string).has(k)
              ? String(e[k])
              : e[k];
          expect(Object.is(out[k], want), k).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateEvent rejects what the schema forbids', () => {
  it('rejects every single forbidden change to a valid event, naming the field', () => {
    fc.assert(
      fc.property(
        validEvent.chain((e) => mutate(e)),
        ({ field, event, what }) => {
          const r = validateEvent(event);
          expect(r.ok, what).toBe(false);
          if (r.ok) return;
          expect(typeof r.reason).toBe('string');
          if (field) expect(r.reason.startsWith(`${field} `), `${what}: ${r.reason}`).toBe(true);
          else expect(r.reason).toBe('needs an anonymousId or a userId');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('agrees with a transcription of the schema on random mixes of valid and invalid fields', () => {
    const value = (good: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>) =>
      fc.oneof(
        { weight: 6, arbitrary: good },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: bad },
      );
    const mixed = fc.record(
      {
        type: fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...EVENT_TYPES) },
          { weight: 1, arbitrary: badType },
        ),
        messageId: value(idArb, badId),
        anonymousId: value(idArb, badId),
        userId: value(idArb, badId),
        previousId: value(idArb, badId),
        groupId: value(idArb, badId),
        timestamp: value(dateArb, badDate),
        sentAt: value(dateArb, badDate),
        context: value(objArb, badObject),
        integrations: value(objArb, badObject),
        properties: value(objArb, badObject),
        traits: value(objArb, badObject),
        event: value(nameArb(0), badName),
        name: value(nameArb(0), badName),
        category: value(nameArb(0), badName),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(mixed, (x) => {
        const r = validateEvent(x);
        wellFormed(r);
        expect(r.ok, r.ok ? 'accepted' : r.reason).toBe(allowed(x));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ids are compared as the text that was sent', () => {
  const withId = (json: string) =>
    JSON.parse(`{"type":"track","event":"E","anonymousId":"a","messageId":${json}}`) as Obj;

  it('takes a JSON number only when its digits survive JSON.parse, and then as those digits', () => {
    const digits = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[1-9]\d{0,24}$/))
      .map(([minus, d]) => `${minus ? '-' : ''}${d}`);
    fc.assert(
      fc.property(digits, (text) => {
        const r = validateEvent(withId(text));
        // Either the id is exactly what was sent, or the event is refused: never a lookalike.
        if (r.ok) expect(r.event.messageId).toBe(text);
        else
          expect(r.reason).toBe(
            'messageId must be a string; numbers above 2^53 or with a fraction lose digits',
          );
        expect(r.ok).toBe(
          BigInt(text) <= BigInt(Number.MAX_SAFE_INTEGER) && BigInt(text) >= BigInt(Number.MIN_SAFE_INTEGER),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses the ids that used to collide: 2^53 + 1 with 2^53, 1e400 with 1e401', () => {
    for (const text of ['9007199254740993', '9007199254740992', '1e400', '1e401', '1.5', '-9007199254740993'])
      expect(validateEvent(withId(text))).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^messageId must be a string/),
      });
    for (const key of ['anonymousId', 'userId', 'previousId', 'groupId']) {
      const event = {
        type: key === 'previousId' ? 'alias' : key === 'groupId' ? 'group' : 'identify',
        anonymousId: 'a',
        userId: 'u',
        previousId: 'p',
        groupId: 'g',
        [key]: 2 ** 53,
      };
      expect(validateEvent(event)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(new RegExp(`^${key} must be a string`)),
      });
    }
  });
});

describe('event times are ISO 8601 date-times', () => {
  it('accepts each written form, meaning the instant Date.parse reads', () => {
    fc.assert(
      fc.property(dateArb, (text) => {
        expect(isIsoDateTime(text)).toBe(true);
        const r = validateEvent({ type: 'track', event: 'E', anonymousId: 'a', timestamp: text });
        expect(r).toMatchObject({ ok: true, event: { timestamp: text } });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what Date.parse takes leniently, naming the field', () => {
    fc.assert(
      fc.property(
        badDate.filter((v) => typeof v === 'string'),
        (text) => {
          expect(validateEvent({ type: 'track', event: 'E', anonymousId: 'a', timestamp: text })).toEqual({
            ok: false,
            reason:
              'timestamp must be an ISO 8601 date string with a time and a zone, e.g. 2024-05-01T12:00:00.000Z',
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('runs the date-time pattern in linear time: a hostile input costs what a benign one of its size does', () => {
    // Each input is 200,000 characters: prefixes that match as far as they can, then a long run
    // the pattern could try again and again if it backtracked.
    const size = 200_000;
    const fill = (head: string, unit: string) => (head + unit.repeat(size)).slice(0, size);
    const hostile = [
      fill('', '1'),
      fill('2024-05-01T12:00:00.', '1'),
      fill('2024-05-01T12:00:00.000+', '0'),
      fill('', '2024-05-01T12:00:00.000Z'),
      fill('+', '0'),
      fill('2024-05-01T12:00', ':00'),
    ];
    const benign = fill('', 'abcdefghij');
    /** Best of several runs, each repeating the match enough to be measured. */
    const cost = (input: string) => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 5; run++) {
        const started = performance.now();
        for (let i = 0; i < 200; i++) ISO_DATE_TIME.test(input);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const base = Math.max(cost(benign), 0.05);
    for (const input of hostile) {
      expect(ISO_DATE_TIME.test(input)).toBe(false);
      expect(cost(input) / base, input.slice(0, 30)).toBeLessThan(20);
    }
  });
});
