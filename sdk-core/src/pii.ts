// Runs in the browser SDK (5 KB gzip budget, so every byte counts) and again in the collector: no
// dependencies, no platform globals, and no regex lookbehind, which older iOS WebKit (WeChat on iOS)
// rejects at parse time, taking the whole bundle down.

// `*` is allowed in the local part so that a masked address (`a***@x.com`) masks to itself.
const EMAIL = /([\w.+-])[\w.+*-]*((?:@|%40)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,})/gi;
// Digits joined by single spaces or hyphens; the windows inside a run are classified one by one.
const RUN = /\d(?:[ -]?\d)+(?:[Xx](?!\w))?/g;

const idOk = (d: string): boolean => {
  let s = 0;
  for (let i = 0; i < 17; i++) s += (d.charCodeAt(i) - 48) * ((1 << (17 - i)) % 11);
  return '10X98765432'[s % 11] === (d[17] as string).toUpperCase();
};

const luhn = (d: string): boolean => {
  let s = 0;
  for (let i = d.length, dbl = false; i--; dbl = !dbl) {
    const v = (d.charCodeAt(i) - 48) * (dbl ? 2 : 1);
    s += v > 9 ? v - 9 : v;
  }
  return s % 10 === 0;
};

/** Stars every digit but the first `head` and last `tail`, keeping separators and length. */
const mask = (w: string, n: number, head: number, tail: number): string => {
  let k = 0;
  return w.replace(/[\dXx]/g, (c) => (k++ < head || k > n - tail ? c : '*'));
};

/**
 * Masks a window of a run if it is written as an ID card (18 chars), a mobile number (11 digits or
 * 3-4-4, optional 86 prefix) or a card number (15-19 digits or groups of 4; issuers never start
 * with 0). Matching the written form, not just the digits, keeps joined neighbours from passing.
 */
const classify = (w: string): string | undefined => {
  const d = w.replace(/[ -]/g, '');
  const n = d.length;
  if (/^\d{17}[\dXx]$/.test(w) && idOk(d)) return mask(w, n, 3, 1);
  if (/^(?:(?:00)?86[ -]?)?1[3-9]\d(?:\d{8}|([ -])\d{4}\1\d{4})$/.test(w)) return mask(w, n, n - 8, 4);
  if (/^[1-9](?:\d{14,18}|\d{3}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?)$/.test(w) && luhn(d))
    return mask(w, n, 0, 4);
};

// Longest window first from each group, so that `2024 138 0013 8000` masks the mobile number and a
// failed checksum on the whole run never hides a number inside it.
const maskRun = (run: string): string => {
  const p = run.split(/([ -])/);
  let out = '';
  for (let i = 0; i < p.length;) {
    // No pattern spans more than 5 groups (9 pieces with separators): longer windows cannot match,
    // and trying them all made a long run of digit groups cost cubic time.
    let j = Math.min(p.length - 1, i + 8);
    let hit: string | undefined;
    while (j > i && !(hit = classify(p.slice(i, j + 1).join('')))) j -= 2;
    hit ??= classify(p[i] ?? '');
    out += (hit ?? p[i]) + (p[j + 1] ?? '');
    i = j + 2;
  }
  return out;
};

/** Masks mobile numbers, emails, resident ID and bank card numbers anywhere in a string; idempotent. */
export function maskPii(text: string): string {
  // Each pattern runs only on text that can hold a match: an email needs an @ (else the pattern
  // backtracks in quadratic time on long words), and every number masked below has at least 11
  // digits in one run, which times, versions and most ids do not.
  if (/@|%40/.test(text)) text = text.replace(EMAIL, '$1***$2');
  return /\d(?:[ -]?\d){10}/.test(text)
    ? text.replace(RUN, (m: string, o: number, s: string) =>
        // Digits glued to letters are part of a token (a UUID, a hash), not a number on its own. Digits
        // touching four stars are what is left of an earlier mask: masking them again could join them
        // with a neighbour into a new match, and masking must be idempotent.
        /\w/.test(s.charAt(o - 1) + s.charAt(o + m.length)) ||
        /\*(?:[ -]?\*){3}[ -]?$/.test(s.slice(o < 8 ? 0 : o - 8, o)) ||
        /^[ -]?\*(?:[ -]?\*){3}/.test(s.slice(o + m.length))
          ? m
          : maskRun(m),
      )
    : text;
}

/** Keys whose values are identifiers, not personal data, and are never masked by `maskPiiDeep`. */
export const DEFAULT_PII_EXEMPT_KEYS: ReadonlySet<string> = new Set(
  'messageId anonymousId userId previousId groupId order_id product_id checkout_id cart_id sku share_id coupon promotion_id affiliation'.split(
    ' ',
  ),
);

const walk = (v: unknown, exempt: ReadonlySet<string> = DEFAULT_PII_EXEMPT_KEYS): unknown =>
  typeof v === 'string'
    ? maskPii(v)
    : Array.isArray(v)
      ? v.map((x) => walk(x, exempt))
      : {}.toString.call(v) === '[object Object]'
        ? // fromEntries defines properties, so an own `__proto__` key from JSON.parse stays data.
          Object.fromEntries(
            Object.entries(v as object).map(([k, x]) => [k, exempt.has(k) ? x : walk(x, exempt)]),
          )
        : v;

/** Returns a copy of a JSON value with every string masked, except values under `exemptKeys`. */
export const maskPiiDeep = walk as <T>(value: T, exemptKeys?: ReadonlySet<string>) => T;
