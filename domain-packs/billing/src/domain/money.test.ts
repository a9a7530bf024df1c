import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, formatM3, formatPrice, formatYuan, parsePrice, parseYuan, type Rounding } from './money.js';

describe('divRound', () => {
  // n / d → [half_up, half_even, down]
  const table: [bigint, bigint, [bigint, bigint, bigint]][] = [
    [25n, 10n, [3n, 2n, 2n]], // 2.5
    [35n, 10n, [4n, 4n, 3n]], // 3.5
    [26n, 10n, [3n, 3n, 2n]], // 2.6
    [24n, 10n, [2n, 2n, 2n]], // 2.4
    [29n, 10n, [3n, 3n, 2n]], // 2.9
    [-25n, 10n, [-3n, -2n, -2n]], // −2.5: half up is away from zero
    [-35n, 10n, [-4n, -4n, -3n]], // −3.5
    [-26n, 10n, [-3n, -3n, -2n]], // −2.6
    [-24n, 10n, [-2n, -2n, -2n]], // −2.4
    [-29n, 10n, [-3n, -3n, -2n]], // −2.9: down is toward zero
    [25n, -10n, [-3n, -2n, -2n]], // a negative denominator
    [-25n, -10n, [3n, 2n, 2n]],
    [5n, 10n, [1n, 0n, 0n]], // 0.5
    [-5n, 10n, [-1n, 0n, 0n]], // −0.5
    [15n, 10n, [2n, 2n, 1n]], // 1.5
    [0n, 7n, [0n, 0n, 0n]],
    [20n, 10n, [2n, 2n, 2n]],
    [1n, 3n, [0n, 0n, 0n]],
    [2n, 3n, [1n, 1n, 0n]],
    [3105n, 10n, [311n, 310n, 310n]],
  ];
  it.each(table)('%s / %s', (n, d, [up, even, down]) => {
    expect(divRound(n, d, 'half_up')).toBe(up);
    expect(divRound(n, d, 'half_even')).toBe(even);
    expect(divRound(n, d, 'down')).toBe(down);
  });

  it('works past 2^53', () => {
    const big = 10n ** 30n + 5n;
    expect(divRound(big, 10n, 'half_up')).toBe(10n ** 29n + 1n);
    expect(divRound(big, 10n, 'half_even')).toBe(10n ** 29n);
  });

  it('refuses division by zero, an unknown rounding and JS numbers', () => {
    expect(() => divRound(1n, 0n, 'half_up')).toThrow(RangeError);
    expect(() => divRound(1n, 3n, 'ceiling' as Rounding)).toThrow(RangeError);
    // @ts-expect-error money is never a number
    expect(() => divRound(25, 10n, 'half_up')).toThrow(TypeError);
    // @ts-expect-error money is never a number
    expect(() => divRound(25n, 10, 'half_up')).toThrow(TypeError);
    // @ts-expect-error money is never a number
    expect(() => formatYuan(12.34)).toThrow(TypeError);
  });

  it('properties: within half a unit (half_*), within one unit toward zero (down), odd symmetry', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        for (const r of ['half_up', 'half_even', 'down'] as const) {
          const q = divRound(n, d, r);
          expect(divRound(-n, d, r)).toBe(-q); // symmetric around zero
          expect(divRound(n, -d, r)).toBe(-q);
          const err = n - q * d; // remainder against the rounded quotient
          if (r === 'down') {
            expect(err === 0n || (err > 0n) === (n > 0n)).toBe(true);
            expect(err < 0n ? -err : err).toBeLessThan(d);
          } else {
            expect(2n * (err < 0n ? -err : err)).toBeLessThanOrEqual(d);
          }
          if (r === 'half_even' && 2n * (err < 0n ? -err : err) === d) expect(q % 2n).toBe(0n);
        }
      }),
    );
  });
});

describe('formatYuan / parseYuan', () => {
  it.each([
    [0n, '0.00'],
    [5n, '0.05'],
    [50n, '0.50'],
    [1234n, '12.34'],
    [100n, '1.00'],
    [-5n, '-0.05'],
    [-1234n, '-12.34'],
    [123_456_789_012_345_678n, '1234567890123456.78'],
  ])('%s fen ⇄ %s', (fen, text) => {
    expect(formatYuan(fen)).toBe(text);
    expect(parseYuan(text)).toBe(fen);
  });

  it.each([
    ['12', 1200n],
    ['12.3', 1230n],
    ['+12.30', 1230n],
    [' 7.01 ', 701n],
    ['-0.1', -10n],
    ['0012.00', 1200n],
  ])('parses %j', (text, fen) => {
    expect(parseYuan(text)).toBe(fen);
  });

  it.each(['', '.', '12.', '.5', '12.345', '1,234.00', '1e3', '12.3.4', 'abc', '¥12', '--1', 'NaN', 'Infinity'])('refuses %j', (text) => {
    expect(() => parseYuan(text)).toThrow(RangeError);
  });

  it('round-trips any fen', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }), (fen) => parseYuan(formatYuan(fen)) === fen));
  });
});

describe('prices and volumes as text', () => {
  it('formats and parses price units of 0.0001 元', () => {
    expect(formatPrice(20_700n)).toBe('2.07');
    expect(formatPrice(15_300n)).toBe('1.53');
    expect(formatPrice(12_345n)).toBe('1.2345');
    expect(formatPrice(10_000n)).toBe('1.00');
    expect(parsePrice('2.07')).toBe(20_700n);
    expect(parsePrice('1.2345')).toBe(12_345n);
    expect(() => parsePrice('1.23456')).toThrow(RangeError);
    expect(formatM3(12_345n)).toBe('12.345');
    expect(formatM3(180_000n)).toBe('180');
    expect(formatM3(1n)).toBe('0.001');
  });
});

describe('the money modules use no floats', () => {
  const files = ['money.ts', 'tariff.ts', 'ledger.ts', 'late-fee.ts'];
  const forbidden = [/parseFloat/, /Math\.round/, /Math\.floor/, /Math\.ceil/, /toFixed/, /\bNumber\(/, /parseInt/, /\bMath\.pow/];
  it.each(files)('%s', (file) => {
    const source = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
    for (const pattern of forbidden) expect(source, `${file} uses ${pattern}`).not.toMatch(pattern);
  });
});
