import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
    const value = { a: [[{ id: '13800138000' }], { id: '13800138000' }], b: { c: { d: '13800138000' } } };
    expect(scrub(value, true, tree)).toEqual({
      a: [[{ id: '13800138000' }], { id: '138****8000' }],
      b: { c: { d: '13800138000' } },
    });
  });
});
