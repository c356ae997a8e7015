import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardKeys, emailKeys } from '../../../tests/support/hostile-inputs.ts';
import { makeId } from '../../../tests/support/pii-numbers.ts';
import { fastest } from '../../../tests/support/timing.ts';
import { DEFAULT_PII_EXEMPT_PATHS, exemptTree } from './exempt-paths.ts';
import { scrub } from './mask.ts';

const root = exemptTree(DEFAULT_PII_EXEMPT_PATHS);
const copy = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
/** Every string of a JSON text, keys included, is well-formed when the text has no `\ud8xx` escape left. */
const loneSurrogate = /\\ud[89a-f][0-9a-f]{2}/i;

// Random seeds every run; a failure prints its `{ seed, path }` for replay.
describe('scrub', () => {
  it('leaves well-formed strings, masks in place, and is idempotent on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, mask) => {
        const once = scrub(copy(value), mask, root);
        const text = JSON.stringify(once);
        expect(text).not.toMatch(loneSurrogate);
        expect(JSON.stringify(scrub(copy(once), mask, root))).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('replaces lone surrogates in keys and values, masking or not', () => {
    for (const mask of [true, false]) {
      const value = JSON.parse('{"k\\ud800":["v\\udc00",{"\\udfff":"😀"}]}') as unknown;
      expect(scrub(value, mask, root)).toEqual({ 'k\ufffd': ['v\ufffd', { '\ufffd': '😀' }] });
    }
  });

  it('walks any depth without recursion', () => {
    let value: unknown = '13800138000';
    for (let i = 0; i < 100_000; i++) value = i % 2 ? [value] : { v: value };
    let out = scrub(value, true, root);
    for (let i = 100_000 - 1; i >= 0; i--) out = i % 2 ? (out as unknown[])[0] : (out as { v: unknown }).v;
    expect(out).toBe('138****8000');
  });

  it('follows exempt paths through arrays, and only them', () => {
    const tree = exemptTree(['a[][].id', 'b.c']);
    const value = {
      a: [[{ id: '13800138000' }], { id: '13800138000' }],
      b: { c: '13800138000', d: '13800138000' },
    };
    expect(scrub(value, true, tree)).toEqual({
      a: [[{ id: '13800138000' }], { id: '138****8000' }],
      b: { c: '13800138000', d: '138****8000' },
    });
  });

  it('leaves a string or number at an exempt path as sent, and masks an object or array there', () => {
    // `properties.order_id: {phone, email}` and `properties.products[].sku: {p: …}` were stored raw.
    const value = JSON.parse(
      JSON.stringify({
        properties: {
          order_id: { phone: '13800138000', email: 'li.lei@example.com', n: 13800138000 },
          sku: ['13800138000', 13800138000],
          product_id: 13800138000,
          products: [{ sku: { p: '13800138000' } }, { sku: '13800138000' }, { sku: 13800138000 }],
        },
        userId: { '13800138000': '13800138000' },
        anonymousId: '13800138000',
      }),
    ) as unknown;
    expect(scrub(value, true, root)).toEqual({
      properties: {
        order_id: { phone: '138****8000', email: 'l***@example.com', n: '138****8000' },
        sku: ['138****8000', '138****8000'],
        product_id: 13800138000,
        products: [{ sku: { p: '138****8000' } }, { sku: '13800138000' }, { sku: 13800138000 }],
      },
      userId: { '138****8000': '138****8000' },
      anonymousId: '13800138000',
    });
  });

  it('masks an array of items at an exempt `[]` path but the strings in it', () => {
    const tree = exemptTree(['ids[]']);
    expect(scrub({ ids: ['13800138000', { id: '13800138000' }, ['13800138000']] }, true, tree)).toEqual({
      ids: ['13800138000', { id: '138****8000' }, ['138****8000']],
    });
  });
});

describe('scrub: numbers', () => {
  const props = (json: string) =>
    (scrub(JSON.parse(`{"properties":${json}}`), true, root) as { properties: unknown }).properties;

  it('masks a number from 2^53 up whole, as a card: its digits are not what was sent', () => {
    // A resident ID sent as a number reads as 110105199003071230, whose checksum fails.
    const id = makeId('11010519900307123');
    expect(id).toBe('110105199003071239');
    expect(props(`{"id":${id},"neg":-${id},"big":9007199254740993}`)).toEqual({
      id: '**************1230',
      neg: '-**************1230',
      big: '************0992',
    });
    // Past 1e21 a number is written with an exponent: the mantissa is starred, the exponent kept.
    expect(props('{"huge":12345678901234567890123456,"e":1e21}')).toEqual({
      huge: '*.****************e+25',
      e: '*e+21',
    });
  });

  it('keeps safe integers without PII, and Infinity, as numbers', () => {
    expect(props(`{"max":${Number.MAX_SAFE_INTEGER},"ms":1700000000000,"inf":1e400,"n":-42}`)).toEqual({
      max: Number.MAX_SAFE_INTEGER,
      ms: 1700000000000,
      inf: Infinity,
      n: -42,
    });
  });

  it('leaves fractions alone: their digits are rounding noise, not a number someone wrote', () => {
    // 19.990000000000002 is a price summed in a browser; as text, its digit run passes Luhn.
    expect(props('{"a":0.13812345678,"b":19.990000000000002,"c":12.5,"d":-0.30000000000000004}')).toEqual({
      a: 0.13812345678,
      b: 19.990000000000002,
      c: 12.5,
      d: -0.30000000000000004,
    });
  });

  it('leaves numbers alone with masking off', () => {
    expect(scrub({ id: 2 ** 60, f: 0.13812345678 }, false, root)).toEqual({ id: 2 ** 60, f: 0.13812345678 });
  });
});

describe('scrub: keys that mask to one name', () => {
  const scrubKeys = (keys: string[]) => scrub(Object.fromEntries(keys.map((k, i) => [k, i])), true, root);

  it('keeps every value, renaming later keys `#2`, `#3`… in order, around names already taken', () => {
    // `a***@x.co#2` is sent as such: the renamed keys go around it.
    const out = scrubKeys(['a***@x.co#2', 'ab@x.co', 'ac@x.co', 'ad@x.co', 'ae@x.co#2']);
    expect(Object.entries(out as object)).toEqual([
      ['a***@x.co#2', 0],
      ['a***@x.co', 1],
      ['a***@x.co#3', 2],
      ['a***@x.co#4', 3],
      ['a***@x.co#2#2', 4],
    ]);
  });

  it.each([
    ['email keys', emailKeys, 'u***@x.co'],
    ['card keys', cardKeys, '************1234'],
  ] as const)('tells 20,000 colliding %s apart in one pass', (_kind, keys, name) => {
    const out = Object.keys(scrubKeys(keys(20_000)) as object);
    expect(out).toHaveLength(20_000);
    expect(out.slice(0, 3)).toEqual([name, `${name}#2`, `${name}#3`]);
    expect(out.at(-1)).toBe(`${name}#20000`);
  });

  it('costs about what as many keys masking to names of their own cost', async () => {
    // Probing `#2`, `#3`… from the start for each key was quadratic: 8,000 keys in one event held
    // the event loop for 12.6 s. The same number of keys, each masking to its own name, is the measure.
    const colliding = emailKeys(20_000);
    const distinct = emailKeys(20_000, true);
    scrubKeys(distinct); // warm
    const alike = await fastest(() => scrubKeys(colliding), 3);
    const apart = await fastest(() => scrubKeys(distinct), 3);
    expect(alike / apart).toBeLessThan(3);
  });
});
