// Runs in the browser SDK (5 KB gzip budget, so every byte counts) and again in the collector: no
// dependencies, no platform globals, and no regex lookbehind, which older iOS WebKit (WeChat on iOS)
// rejects at parse time, taking the whole bundle down.

// Both patterns are linear: a match takes the whole run of the characters it reads, so no run is read
// again from each of its characters (a pattern that backtracked to the end of a long word from each
// of its letters made 30 KB cost seconds); where the digit pattern fails it reads at most 21, and it
// reads a run a digit at a time, looking at most 16 characters ahead from each (for kept digits and
// the stars after them).

// An address: a run of local-part characters, read by a lookahead (which never backtracks) and then
// consumed whole, with the `@domain` that may follow; a run of stars on its own is consumed too.
// Leading stars are not part of the local part, whose first character is kept (group 1). `*` is a
// local-part character so that a masked address (`a***@x.com`) masks to itself, and a domain
// character so that masking a number in a domain (`x@138****8000.com`) cannot end the domain earlier
// and hand what follows to the next address: masking must be idempotent. A URL escape but `%40` is
// part of the local part (`zhang.san%2Btag%40x.com`), or the address would be masked from after it.
const EMAIL =
  /(?=(\**[\w.+-])((?:[\w.+*-]|%(?!40)\w\w)*))\1\2((?:@|%40)[a-z\d*-]+(?:\.[a-z\d*-]+)*\.[a-z]{2,})?|\**/gi;
// A run of at least 11 digits joined by single spaces or hyphens (no number masked below has fewer);
// the windows inside a run are classified one by one. Also matched, to be left as they are: a URL
// escape (`%20`, `%40`), too short to mask, whose digits are not part of a number and whose `%40`
// stays whole; digits glued to a letter before them, part of a token (a hash, an id), not a number
// on their own; and four stars or more with the group of digits a mask keeps after them (4, or 1,
// or `1 234` of a 19-digit card in groups). A run ends before the group a mask keeps before its
// stars (3, 5 or 7 digits, `0086138****`, or 3 and a separator). Masking those kept digits again
// could join them with a neighbour into a new match, and masking must be idempotent.
const RUN =
  /%\w\w|[^\W\d]\d(?:[ -]?\d)*|(?:\*[ -]?){4,}(?:\d(?:[ -]?\d{3})?(?!\d))?|(\d(?:[ -]?\d){10,}?(?:[Xx](?!\w)|(?=[ -](?:\d\d){0,2}\d{3}(?:[ -]?\*){4})|(?![ -]?\d)))(?=(\w)|)/g;

const idOk = (d: string): boolean => {
  let s = 0;
  for (let i = 0; i < 17; i++) s += +(d[i] as string) * ((1 << (17 - i)) % 11);
  return '10X98765432'[s % 11] === (d[17] as string).toUpperCase();
};

const luhn = (d: string): boolean => {
  let s = 0;
  // Every second digit from the right doubled (k is 1, 2, 1, …), the digits of the product summed.
  for (let i = d.length, k = 1; i--; k ^= 3) {
    const v = +(d[i] as string) * k;
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
  // Every pattern below is 11 to 23 characters long: a window outside that is not worth a regex.
  if (w.length < 11 || w.length > 23) return;
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
    while (!(hit = classify(p.slice(i, j + 1).join(''))) && j > i) j -= 2;
    out += (hit ?? p[i]) + (p[j + 1] ?? '');
    i = j + 2;
  }
  return out;
};

/** Masks mobile numbers, emails, resident ID and bank card numbers anywhere in a string; idempotent. */
export function maskPii(text: string): string {
  // The address pattern matches every run of address characters: worth it only where there is an @.
  if (/@|%40/.test(text))
    text = text.replace(EMAIL, (m: string, kept: string, _: string, domain?: string) =>
      domain ? kept + '***' + domain : m,
    );
  // A run glued to a word character after it (group 2) is part of a token too.
  return text.replace(RUN, (m: string, run?: string, glued?: string) => (run && !glued ? maskRun(run) : m));
}

/** Keys whose string values are identifiers, not personal data, and are never masked by `maskPiiDeep`. */
export const DEFAULT_PII_EXEMPT_KEYS: ReadonlySet<string> = new Set(
  'messageId anonymousId userId previousId groupId order_id product_id checkout_id cart_id sku share_id coupon promotion_id affiliation'.split(
    ' ',
  ),
);

/**
 * The SDKs' masking of an event before it is queued: a JSON copy of it with every string masked but
 * those under an exempt key name, at any depth. The collector applies its own, stricter rule again
 * before it stores (exempt paths, keys, numbers); this keeps PII from leaving the device.
 */
export const maskPiiDeep = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value), (k: string, v: unknown) =>
    typeof v != 'string' || DEFAULT_PII_EXEMPT_KEYS.has(k) ? v : maskPii(v),
  ) as T;
