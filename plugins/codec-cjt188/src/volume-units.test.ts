import { describe, expect, it } from 'vitest';
import { hundredthsToMilli, unitCodes, unitConversion } from './volume-units.js';

describe('CJ/T 188 units', () => {
  it.each([
    { unit: unitCodes.litre, quantity: 'volume', hundredths: 1_234_56, milli: 1_234_560n, reads: '1 234.56 L = 1 234 560 mL' },
    { unit: unitCodes.cubicMetre, quantity: 'volume', hundredths: 12_345_67, milli: 12_345_670_000n, reads: '12 345.67 m³ = 12 345 670 L' },
    { unit: unitCodes.litrePerHour, quantity: 'flow_rate', hundredths: 1_50, milli: 1_500n, reads: '1.50 L/h = 1 500 mL/h' },
    { unit: unitCodes.cubicMetrePerHour, quantity: 'flow_rate', hundredths: 2_50, milli: 2_500_000n, reads: '2.50 m³/h = 2 500 L/h' },
  ])('converts exactly: $reads', ({ unit, quantity, hundredths, milli }) => {
    const conversion = unitConversion(unit);
    expect(conversion?.quantity).toBe(quantity);
    expect(conversion && hundredthsToMilli(hundredths, conversion)).toBe(milli);
  });

  it('keeps the largest 8-digit quantity exact', () => {
    const cubicMetre = unitConversion(unitCodes.cubicMetre);
    expect(cubicMetre && hundredthsToMilli(99_999_999, cubicMetre)).toBe(999_999_990_000n);
  });

  it('does not know heat-meter units such as kWh (0x05)', () => {
    expect(unitConversion(0x05)).toBeUndefined();
  });
});
