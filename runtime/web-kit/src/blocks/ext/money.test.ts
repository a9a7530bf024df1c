import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fenText, fenToYuan, formatFen, parseMoney } from './money.js';

describe('parseMoney', () => {
  it('reads yuan with up to two decimals as exact fen', () => {
    expect(parseMoney('12.34')).toEqual({ ok: true, fen: '1234' });
    expect(parseMoney('12.3')).toEqual({ ok: true, fen: '1230' });
    expect(parseMoney('12')).toEqual({ ok: true, fen: '1200' });
    expect(parseMoney('.5')).toEqual({ ok: true, fen: '50' });
    expect(parseMoney('0.01')).toEqual({ ok: true, fen: '1' });
    expect(parseMoney('0')).toEqual({ ok: true, fen: '0' });
    expect(parseMoney('007.10')).toEqual({ ok: true, fen: '710' });
    expect(parseMoney(' 1 234.50 ')).toEqual({ ok: true, fen: '123450' });
    expect(parseMoney('12.')).toEqual({ ok: true, fen: '1200' });
  });

  it('refuses a third decimal, even a zero: fen are the smallest unit', () => {
    expect(parseMoney('12.345')).toEqual({ ok: false, problem: 'precision' });
    expect(parseMoney('12.340')).toEqual({ ok: false, problem: 'precision' });
    expect(parseMoney('0.001')).toEqual({ ok: false, problem: 'precision' });
  });

  it('takes a currency sign, a unit, full-width digits and separators grouping by three', () => {
    expect(parseMoney('¥1,234.56')).toEqual({ ok: true, fen: '123456' });
    expect(parseMoney('￥５０')).toEqual({ ok: true, fen: '5000' });
    expect(parseMoney('５０．５元')).toEqual({ ok: true, fen: '5050' });
    expect(parseMoney('RMB 10')).toEqual({ ok: true, fen: '1000' });
    expect(parseMoney('1,234,567.8')).toEqual({ ok: true, fen: '123456780' });
    expect(parseMoney('1,5')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney('1234,567')).toEqual({ ok: false, problem: 'format' });
  });

  it('refuses negative amounts unless allowed, and malformed or empty input', () => {
    expect(parseMoney('-1')).toEqual({ ok: false, problem: 'negative' });
    expect(parseMoney('-¥1.50')).toEqual({ ok: false, problem: 'negative' });
    expect(parseMoney('-1.50', { allowNegative: true })).toEqual({ ok: true, fen: '-150' });
    expect(parseMoney('¥-0.05', { allowNegative: true })).toEqual({ ok: true, fen: '-5' });
    expect(parseMoney('-0')).toEqual({ ok: true, fen: '0' });
    expect(parseMoney('')).toEqual({ ok: false, problem: 'empty' });
    expect(parseMoney('  ')).toEqual({ ok: false, problem: 'empty' });
    expect(parseMoney('元')).toEqual({ ok: false, problem: 'empty' });
    expect(parseMoney(undefined)).toEqual({ ok: false, problem: 'empty' });
    expect(parseMoney('-')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney('.')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney('1e3')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney('1.2.3')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney('abc')).toEqual({ ok: false, problem: 'format' });
    expect(parseMoney({})).toEqual({ ok: false, problem: 'format' });
  });

  it('keeps amounts past 2^53 exact', () => {
    expect(parseMoney('90071992547409.93')).toEqual({ ok: true, fen: '9007199254740993' });
    expect(parseMoney('123456789012345678901234567890.12')).toEqual({ ok: true, fen: '12345678901234567890123456789012' });
  });
});

describe('showing fen', () => {
  it('shows integer fen as yuan with separators and two decimals', () => {
    expect(formatFen('123456')).toBe('¥1,234.56');
    expect(formatFen('5')).toBe('¥0.05');
    expect(formatFen('0')).toBe('¥0.00');
    expect(formatFen('-150')).toBe('-¥1.50');
    expect(formatFen('-0')).toBe('¥0.00');
    expect(formatFen(100)).toBe('¥1.00');
    expect(formatFen(12n)).toBe('¥0.12');
    expect(formatFen('9007199254740993')).toBe('¥90,071,992,547,409.93');
  });

  it('answers null for what is not integer fen', () => {
    expect(formatFen('1.5')).toBeNull();
    expect(formatFen('')).toBeNull();
    expect(formatFen(null)).toBeNull();
    expect(formatFen(1.5)).toBeNull();
    expect(formatFen(2 ** 60)).toBeNull();
    expect(fenText('12a')).toBeNull();
  });

  it('converts to yuan text without separators', () => {
    expect(fenToYuan('123456')).toBe('1234.56');
    expect(fenToYuan('-5')).toBe('-0.05');
    expect(fenToYuan('0007')).toBe('0.07');
    expect(fenText('-000')).toBe('0');
  });

  it('reads back exactly what it shows: parse(format(fen)) = fen', () => {
    const fen = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
    fc.assert(
      fc.property(fen, (n) => {
        const shown = parseMoney(formatFen(n), { allowNegative: true });
        const plain = parseMoney(fenToYuan(n), { allowNegative: true });
        return shown.ok && shown.fen === n.toString() && plain.ok && plain.fen === n.toString();
      }),
      { numRuns: 2000 },
    );
  });

  it('formats exactly what it reads: format(parse(yuan)) is the typed amount', () => {
    const typed = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 0, max: 99 })).map(([y, f]) => `${y}.${String(f).padStart(2, '0')}`);
    fc.assert(
      fc.property(typed, (text) => {
        const parsed = parseMoney(text);
        return parsed.ok && fenToYuan(parsed.fen) === text.replace(/^0+(?=\d)/, '');
      }),
    );
  });
});
