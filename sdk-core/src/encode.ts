import { isObj } from './args.ts';

/**
 * The collector's rules for string fields (collector/src/ingest/validate.ts): field, shortest,
 * longest, and the event type that requires it. Ids are strings here: the SDK turns numbers to text.
 */
const RULES: [string, number, number, string?][] = [
  ['event', 1, 512, 'track'],
  ['name', 0, 512],
  ['category', 0, 512],
  ['anonymousId', 1, 256],
  ['userId', 1, 256, 'alias'],
  ['previousId', 1, 256, 'alias'],
  ['groupId', 1, 256, 'group'],
];

/**
 * An event as the JSON it is sent as, circular references cut to "[Circular]" and BigInts written as
 * text. Throws, saying why, where the collector would refuse it: a field it rejects, nesting deeper
 * than its 64 levels, or more than `limit` bytes of UTF-8.
 */
export function encode(e: Record<string, unknown>, limit: number): string {
  for (const [k, min, max, type] of RULES) {
    const v = e[k];
    if (v === undefined ? e.type == type : typeof v != 'string' || v.length < min || v.length > max)
      throw Error(`${k} must be a string of ${min} to ${max} characters`);
  }
  if (e.integrations !== undefined && !isObj(e.integrations)) throw Error('integrations must be an object');
  // The objects from the event down to the value at hand: `this` is the holder of each value.
  const path: unknown[] = [];
  const json = JSON.stringify(e, function (this: unknown, _, v: unknown) {
    while (path.length && path[path.length - 1] !== this) path.pop();
    if (typeof v == 'bigint') return `${v}`;
    if (v && typeof v == 'object') {
      if (path.includes(v)) return '[Circular]';
      if (path.push(v) > 64) throw Error('event is nested deeper than 64 levels');
    }
    return v;
  });
  if (utf8Bytes(json) > limit) throw Error(`event is over ${limit} bytes`);
  return json;
}

/** The UTF-8 size of JSON text, as the collector counts it (JSON.stringify leaves no lone surrogate, on which encodeURIComponent would throw). */
export const utf8Bytes = (json: string): number => unescape(encodeURIComponent(json)).length;
