import { describe, expect, it } from 'vitest';
import { formatAccountNo, formatReceiptNo, maskIdNumber } from './numbers.js';

describe('formatAccountNo / formatReceiptNo', () => {
  it('zero-pads the sequence to the width', () => {
    expect(formatAccountNo('BJ', 8, 42n)).toBe('BJ00000042');
    expect(formatAccountNo('', 4, 9999n)).toBe('9999');
    expect(formatReceiptNo('R2026-', 6, 7n)).toBe('R2026-000007');
    expect(formatAccountNo('', 20, 12_345_678_901_234_567_890n)).toBe('12345678901234567890');
  });

  it('refuses overflow, a sequence below 1, a bad width or prefix', () => {
    expect(() => formatAccountNo('BJ', 4, 10_000n)).toThrow(/does not fit in 4 digits/);
    expect(() => formatReceiptNo('R', 2, 100n)).toThrow(RangeError);
    expect(() => formatAccountNo('BJ', 8, 0n)).toThrow(RangeError);
    expect(() => formatAccountNo('BJ', 0, 1n)).toThrow(RangeError);
    expect(() => formatAccountNo('BJ', 4.5, 1n)).toThrow(RangeError);
    expect(() => formatAccountNo('B J', 8, 1n)).toThrow(/prefix/);
    // @ts-expect-error the sequence is a bigint
    expect(() => formatAccountNo('BJ', 8, 1)).toThrow(TypeError);
  });
});

describe('maskIdNumber', () => {
  it('keeps the first 6 and last 4 characters of an 18-character resident id', () => {
    expect(maskIdNumber('11010119900307123X')).toBe('110101********123X');
    expect(maskIdNumber('110101199003071234')).toHaveLength(18);
  });

  it('keeps 6 + 4 of a 15-character id, the first and last of a short one, nothing of 1–2 characters', () => {
    expect(maskIdNumber('110101900307123')).toBe('110101*****7123');
    expect(maskIdNumber('E12345678')).toBe('E*******8');
    expect(maskIdNumber('ABC')).toBe('A*C');
    expect(maskIdNumber('AB')).toBe('**');
    expect(maskIdNumber('')).toBe('');
    expect(maskIdNumber('港澳通行证九号')).toBe('港*****号');
  });
});
