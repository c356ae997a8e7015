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

// A number can hold PII only with 11 digits or more (a mobile number, a card); its decimal form is
// masked like text, and a masked number is stored as the masked string.
const number = (n: number): number | string => {
  if (Math.abs(n) < 1e10) return n;
  const s = String(n);
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
  names.forEach((name, i) => {
    let key = name;
    for (let n = 2; used.has(key); n++) key = `${name}#${n}`;
    used.add(key);
    Object.defineProperty(o, key, { value: values[i], enumerable: true, writable: true, configurable: true });
  });
}

/**
 * Makes a parsed JSON value fit to store, in place, in one pass: lone surrogates in every string
 * (values and keys) become U+FFFD; with `mask`, PII is masked in every string, key and number whose
 * decimal form holds some, except under the exempt paths of `node` (the tree of the value's own
 * position). Iterative, so any depth is fine. Returns the value, or its replacement when it is
 * itself a string or a number.
 */
export function scrub(value: unknown, mask: boolean, node: ExemptNode | undefined): unknown {
  if (typeof value !== 'object' || value === null) return leaf(value, mask && !node?.exempt);
  const stack: [Container, boolean, ExemptNode | undefined][] = [
    [value as Container, mask && !node?.exempt, node],
  ];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [container, masking, at] = top;
    if (Array.isArray(container)) {
      const item = at?.items;
      const itemMasking = masking && !item?.exempt;
      for (let i = 0; i < container.length; i++) {
        const v = container[i];
        if (typeof v === 'object' && v !== null) stack.push([v as Container, itemMasking, item]);
        else container[i] = leaf(v, itemMasking);
      }
      continue;
    }
    const keys = Object.keys(container);
    let names: string[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const child = at?.keys?.get(key);
      const childMasking = masking && !child?.exempt;
      const v = container[key];
      if (typeof v === 'object' && v !== null) stack.push([v as Container, childMasking, child]);
      else {
        const clean = leaf(v, childMasking);
        // An own `__proto__` (from JSON.parse) is a data property: assigning it sets the value.
        if (clean !== v) container[key] = clean;
      }
      const name = text(key, masking);
      if (name !== key) (names ??= [...keys])[i] = name;
    }
    if (names) rekey(container, keys, names);
  }
  return value;
}
