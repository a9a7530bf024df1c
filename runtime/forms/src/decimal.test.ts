import { describe, expect, test } from 'vitest';
import {
  compareDecimals,
  decimalFromNumber,
  formatDecimal,
  fractionDigits,
  isMultipleOf,
  neighbouringMultiples,
  parseDecimalString,
} from './decimal.js';

const d = (text: string) => {
  const value = parseDecimalString(text);
  if (!value) throw new Error(`not a decimal: ${text}`);
  return value;
};

describe('exact decimals', () => {
  test('accepts what people type and nothing else', () => {
    expect(['12', '-0.5', '3.', '.25', '007.10'].map((text) => parseDecimalString(text) !== undefined)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['', '-', '.', '1e3', '1,5', ' 1', '+1', '0x10', 'NaN'].map((text) => parseDecimalString(text))).toEqual(
      Array(9).fill(undefined),
    );
  });

  test('reads JavaScript numbers through their shortest text, exponents included', () => {
    expect(formatDecimal(decimalFromNumber(1.234)!)).toBe('1.234');
    expect(formatDecimal(decimalFromNumber(1e-7)!)).toBe('0.0000001');
    expect(formatDecimal(decimalFromNumber(1.5e21)!)).toBe('1500000000000000000000');
    expect(formatDecimal(decimalFromNumber(-0.05)!)).toBe('-0.05');
    expect(decimalFromNumber(Number.NaN)).toBeUndefined();
  });

  test('counts decimals without trailing zeros, and compares and steps exactly', () => {
    expect([fractionDigits(d('1.230')), fractionDigits(d('1.234')), fractionDigits(d('100')), fractionDigits(d('3.'))]).toEqual([
      2, 3, 0, 0,
    ]);
    expect(compareDecimals(d('99999.999'), d('100000'))).toBe(-1);
    expect(compareDecimals(d('-0.50'), d('-.5'))).toBe(0);
    expect(isMultipleOf(d('0.3'), d('0.1'))).toBe(true);
    expect(isMultipleOf(d('-7.5'), d('2.5'))).toBe(true);
    expect(isMultipleOf(d('0.35'), d('0.1'))).toBe(false);
    expect(neighbouringMultiples(d('-3.2'), d('0.5'))).toEqual(['-3.5', '-3']);
    expect(neighbouringMultiples(d('12.34'), d('0.25'))).toEqual(['12.25', '12.5']);
  });
});
