// The worst inputs for PII masking, one per way a pattern could do more than linear work, and the
// requests at the collector's size limits that carry them; shared by the unit tests of maskPii and of
// the collector's masking walk, the collector's tests and the bench.
import { trackEvent } from './events.ts';
import { makeLuhn } from './pii-numbers.ts';

/** `unit` repeated to exactly `length` characters, ending in `tail`. */
const fill = (unit: string, length: number, tail = ''): string =>
  unit.repeat(Math.ceil((length - tail.length) / unit.length)).slice(0, length - tail.length) + tail;

/** Each hostile string by name, made to a length in characters (all ASCII, so as many bytes). */
export const HOSTILE_STRINGS: Readonly<Record<string, (length: number) => string>> = {
  // Address pattern: a long local part with no domain, or a domain with no local part.
  'word run then @': (n) => fill('a', n, '@'),
  'word run then %40': (n) => fill('a', n, '%40'),
  'digit run then @': (n) => fill('1', n, '@'),
  'dotted run then @': (n) => fill('a.', n, '@'),
  'hyphen run then @': (n) => fill('a-', n, '@'),
  'star run then @': (n) => fill('*', n, '@'),
  '@ then word run': (n) => '@' + fill('a', n - 1),
  '@ then dotted labels': (n) => '@' + fill('a1.', n - 1),
  'many @': (n) => fill('a@', n),
  'many %40': (n) => fill('a%40b', n),
  'many addresses': (n) => fill('a@b.cd', n),
  // Number pattern: long runs of digits, of digit groups joined by separators, of masked digits.
  'digit run': (n) => fill('1', n),
  'digits and spaces': (n) => fill('1 ', n),
  'digits and hyphens': (n) => fill('1-', n),
  'groups of three': (n) => fill('123 ', n),
  'groups of four': (n) => fill('4111 ', n),
  'mobile groups': (n) => fill('138 0013 8000 ', n),
  'long digit groups': (n) => fill(`${'1'.repeat(500)} `, n),
  'ID-card runs': (n) => fill('11010519491231002X ', n),
  'digits between stars': (n) => fill('****1 1 ', n),
  // What a mask keeps next to its stars is set aside: runs that end before stars, groups after them.
  'digit groups before stars': (n) => fill('1234567 ', n, '****'),
  'runs then kept digits and stars': (n) => fill('12345678901 0086138****', n),
  'stars then kept groups': (n) => fill('****1 234 ', n),
  // Digits glued to a letter are a token, read once; URL escapes are part of an address's local part.
  'digits glued to letters': (n) => fill('a1 ', n),
  'digit run glued to a letter': (n) => fill('1', n, 'a'),
  'escapes then @': (n) => fill('a%2B', n, '@'),
};

/**
 * Object keys are masked too, and keys that mask to one name are told apart by `#2`, `#3`…: `count`
 * email keys that all mask to `u***@x.co`, or with `distinct` each to a name of its own.
 */
export const emailKeys = (count: number, distinct = false): string[] =>
  Array.from({ length: count }, (_, i) => {
    const id = i.toString(36).padStart(6, '0');
    return distinct ? `u0@${id}.co` : `u${id}@x.co`;
  });

/** `count` Luhn-valid 16-digit card numbers that all mask to `************1234`. */
export const cardKeys = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => {
    // The 12th digit is not doubled by Luhn: any first 11 digits have one that makes the number valid.
    const first = `6${String(i).padStart(10, '0')}`;
    for (let d = 0; d <= 9; d++) {
      const card = `${first}${d}1234`;
      if (makeLuhn(card.slice(0, -1)) === card) return card;
    }
    throw new Error('unreachable');
  });

/**
 * An object of keys (each with the value 0) whose JSON, once masked and renamed, is at most `length`
 * characters: a batch context is measured with its event as stored, and must stay under the limit.
 */
const keysObject =
  (keys: (count: number) => string[], masked: number): MakeValue =>
  (length) => {
    // `"name#12345":0,` per key once masked.
    const count = Math.floor(length / (masked + 11));
    return Object.fromEntries(keys(count).map((key) => [key, 0]));
  };

/** Objects whose keys all mask to one name, by name, made to a length as {@link keysObject} says. */
export const HOSTILE_OBJECTS: Readonly<Record<string, MakeValue>> = {
  'colliding email keys': keysObject(emailKeys, 'u***@x.co'.length),
  'colliding card keys': keysObject(cardKeys, 16),
};

/**
 * What {@link HOSTILE_OBJECTS} are measured against: as many keys of the same size, with PII to mask
 * in each, masking to names of their own. Every key costs a masking; only telling them apart differs.
 */
export const benignKeys: MakeValue = keysObject((count) => emailKeys(count, true), 'u***@x.co'.length);

/** Ordinary text of the same length: words, dates, prices, and an address and a mobile number to mask. */
export const benignText = (length: number): string =>
  fill(
    'Order 2024-01-15 shipped to Li Lei, call 13800138000 or mail li.lei@example.com; CNY 1,299.00 x 3. ',
    length,
  );

/** A value of a given length (in JSON characters) to mask: a hostile one or {@link benignText}. */
export type MakeValue = (length: number) => unknown;

/** Request bodies at the collector's default size limits (event 32 KB, batch 500 KB) around a value. */
export const LIMIT_REQUESTS: Readonly<Record<string, (value: MakeValue) => unknown>> = {
  /** 16 events of 30 KB each: 485 KB, under the 500 KB batch limit. */
  'events at the event limit': (value) => ({
    batch: Array.from({ length: 16 }, () => trackEvent({ properties: { text: value(30_000) } })),
  }),
  /** 500 small events under a 31 KB batch context: each event with it stays under 32 KB. */
  'batch context': (value) => ({
    batch: Array.from({ length: 500 }, () => trackEvent()),
    context: { text: value(31_000) },
  }),
};
