import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benignText, HOSTILE_STRINGS } from '../../tests/support/hostile-inputs.ts';
import { luhnValid, makeId, makeLuhn } from '../../tests/support/pii-numbers.ts';
import { fastest } from '../../tests/support/timing.ts';
import { DEFAULT_PII_EXEMPT_KEYS, maskPii, maskPiiDeep } from './pii.ts';

const breakLuhn = (valid: string): string => valid.slice(0, -1) + ((Number(valid.slice(-1)) + 1) % 10);

const ID_X = makeId('11010519491231002'); // the well-known sample ending in X
const ID_DIGIT = makeId('44030419900101123');
const CARD16 = makeLuhn('622202123456789');
const CARD15 = makeLuhn('37828224631000');
const CARD19 = makeLuhn('621700123456789012');
const group4 = (s: string, sep: string): string => (s.match(/.{1,4}/g) ?? []).join(sep);

describe('test helpers', () => {
  it('compute the published check values', () => {
    expect(ID_X).toBe('11010519491231002X');
    expect(/^\d{18}$/.test(ID_DIGIT)).toBe(true);
    expect(CARD15).toBe('378282246310005');
    expect(luhnValid('4111111111111111')).toBe(true);
    expect([CARD15.length, CARD16.length, CARD19.length]).toEqual([15, 16, 19]);
  });
});

describe('maskPii: mobile numbers', () => {
  it('masks plain numbers keeping the first 3 and last 4 digits', () => {
    expect(maskPii('13800138000')).toBe('138****8000');
    expect(maskPii('call 19912345678 now')).toBe('call 199****5678 now');
    expect(maskPii('手机号：15012345678。')).toBe('手机号：150****5678。');
  });

  it('masks grouped 3-4-4 forms', () => {
    expect(maskPii('138 0013 8000')).toBe('138 **** 8000');
    expect(maskPii('138-0013-8000')).toBe('138-****-8000');
    expect(maskPii('138 0013-8000')).toBe('138 0013-8000'); // mixed separators are not a grouping
  });

  it('masks country-code prefixed forms and keeps the prefix', () => {
    expect(maskPii('+8613800138000')).toBe('+86138****8000');
    expect(maskPii('+86 138 0013 8000')).toBe('+86 138 **** 8000');
    expect(maskPii('+86-138-0013-8000')).toBe('+86-138-****-8000');
    expect(maskPii('8613800138000')).toBe('86138****8000');
    expect(maskPii('008613800138000')).toBe('0086138****8000');
  });

  it('masks several numbers in a list', () => {
    expect(maskPii('13800138000 13900139000')).toBe('138****8000 139****9000');
    expect(maskPii('138-0013-8000 139-0013-9000')).toBe('138-****-8000 139-****-9000');
    expect(maskPii('2024 138 0013 8000 2025')).toBe('2024 138 **** 8000 2025');
    expect(maskPii('**13800138000**')).toBe('**138****8000**');
  });

  it('masks inside URLs and query strings', () => {
    expect(maskPii('https://x.cn/p?phone=13800138000&email=a.b%40qq.com')).toBe(
      'https://x.cn/p?phone=138****8000&email=a***%40qq.com',
    );
    expect(maskPii('/user/13800138000/orders')).toBe('/user/138****8000/orders');
  });

  it('leaves numbers that are not mobiles or sit inside longer digit runs', () => {
    expect(maskPii('12800138000')).toBe('12800138000'); // 12x is not a mobile prefix
    expect(maskPii('1380013800')).toBe('1380013800'); // 10 digits
    expect(maskPii('213800138000')).toBe('213800138000');
    expect(maskPii('138001380001')).toBe('138001380001');
    expect(maskPii('order 9913800138000')).toBe('order 9913800138000');
    expect(maskPii('1380 0138 000')).toBe('1380 0138 000'); // not 3-4-4
  });
});

describe('maskPii: emails', () => {
  it('masks plain addresses keeping the first character and the domain', () => {
    expect(maskPii('a.b@example.com')).toBe('a***@example.com');
    expect(maskPii('Mail John.Doe+tag@Mail.Example.CN today')).toBe('Mail J***@Mail.Example.CN today');
    expect(maskPii('12345678@qq.com')).toBe('1***@qq.com');
    expect(maskPii('x@y.io, zed@y.io')).toBe('x***@y.io, z***@y.io');
  });

  it('masks URL-encoded addresses', () => {
    expect(maskPii('?e=a.b%40x.com')).toBe('?e=a***%40x.com');
    // A URL escape is part of the local part: the plus-address was stored as `zhang.san%2***%40…`.
    expect(maskPii('zhang.san%2Btag%40example.com')).toBe('z***%40example.com');
    expect(maskPii('?to=li%2Elei%2Bnews%40qq.com&x=1')).toBe('?to=l***%40qq.com&x=1');
    expect(maskPii('%2Btag%40example.com')).toBe('%2***%40example.com');
    expect(maskPii('https://x.cn/s?q=1&email=first.last%40corp.com.cn&p=2')).toBe(
      'https://x.cn/s?q=1&email=f***%40corp.com.cn&p=2',
    );
  });

  it('masks an address whose domain holds a number, and its masked form to itself', () => {
    expect(maskPii('x@13800138000.com')).toBe('x***@138****8000.com');
    expect(maskPii('x***@138****8000.com')).toBe('x***@138****8000.com');
  });

  it('reads the local part back to the previous address only', () => {
    expect(maskPii('a@b.com1@c.com')).toBe('a***@b.com1***@c.com');
    expect(maskPii('x@bad ab@c.com')).toBe('x@bad a***@c.com');
    expect(maskPii('**ab@c.com')).toBe('**a***@c.com');
    expect(maskPii('***@c.com')).toBe('***@c.com');
  });

  it('leaves things that are not addresses', () => {
    expect(maskPii('@mention me')).toBe('@mention me');
    expect(maskPii('root@localhost')).toBe('root@localhost');
    expect(maskPii('a @ b.com')).toBe('a @ b.com');
    expect(maskPii('50%40off')).toBe('50%40off');
  });
});

describe('maskPii: resident ID numbers', () => {
  it('masks valid IDs keeping the first 3 and last character', () => {
    expect(maskPii(ID_X)).toBe('110**************X');
    expect(maskPii(ID_X.toLowerCase())).toBe('110**************x');
    expect(maskPii(`id=${ID_DIGIT}&x=1`)).toBe(`id=440${'*'.repeat(14)}${ID_DIGIT.slice(-1)}&x=1`);
  });

  it('prefers ID over card when the number is also Luhn-valid', () => {
    let id = '';
    for (let seq = 100; seq < 1000 && !id; seq++) {
      const candidate = makeId(`11010519900101${seq}`);
      if (luhnValid(candidate)) id = candidate;
    }
    expect(id).not.toBe('');
    expect(maskPii(id)).toBe(`110${'*'.repeat(14)}${id.slice(-1)}`);
  });

  it('leaves IDs with a wrong check character or inside longer runs', () => {
    const wrong = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
      .map((c) => ID_DIGIT.slice(0, 17) + c)
      .find((s) => s !== ID_DIGIT && !luhnValid(s));
    expect(wrong).toBeDefined();
    expect(maskPii(wrong as string)).toBe(wrong);
    expect(maskPii('11010519491231003X')).toBe('11010519491231003X');
    expect(maskPii(`9${ID_X}`)).toBe(`9${ID_X}`);
    expect(maskPii(`${ID_X}5`)).toBe(`${ID_X}5`);
  });
});

describe('maskPii: bank cards', () => {
  it('masks Luhn-valid numbers of 15 to 19 digits, keeping the last 4', () => {
    expect(maskPii('4111111111111111')).toBe('************1111');
    expect(maskPii(`card ${CARD15}.`)).toBe(`card ${'*'.repeat(11)}${CARD15.slice(-4)}.`);
    expect(maskPii(CARD19)).toBe('*'.repeat(15) + CARD19.slice(-4));
  });

  it('masks grouped forms', () => {
    expect(maskPii('4111 1111 1111 1111')).toBe('**** **** **** 1111');
    expect(maskPii('4111-1111-1111-1111')).toBe('****-****-****-1111');
    expect(maskPii(group4(CARD19, ' '))).toBe(
      `**** **** **** ***${CARD19.slice(-4, -3)} ${CARD19.slice(-3)}`,
    );
    expect(maskPii(`?card=${group4(CARD16, '-')}`)).toBe(`?card=****-****-****-${CARD16.slice(-4)}`);
    expect(maskPii(`2024 ${group4(CARD16, ' ')} 13800138000`)).toBe(
      `2024 **** **** **** ${CARD16.slice(-4)} 138****8000`,
    );
  });

  it('leaves Luhn-invalid numbers, short numbers and numbers inside longer runs', () => {
    expect(maskPii(breakLuhn(CARD16))).toBe(breakLuhn(CARD16));
    expect(maskPii(group4(breakLuhn(CARD16), ' '))).toBe(group4(breakLuhn(CARD16), ' '));
    expect(maskPii('0000000000000000')).toBe('0000000000000000'); // placeholder zeros pass Luhn
    const short = makeLuhn('411111111111'); // 13 digits, Luhn-valid
    expect(maskPii(short)).toBe(short);
    expect(maskPii(`7${CARD16}`)).toBe(`7${CARD16}`);
    expect(maskPii(`${CARD19}1`)).toBe(`${CARD19}1`);
  });
});

describe('maskPii: things that must survive', () => {
  it('keeps 13-digit millisecond timestamps', () => {
    // 1700000000000 is not Luhn-valid, and at 13 digits is too short for a card either way.
    expect(luhnValid('1700000000000')).toBe(false);
    expect(maskPii('1700000000000')).toBe('1700000000000');
    expect(maskPii('ts=1700000000000&t2=1712345678901')).toBe('ts=1700000000000&t2=1712345678901');
  });

  it('keeps UUIDs, dates, hashes and prices', () => {
    const samples = [
      '550e8400-e29b-41d4-a716-446655440000',
      '2024-01-15 13:45:00',
      'sha=3a7bd3e2360a3d29eea436fcfb7e44c735d117c4',
      '¥1,299.00 x 3',
    ];
    for (const s of samples) expect(maskPii(s)).toBe(s);
  });

  it('returns digit-free and @-free strings unchanged', () => {
    const s = 'Hello, world! No numbers here.';
    expect(maskPii(s)).toBe(s);
    expect(maskPii('')).toBe('');
  });
});

describe('maskPii: idempotence', () => {
  const samples = [
    '13800138000',
    '+86 138 0013 8000',
    '008613800138000',
    ID_X,
    ID_DIGIT,
    CARD16,
    group4(CARD19, ' '),
    `4111 1111 1111 1111 ${group4(CARD16, ' ')}`,
    `${CARD16} 138 0013 8000 2024`,
    `${group4(makeLuhn('411111111111111111'), ' ')} 0013 8000`,
    'a.b@example.com 13800138000@qq.com x@13800138000.com',
    'https://x.cn/p?phone=13800138000&email=a.b%40qq.com',
    `${ID_X} 13800138000 ${CARD15}`,
    '**13800138000** text',
  ];

  it('masks a masked string to itself', () => {
    for (const s of samples) {
      const once = maskPii(s);
      expect(once).not.toBe(s);
      expect(maskPii(once)).toBe(once);
    }
  });

  it('keeps the middle of a masked address whose domain held a card number (a found counterexample)', () => {
    const once = 'a***@a.aa-************0008-a.aa-***@a.aaa***@a.aa';
    expect(maskPii(once)).toBe(once);
    const raw = 'a.b@a.aa-1000000000000008-a.aa-@a.aaa***@a.aa';
    expect(luhnValid('1000000000000008')).toBe(true);
    expect(maskPii(raw)).toBe(once);
    expect(maskPii(maskPii(raw))).toBe(once);
  });

  it('sets aside only the digits a mask keeps next to its stars, and masks the rest of the run', () => {
    // What masks keep: 4 digits after the stars (or 1, or `1 234`), 3, 5 or 7 before.
    for (const kept of [
      '138****8000',
      '0086138****8000',
      '+86 138 **** 8000',
      '**** **** **** 1111',
      '**** **** **** ***0 123',
      '110**************X',
      `card **** **** **** 1234 ${group4(breakLuhn(CARD16), ' ')}`,
    ])
      expect(maskPii(kept)).toBe(kept);
    // Found stored as sent: PII next to star runs.
    expect(maskPii('card **** **** **** 1234 13812345678')).toBe('card **** **** **** 1234 138****5678');
    expect(maskPii('****13812345678')).toBe('****138****5678');
    expect(maskPii('13812345678 ****')).toBe('138****5678 ****');
    expect(maskPii('**** 13800138000')).toBe('**** 138****8000');
    expect(maskPii('*** 13800138000')).toBe('*** 138****8000');
    expect(maskPii('**** 138 0013 8000')).toBe('**** 138 **** 8000');
    expect(maskPii('138 0013 8000****')).toBe('138 **** 8000****');
    expect(maskPii(`${ID_X}****`)).toBe('110**************X****');
    expect(maskPii(`****${CARD16} 0086138****8000`)).toBe(
      `****${'*'.repeat(12)}${CARD16.slice(-4)} 0086138****8000`,
    );
  });

  it('leaves digits that a mask may have kept beside stars, the price of idempotence', () => {
    // `**** **** **** ***0 138 1234 5678` is what a 19-digit card in groups, joined to `1234 5678`,
    // masks to: `0 138` was kept by that mask, so the rest of the run is no mobile number.
    expect(maskPii('**** **** **** ***0 138 1234 5678')).toBe('**** **** **** ***0 138 1234 5678');
  });

  it('holds for random mixes of digits, separators, stars and PII', () => {
    const tokens = [
      ...'0123456789',
      ' ',
      '-',
      '+',
      '*',
      '****',
      'X',
      'a',
      '.',
      '@',
      '%40',
      'qq.com',
      '86',
      '13800138000',
      '138 0013',
      ID_X,
      ID_DIGIT,
      CARD15,
      CARD16,
      group4(CARD16, ' '),
      '4111',
    ];
    // A random seed each run; a failure prints it (`{ seed, path }`) for replay.
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 20 }), (parts) => {
        const once = maskPii(parts.join(''));
        expect(maskPii(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('maskPiiDeep', () => {
  it('masks strings in nested objects and arrays, leaving other values alone', () => {
    const input = {
      event: 'checkout',
      ts: 1700000000000,
      ok: true,
      none: null,
      props: {
        phone: '13800138000',
        contacts: ['a.b@example.com', { card: CARD16 }, 42],
        url: 'https://x.cn/p?phone=13800138000',
      },
    };
    expect(maskPiiDeep(input)).toEqual({
      event: 'checkout',
      ts: 1700000000000,
      ok: true,
      none: null,
      props: {
        phone: '138****8000',
        contacts: ['a***@example.com', { card: `************${CARD16.slice(-4)}` }, 42],
        url: 'https://x.cn/p?phone=138****8000',
      },
    });
  });

  it('keeps strings under exempt key names at any depth', () => {
    const input = { order_id: CARD16, props: { sku: '13800138000', note: '13800138000' } };
    expect(maskPiiDeep(input)).toEqual({
      order_id: CARD16,
      props: { sku: '13800138000', note: '138****8000' },
    });
  });

  it('exports the documented exempt keys', () => {
    expect([...DEFAULT_PII_EXEMPT_KEYS].sort()).toEqual(
      [
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
      ].sort(),
    );
  });

  it('does not mutate its input', () => {
    const input = { a: ['13800138000', { b: 'x@y.com' }], c: '13800138000' };
    const before = structuredClone(input);
    const out = maskPiiDeep(input);
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
    expect(out.a).not.toBe(input.a);
  });

  it('masks bare strings and passes numbers through', () => {
    expect(maskPiiDeep('13800138000')).toBe('138****8000');
    expect(maskPiiDeep(13800138000)).toBe(13800138000);
    expect(maskPiiDeep(null)).toBe(null);
  });

  it('keeps an own __proto__ key from JSON.parse as data without changing prototypes', () => {
    const input = JSON.parse('{"__proto__":{"x":"13800138000"},"constructor":{"prototype":"13800138000"}}');
    const out = maskPiiDeep(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ x: '138****8000' });
    expect(Object.getOwnPropertyDescriptor(out, 'constructor')?.value).toEqual({ prototype: '138****8000' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(JSON.stringify(out)).toBe(
      '{"__proto__":{"x":"138****8000"},"constructor":{"prototype":"138****8000"}}',
    );
  });

  it('returns the JSON form of its input, as it will be sent', () => {
    const bare = Object.assign(Object.create(null), { p: '13800138000' });
    const out = maskPiiDeep(bare);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.p).toBe('138****8000');
    const input = { d: new Date(0), u: undefined, f: () => 1 };
    expect(maskPiiDeep(input)).toEqual({ d: '1970-01-01T00:00:00.000Z' });
  });

  it('handles nesting 1000 levels deep', () => {
    let value: unknown = '13800138000';
    for (let i = 0; i < 1000; i++) value = i % 2 ? [value] : { v: value };
    let out: unknown = maskPiiDeep(value);
    for (let i = 999; i >= 0; i--) out = i % 2 ? (out as unknown[])[0] : (out as { v: unknown }).v;
    expect(out).toBe('138****8000');
  });
});

describe('maskPii: linear work', () => {
  // An event holds at most 32 KB. The patterns that read a run again from each of its characters
  // took seconds here (a run of word characters before an @: ~2,500 ms, ~700× the ordinary text).
  const LENGTH = 32 * 1024;
  const benign = benignText(LENGTH);

  it.each(Object.entries(HOSTILE_STRINGS))(
    'costs about as much as ordinary text: %s',
    async (_name, make) => {
      const hostile = make(LENGTH);
      expect(hostile).toHaveLength(LENGTH);
      maskPii(hostile); // compiled and warm, like the ordinary text below
      const ordinary = await fastest(() => maskPii(benign));
      const worst = await fastest(() => maskPii(hostile));
      expect(worst / ordinary).toBeLessThan(25);
    },
  );
});
