import { maskPii } from '@trail/sdk-core/pii';
import type { ExemptNode } from './exempt-paths.ts';

/**
 * The string with each lone surrogate replaced by U+FFFD: SQLite stores one as invalid UTF-8, which
 * other readers (Python's sqlite3) refuse. ES2024, on every runtime the collector runs on (Node 20,
 * Bun, Deno, Workers); TypeScript's lib here is ES2022.
 */
export const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

// Only a digit, an @ (or %40), or a surrogate can make a string change: most strings are read once.
const MAYBE = /[\d@%\ud800-\udfff]/;

const text = (s: string, mask: boolean): string =>
  MAYBE.test(s) ? (mask ? maskPii(wellFormed(s)) : wellFormed(s)) : s;

// An integer can hold PII from 11 digits up (a mobile number, a card); it is masked like text, and
// a masked number is stored as the masked string. Fractions are left alone: their digits carry
// rounding noise (`19.990000000000002`, a price summed in a browser), which as text passes a Luhn
// check one time in ten. From 2^53 up a number has lost digits in parsing (a resident ID sent as
// `110105199003071239` reads as …230, whose checksum fails): it is masked whole, as a card is, all
// its digits starred but the last 4 (an exponent is kept: `*.****e+25`). Infinity (`1e400`) is kept.
const number = (n: number): number | string => {
  const a = Math.abs(n);
  if (a === Infinity || a < 1e10 || !Number.isInteger(n)) return n;
  const s = String(n);
  if (a >= 2 ** 53) return s.replace(/\d(?=\d{4}|[\d.]*e)/g, '*');
  const masked = maskPii(s);
  return masked === s ? n : masked;
};

const leaf = (value: unknown, mask: boolean): unknown =>
  typeof value === 'string' ? text(value, mask) : mask && typeof value === 'number' ? number(value) : value;

type Container = Record<string, unknown> | unknown[];

/**
 * Renames the keys of `o` in place, keeping their order. Keys that now read the same keep their
 * values apart (`#2`, `#3`… on the later ones). Defined, not assigned, so that a key `__proto__`
 * stays data.
 */
function rekey(o: Record<string, unknown>, keys: readonly string[], names: readonly string[]): void {
  const values = keys.map((key) => o[key]);
  for (const key of keys) Reflect.deleteProperty(o, key);
  const used = new Set<string>();
  // The next suffix to try per name: thousands of keys masking to one name would otherwise probe
  // #2, #3, … from the start each, quadratic in the keys.
  const next = new Map<string, number>();
  names.forEach((name, i) => {
    let key = name;
    if (used.has(key)) {
      let n = next.get(name) ?? 2;
      while (used.has((key = `${name}#${n}`))) n++;
      next.set(name, n + 1);
    }
    used.add(key);
    Object.defineProperty(o, key, { value: values[i], enumerable: true, writable: true, configurable: true });
  });
}

/**
 * Makes a parsed JSON value fit to store, in place, in one pass: lone surrogates in every string
 * (values and keys) become U+FFFD; with `mask`, PII is masked in every string, key and number whose
 * decimal form holds some, but for a string or number at an exempt path of `node` (the tree of the
 * value's own position): an object or array there is masked like any other. Iterative, so any depth
 * is fine. Returns the value, or its replacement when it is itself a string or a number.
 */
export function scrub(value: unknown, mask: boolean, node: ExemptNode | undefined): unknown {
  if (typeof value !== 'object' || value === null) return leaf(value, mask && !node?.exempt);
  const stack: [Container, ExemptNode | undefined][] = [[value as Container, node]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [container, at] = top;
    if (Array.isArray(container)) {
      const item = at?.items;
      const itemMasking = mask && !item?.exempt;
      for (let i = 0; i < container.length; i++) {
        const v = container[i];
        if (typeof v === 'object' && v !== null) stack.push([v as Container, item]);
        else container[i] = leaf(v, itemMasking);
      }
      continue;
    }
    const keys = Object.keys(container);
    let names: string[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = at?.keys?.get(key);
      const v = container[key];
      if (typeof v === 'object' && v !== null) stack.push([v as Container, child]);
      else {
        const clean = leaf(v, mask && !child?.exempt);
        // An own `__proto__` (from JSON.parse) is a data property: assigning it sets the value.
        if (clean !== v) container[key] = clean;
      }
      const name = text(key, mask);
      if (name !== key) (names ??= [...keys])[i] = name;
    }
    if (names) rekey(container, keys, names);
  }
  return value;
}
