import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idCheckChar, luhnValid, makeLuhn } from '../../tests/support/pii-numbers.ts';
import { DEFAULT_PII_EXEMPT_KEYS, maskPii, maskPiiDeep } from './pii.ts';

// Property tests of the PII masker, with check digits from tests/support/pii-numbers.ts. Every run
// draws new seeds; a failure prints its `{ seed, path }`. Replay it with
// FC_SEED=<seed> npx vitest run sdk-core/src/pii.property.test.ts -t '<test name>'.
if (process.env.FC_SEED) fc.configureGlobal({ seed: Number(process.env.FC_SEED) });

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const digits = (min: number, max = min) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const fromChars = (chars: string, min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });

/** A generated piece of PII: how it is written, and the substrings that must not survive masking. */
interface Pii {
  kind: 'mobile' | 'email' | 'id' | 'card';
  written: string;
  /** Substrings that must be absent from the masked output. */
  secrets: string[];
}

/** 1[3-9]x + 8 digits, optionally with +86 / 86 / 0086 and 3-4-4 grouping by a space or a hyphen. */
const mobileArb: fc.Arbitrary<Pii> = fc
  .record({
    second: fc.constantFrom(...'3456789'),
    rest: digits(9),
    prefix: fc.constantFrom('', '86', '+86', '0086', '86 ', '+86 ', '86-', '+86-', '0086 '),
    sep: fc.constantFrom('', ' ', '-'),
  })
  .map(({ second, rest, prefix, sep }) => {
    const core = `1${second}${rest}`;
    const body = sep ? [core.slice(0, 3), core.slice(3, 7), core.slice(7)].join(sep) : core;
    return { kind: 'mobile' as const, written: prefix + body, secrets: [body, core] };
  });

/** local@domain.tld, or local%40domain.tld as in a URL. */
const emailArb: fc.Arbitrary<Pii> = fc
  .record({
    first: fromChars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 1, 1),
    // URL escapes too (`zhang.san%2Btag%40x.com`): all of the local part is masked.
    local: fc
      .array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fromChars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-', 1, 1),
          },
          { weight: 1, arbitrary: fc.constantFrom('%2B', '%2b', '%2E', '%5F', '%25') },
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join('')),
    labels: fc.array(fromChars('abcdefghijklmnopqrstuvwxyz0123456789-', 1, 8), {
      minLength: 1,
      maxLength: 3,
    }),
    tld: fromChars('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 2, 6),
    at: fc.constantFrom('@', '%40'),
  })
  .map(({ first, local, labels, tld, at }) => {
    const written = `${first}${local}${at}${labels.join('.')}.${tld}`;
    // The first character is kept; whatever followed it in the local part must go.
    const secrets = [written];
    if (local.length) secrets.push(`${first}${local}${at}`);
    return { kind: 'email' as const, written, secrets };
  });

/** 18-character resident ID: region, birth date, sequence, GB 11643 check character (X upper or lower). */
const idArb: fc.Arbitrary<Pii> = fc
  .record({
    region: fc.integer({ min: 110000, max: 659999 }).map(String),
    birth: fc
      .date({
        min: new Date('1900-01-01T00:00:00Z'),
        max: new Date('2099-12-31T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10).replace(/-/g, '')),
    seq: digits(3),
    lowerX: fc.boolean(),
  })
  .map(({ region, birth, seq, lowerX }) => {
    const first17 = region + birth + seq;
    const check = idCheckChar(first17);
    const written = first17 + (lowerX ? check.toLowerCase() : check);
    return { kind: 'id' as const, written, secrets: [written, first17] };
  });

/** Luhn-valid 16-digit card number (first digit 1-9), plain or in groups of four. */
const cardArb: fc.Arbitrary<Pii> = fc
  .record({ first: fc.constantFrom(...'123456789'), body: digits(14), sep: fc.constantFrom('', ' ', '-') })
  .map(({ first, body, sep }) => {
    const prefix = first + body;
    const card = makeLuhn(prefix);
    const written = sep ? (card.match(/.{4}/g) ?? []).join(sep) : card;
    return { kind: 'card' as const, written, secrets: [written, card] };
  });

const piiArb = fc.oneof(mobileArb, emailArb, idArb, cardArb);

/**
 * Characters that end a token: not an ASCII word character (the masker skips runs glued to letters
 * and digits on purpose), not `.`, `+`, `-`, `*`, `%`, `@` (parts of an address, a separator inside a
 * digit run, or what is left of an earlier mask). CJK text and punctuation are typical.
 */
const STRONG = [...',;:()[]{}"\'<>/?&=!#|~^$\\`\n\t，。：；、（）【】「」《》号码电话邮箱卡为是'];
/** A boundary next to the PII: a strong character, optionally with one space between it and the PII. */
const leftSep = fc
  .record({ c: fc.constantFrom(...STRONG), space: fc.boolean() })
  .map(({ c, space }) => c + (space ? ' ' : ''));
const rightSep = fc
  .record({ c: fc.constantFrom(...STRONG), space: fc.boolean() })
  .map(({ c, space }) => (space ? ' ' : '') + c);
/** Any surrounding text, ASCII or full Unicode, possibly with digits, stars and addresses of its own. */
const filler = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom(...'0123456789 -*@.x号'), maxLength: 12 }),
);

/** Text with 1 to 4 PII items, each fenced by boundaries, with random text around and between them. */
const textWithPii = fc
  .record({
    head: filler,
    items: fc.array(fc.record({ pii: piiArb, l: leftSep, r: rightSep, after: filler }), {
      minLength: 1,
      maxLength: 4,
    }),
  })
  .map(({ head, items }) => ({
    text: head + items.map(({ pii, l, r, after }) => l + pii.written + r + after).join(''),
    items: items.map((i) => i.pii),
  }));

// ---------------------------------------------------------------------------------------------

describe('generators (sanity)', () => {
  it('produce valid check characters', () => {
    expect(idCheckChar('11010519491231002')).toBe('X');
    expect(makeLuhn('411111111111111')).toBe('4111111111111111');
    fc.assert(
      fc.property(cardArb, (c) => {
        expect(luhnValid(c.secrets[1] as string)).toBe(true);
      }),
    );
  });
});

describe('maskPii catches generated PII', () => {
  it.each([
    ['mobile numbers', mobileArb],
    ['emails', emailArb],
    ['resident ID numbers with a valid checksum', idArb],
    ['Luhn-valid 16-digit card numbers', cardArb],
  ] as const)('%s alone', (_name, arb) => {
    fc.assert(
      fc.property(arb, (pii) => {
        const out = maskPii(pii.written);
        expect(out).not.toBe(pii.written);
        for (const secret of pii.secrets) expect(out).not.toContain(secret);
      }),
      RUNS,
    );
  });

  it('keeps the documented parts of each kind visible', () => {
    fc.assert(
      fc.property(piiArb, (pii) => {
        const out = maskPii(pii.written);
        const kept = out.replace(/\*/g, '');
        const digitsOf = (s: string) => s.replace(/[^\dXx]/g, '');
        if (pii.kind === 'id')
          expect(out).toBe(pii.written.slice(0, 3) + '*'.repeat(14) + pii.written.slice(-1));
        if (pii.kind === 'card') expect(digitsOf(kept)).toBe(digitsOf(pii.written).slice(-4));
        if (pii.kind === 'mobile') {
          // Prefix and first three digits of the number, then its last four.
          const d = digitsOf(pii.written);
          expect(digitsOf(kept)).toBe(d.slice(0, -8) + d.slice(-4));
        }
        if (pii.kind === 'email') expect(out).toMatch(/^.\*\*\*(?:@|%40)/);
      }),
      RUNS,
    );
  });

  it('masks PII next to star runs (a grouped card after them aside)', () => {
    // Stars set aside only the digits a mask keeps beside them: `****13812345678` and
    // `card **** **** **** 1234 13812345678` were stored as sent. A card in groups of four after
    // stars is the exception: its first group is what a card mask keeps, the rest no card.
    // Text that ends (starts) with digits has a separator of its own, or they would join the PII.
    const leftOf = fc.constantFrom('****', '*** ***', '*', '**** **** **** 1234 ', '138****5678-');
    const rightOf = fc.constantFrom('****', '*** ***', '*', ' **** **** **** 1234', ' 138****5678');
    const sep = fc.constantFrom('', ' ', '-');
    fc.assert(
      fc.property(leftOf, sep, piiArb, sep, rightOf, (before, l, pii, r, after) => {
        const grouped = pii.kind === 'card' && /\D/.test(pii.written);
        const out = maskPii((grouped ? '' : before + l) + pii.written + r + after);
        for (const secret of pii.secrets) expect(out).not.toContain(secret);
      }),
      RUNS,
    );
  });

  it('masks every item embedded in random text fenced by separators', () => {
    fc.assert(
      fc.property(textWithPii, ({ text, items }) => {
        const out = maskPii(text);
        for (const pii of items) for (const secret of pii.secrets) expect(out).not.toContain(secret);
      }),
      { numRuns: 500 },
    );
  });
});

describe('maskPii is idempotent', () => {
  const check = (s: string) => {
    const once = maskPii(s);
    expect(maskPii(once)).toBe(once);
  };

  it('for any ASCII string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), check), { numRuns: 1000 });
  });

  it('for any Unicode string (full code points, graphemes)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
        ),
        check,
      ),
      { numRuns: 1000 },
    );
  });

  it('for dense mixtures of digits, separators, stars, X and address parts', () => {
    const token = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...'0123456789') },
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          ' ',
          '-',
          '*',
          '****',
          '+',
          'X',
          'x',
          '.',
          '@',
          '%40',
          '%2B',
          '%',
          'a',
          '号',
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom('86', '0086', 'qq.com', '138 0013', '4111') },
      { weight: 3, arbitrary: piiArb.map((p) => p.written) },
      // What an earlier mask left: kept digits next to stars, which must not be re-read as a number.
      { weight: 2, arbitrary: piiArb.map((p) => maskPii(p.written)) },
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (parts) => check(parts.join(''))),
      { numRuns: 10_000 },
    );
  });

  it('for addresses whose domains hold numbers, as written and as masked', () => {
    // Found at random once: `a***@a.aa-************0008-a.aa-***@a.aaa***@a.aa` lost its middle when
    // masked again, as the stars of the card ended the domain early. Such addresses, one after another.
    const number = fc.oneof(
      cardArb.map((p) => p.written.replace(/\D/g, '')),
      mobileArb.map((p) => p.written.replace(/\D/g, '')),
    );
    const label = fc.oneof(fc.constantFrom('a', 'aa', 'b1'), number, number.map(maskPii));
    const domain = fc
      .tuple(
        fc.array(fc.tuple(label, fc.constantFrom('.', '-')), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('aa', 'com'),
      )
      .map(
        ([labels, tld]) =>
          labels.map(([l, sep]) => l + sep).join('') + (labels.at(-1)?.[1] === '.' ? '' : '.') + tld,
      );
    const address = fc
      .tuple(
        fc.constantFrom('a', 'a***', 'ab', '', '-', '.'),
        fc.constantFrom('@', '%40'),
        domain,
        fc.constantFrom('', '-', '.', ' ', '_', '1', 'a'),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.array(address, { minLength: 1, maxLength: 4 }), (addresses) =>
        check(addresses.join('')),
      ),
      { numRuns: 10_000 },
    );
  });

  it('for PII, masked PII and digit groups joined into one run by single spaces or hyphens', () => {
    const part = fc.oneof(
      piiArb.map((p) => p.written),
      piiArb.map((p) => maskPii(p.written)),
      digits(1, 5),
      fc.constantFrom('****', '86', '+86', 'X'),
    );
    const joined = fc
      .array(fc.tuple(part, fc.constantFrom('', ' ', '-')), { minLength: 1, maxLength: 6 })
      .map((ps) => ps.map(([p, sep]) => p + sep).join(''));
    fc.assert(fc.property(joined, check), { numRuns: 10_000 });
  });

  it('for star runs next to numbers, PII and masked PII', () => {
    // What an earlier mask kept next to its stars is set aside, and only that: the rest of the run is
    // masked. Stars of any count, joined by separators or not, on either side of digits of any length.
    const stars = fc.oneof(
      fc.constantFrom('*', '***', '****', '**** ', ' ****', '****-', '**** **** ***', '**** **** **** '),
      fromChars('* -', 1, 10),
    );
    // A 19-digit card in groups keeps `1 234` after its stars: `**** **** **** ***1 234`.
    const card19 = fc
      .tuple(fc.constantFrom(...'123456789'), digits(17), fc.constantFrom(' ', '-'))
      .map(([first, body, sep]) => (makeLuhn(first + body).match(/.{1,4}/g) ?? []).join(sep));
    const part = fc.oneof(
      stars,
      digits(1, 13),
      piiArb.map((p) => p.written),
      piiArb.map((p) => maskPii(p.written)),
      card19,
      card19.map(maskPii),
      fc.constantFrom('86', '0086', '138', '1 234', 'X', 'a', '%20'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(part, fc.constantFrom('', '', ' ', '-')), { minLength: 1, maxLength: 8 }),
        (ps) => check(ps.map(([p, sep]) => p + sep).join('')),
      ),
      { numRuns: 10_000 },
    );
  });

  it('for text with embedded PII', () => {
    fc.assert(
      fc.property(textWithPii, ({ text }) => check(text)),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// maskPiiDeep
// ---------------------------------------------------------------------------------------------

const own = (o: object, k: string): unknown => Object.getOwnPropertyDescriptor(o, k)?.value;
const isPlain = (v: unknown): v is Record<string, unknown> =>
  Object.prototype.toString.call(v) === '[object Object]';

/**
 * Checks `out` against the JSON value `input` key by key: strings are `maskPii` of the input but
 * under an exempt key name, where they are unchanged; everything else keeps its value and shape.
 * Returns a reason or undefined.
 */
const mismatch = (input: unknown, out: unknown, path = '$', key = ''): string | undefined => {
  if (typeof input === 'string') {
    const expected = DEFAULT_PII_EXEMPT_KEYS.has(key) ? input : maskPii(input);
    return out === expected ? undefined : `${path}: string not masked as maskPii`;
  }
  if (Array.isArray(input)) {
    if (!Array.isArray(out) || out.length !== input.length) return `${path}: array shape changed`;
    for (let i = 0; i < input.length; i++) {
      const m = mismatch(input[i], out[i], `${path}[${i}]`, String(i));
      if (m) return m;
    }
    return undefined;
  }
  if (isPlain(input)) {
    if (!isPlain(out) || Object.getPrototypeOf(out) !== Object.prototype)
      return `${path}: not a plain object`;
    const keys = Object.keys(input);
    if (JSON.stringify(Object.keys(out)) !== JSON.stringify(keys)) return `${path}: keys changed`;
    for (const k of keys) {
      const m = mismatch(own(input, k), own(out, k), `${path}.${k}`, k);
      if (m) return m;
    }
    return undefined;
  }
  return Object.is(input, out) ? undefined : `${path}: non-string leaf changed`;
};

const KEYS = [
  'phone',
  'email',
  'note',
  'props',
  'items',
  '__proto__',
  'constructor',
  'toString',
  ...DEFAULT_PII_EXEMPT_KEYS,
];
/** JSON trees whose keys are often exempt and whose strings often hold PII. */
const { tree } = fc.letrec<{ tree: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(
    piiArb.map((p) => p.written),
    textWithPii.map((t) => t.text),
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.constant(null),
  ),
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('tree'), { maxLength: 4 }),
    // JSON.parse defines `__proto__` as an own key, as a request body would.
    fc
      .array(fc.tuple(fc.constantFrom(...KEYS), tie('tree')), { maxLength: 5 })
      .map((entries) => JSON.parse(JSON.stringify(Object.fromEntries(entries))) as unknown),
  ),
}));

describe('maskPiiDeep', () => {
  it('masks every string as maskPii does but those under exempt key names, and copies', () => {
    fc.assert(
      fc.property(tree, (input) => {
        const before = JSON.stringify(input);
        const out = maskPiiDeep(input);
        expect(mismatch(input, out)).toBeUndefined();
        expect(JSON.stringify(input)).toBe(before); // the input is not mutated
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent on JSON values', () => {
    fc.assert(
      fc.property(tree, (input) => {
        const once = maskPiiDeep(input);
        expect(JSON.stringify(maskPiiDeep(once))).toBe(JSON.stringify(once));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on what JSON.stringify takes, and returns its JSON form with strings masked', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withBoxedValues: true,
          withDate: true,
          withTypedArray: true,
          withSparseArray: true,
          withMap: true,
          withSet: true,
          withObjectString: true,
        }),
        (input) => {
          const json = JSON.stringify(input);
          fc.pre(json !== undefined);
          expect(mismatch(JSON.parse(json) as unknown, maskPiiDeep(input))).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});
