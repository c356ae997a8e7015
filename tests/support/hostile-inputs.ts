// The worst inputs for PII masking, one per way a pattern could do more than linear work, and the
// requests at the collector's size limits that carry them; shared by the unit tests of maskPii, the
// collector's tests and the bench.
import { trackEvent } from './events.ts';

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
};

/** Ordinary text of the same length: words, dates, prices, and an address and a mobile number to mask. */
export const benignText = (length: number): string =>
  fill(
    'Order 2024-01-15 shipped to Li Lei, call 13800138000 or mail li.lei@example.com; CNY 1,299.00 x 3. ',
    length,
  );

/** A string of a given length to mask: a hostile one or {@link benignText}. */
export type MakeText = (length: number) => string;

/** Request bodies at the collector's default size limits (event 32 KB, batch 500 KB) around a text. */
export const LIMIT_REQUESTS: Readonly<Record<string, (text: MakeText) => unknown>> = {
  /** 16 events of 30 KB each: 485 KB, under the 500 KB batch limit. */
  'events at the event limit': (text) => ({
    batch: Array.from({ length: 16 }, () => trackEvent({ properties: { text: text(30_000) } })),
  }),
  /** 500 small events under a 31 KB batch context: each event with it stays under 32 KB. */
  'batch context': (text) => ({
    batch: Array.from({ length: 500 }, () => trackEvent()),
    context: { text: text(31_000) },
  }),
};
