import { describe, expect, it } from 'vitest';
import { addDecimals, compareDecimals, divideDecimals, multiplyDecimals, normalizeDecimal, parseDecimal, sumDecimals } from './decimal.js';

describe('exact decimals', () => {
  it('adds volumes that floats get wrong', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('999999999999999.999', '0.001')).toBe('1000000000000000.000');
    expect(sumDecimals(['1.5', null, '-0.25', '2'])).toBe('3.25');
    expect(sumDecimals([null, null])).toBeNull();
  });

  it('rounds half away from zero when dividing or rescaling', () => {
    expect(divideDecimals('2', '3', 2)).toBe('0.67');
    expect(divideDecimals('1', '8', 2)).toBe('0.13');
    expect(divideDecimals('-1', '8', 2)).toBe('-0.13');
    expect(divideDecimals('201.625', '2', 3)).toBe('100.813');
    expect(divideDecimals('1', '0', 2)).toBeNull();
    expect(normalizeDecimal('2.5', 3)).toBe('2.500');
    expect(normalizeDecimal('2.4445', 3)).toBe('2.445');
    expect(normalizeDecimal('-2.4445', 3)).toBe('-2.445');
    expect(normalizeDecimal('7', 0)).toBe('7');
  });

  it('multiplies and compares exactly, whatever the scales', () => {
    expect(multiplyDecimals('66.5', '100')).toBe('6650.0');
    expect(compareDecimals('80.125', '80.1250')).toBe(0);
    expect(compareDecimals('-1', '0.001')).toBe(-1);
    expect(compareDecimals('10', '9.999')).toBe(1);
  });

  it('reads only plain decimal notation', () => {
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('-12.340')).toEqual({ units: -12340n, scale: 3 });
    for (const bad of ['', '.', '1e5', 'NaN', '1,5', '0x10', '1.2.3']) expect(() => parseDecimal(bad)).toThrow(RangeError);
  });
});
