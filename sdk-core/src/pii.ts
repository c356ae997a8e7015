// Shipped in the browser SDK (5 KB gzip budget) and run again by the collector: no dependencies, no
// platform globals. Regexes avoid lookbehind: older iOS WebKit (and so WeChat on iOS) rejects it at
// parse time, which would take the whole bundle down.

// The local part may contain `*` so that an already masked address (`a***@x.com`) masks to itself.
// The leading group stands in for a lookbehind; the `@` stays unconsumed so it can precede the next
// local part (`a@b@c.com`), which a second pass would otherwise find.
const EMAIL = /(^|[^\w.+*-])([\w.+*-])[\w.+*-]*(?=(?:@|%40)[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,})/gi;
// Maximal digit runs joined by single spaces/hyphens; the windows inside are classified in code so that
// a failed checksum never swallows a neighbouring number. X only ends an ID when no digit follows.
const RUN = /\+?\d+(?:[ -]\d+)*(?:[Xx](?!\d))?/g;
const ID = /^\d{17}[\dXx]$/;
const MOBILE = /^\+?(?:(?:00)?86[ -]?)?1[3-9]\d(?:\d{8}|([ -])\d{4}\1\d{4})$/;
// Issuer numbers never start with 0, and all-zero placeholders pass Luhn.
const CARD = /^(?:[1-9]\d{14,18}|[1-9]\d{3}([ -])\d{4}\1\d{4}\1(?:\d{3}|\d{4}(?:\1\d{1,3})?))$/;
// Masks only turn digits into `*` (separators and length are kept, so email local parts and runs keep
// their bounds) and leave at least four `*` next to the kept digits, ignoring separators. A run touching
// such stars is treated as already masked: that is what makes masking idempotent, as kept digits can
// never be regrouped with their neighbours into a new match.
const STARS_BEFORE = /\*(?:[ -]?\*){3}[ -]?$/;
const STARS_AFTER = /^[ -]?\*(?:[ -]?\*){3}/;

const idOk = (d: string): boolean => {
  let s = 0;
  for (let i = 0; i < 17; i++) s += (d.charCodeAt(i) - 48) * ((1 << (17 - i)) % 11);
  return '10X98765432'[s % 11] === d[17]?.toUpperCase();
};

const luhn = (d: string): boolean => {
  let s = 0;
  for (let i = d.length, dbl = false; i--; dbl = !dbl) {
    const v = (d.charCodeAt(i) - 48) * (dbl ? 2 : 1);
    s += v > 9 ? v - 9 : v;
  }
  return s % 10 === 0;
};

const mask = (w: string, head: number, tail: number): string => {
  const n = w.replace(/[^\dXx]/g, '').length;
  let k = 0;
  return w.replace(/[\dXx]/g, (c) => (k++ < head || k > n - tail ? c : '*'));
};

const classify = (w: string): string | undefined => {
  if (ID.test(w) && idOk(w)) return mask(w, 3, 1);
  const d = w.replace(/\D/g, '');
  if (MOBILE.test(w)) return mask(w, d.length - 8, 4);
  if (CARD.test(w) && luhn(d)) return mask(w, 0, 4);
};

// Windows of up to 5 groups (a 4-4-4-4-3 card) are tried left to right, the longest match winning, so a
// failed checksum never hides a neighbouring number in the same run.
const maskRun = (run: string): string => {
  const p = run.split(/([ -])/);
  let out = '';
  for (let i = 0; i < p.length; i += 2) {
    let w = '';
    let hit = '';
    let end = i;
    for (let j = i; j < p.length && j <= i + 8; j += 2) {
      w += `${j > i ? p[j - 1] : ''}${p[j]}`;
      const r = w.length > 10 ? classify(w) : undefined;
      if (r) {
        hit = r;
        end = j;
      }
    }
    out += (hit || p[i]) + (p[end + 1] ?? '');
    i = end;
  }
  return out;
};

/** Masks mobile numbers, emails, resident ID and bank card numbers anywhere in a string; idempotent. */
export function maskPii(text: string): string {
  if (!/[\d@]/.test(text)) return text;
  const t = /@|%40/.test(text) ? text.replace(EMAIL, '$1$2***') : text;
  return t.replace(RUN, (m: string, o: number, s: string) =>
    m.length < 11 ||
    STARS_BEFORE.test(s.slice(Math.max(0, o - 8), o)) ||
    STARS_AFTER.test(s.slice(o + m.length, o + m.length + 8))
      ? m
      : maskRun(m),
  );
}

/** Keys whose values are identifiers, not personal data, and are never masked by `maskPiiDeep`. */
export const DEFAULT_PII_EXEMPT_KEYS: ReadonlySet<string> = new Set([
  'messageId',
  'anonymousId',
  'userId',
  'previousId',
  'groupId',
  'order_id',
  'product_id',
  'checkout_id',
  'cart_id',
  'sku',
  'share_id',
  'coupon',
  'promotion_id',
  'affiliation',
]);

const walk = (v: unknown, exempt: ReadonlySet<string>): unknown => {
  if (typeof v === 'string') return maskPii(v);
  if (Array.isArray(v)) return v.map((x) => walk(x, exempt));
  if (v === null || typeof v !== 'object') return v;
  const proto: unknown = Object.getPrototypeOf(v);
  // Plain objects only (any realm's Object.prototype, or none); Dates and class instances pass through.
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return v;
  const src = v as Record<string, unknown>;
  const out = Object.create(proto as object | null) as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    // defineProperty, not assignment: an own `__proto__` key from JSON.parse must stay a data property
    // instead of replacing the copy's prototype.
    Object.defineProperty(out, k, {
      value: exempt.has(k) ? src[k] : walk(src[k], exempt),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
};

/** Returns a copy of a JSON value with every string masked, except values under `exemptKeys`. */
export function maskPiiDeep<T>(value: T, exemptKeys: ReadonlySet<string> = DEFAULT_PII_EXEMPT_KEYS): T {
  return walk(value, exemptKeys) as T;
}
