/**
 * Unit bytes that follow CJ/T 188 quantities. The quantity itself is 4 packed-BCD bytes with two
 * decimals, so it arrives as a whole number of hundredths of the unit; converting to the platform's
 * canonical units (L for volumes, L/h for flow) is then exact integer arithmetic.
 */
export const unitCodes = {
  litre: 0x29,
  cubicMetre: 0x2c,
  litrePerHour: 0x32,
  cubicMetrePerHour: 0x35,
} as const;

export type UnitCode = (typeof unitCodes)[keyof typeof unitCodes];

export interface UnitConversion {
  quantity: 'volume' | 'flow_rate';
  symbol: string;
  /** Thousandths of the canonical unit (L or L/h) in one hundredth of this unit. */
  milliPerHundredth: bigint;
}

// 0.01 L = 10 mL; 0.01 m³ = 10 L = 10 000 mL.
const conversions: ReadonlyMap<number, UnitConversion> = new Map([
  [unitCodes.litre, { quantity: 'volume', symbol: 'L', milliPerHundredth: 10n }],
  [unitCodes.cubicMetre, { quantity: 'volume', symbol: 'm³', milliPerHundredth: 10_000n }],
  [unitCodes.litrePerHour, { quantity: 'flow_rate', symbol: 'L/h', milliPerHundredth: 10n }],
  [unitCodes.cubicMetrePerHour, { quantity: 'flow_rate', symbol: 'm³/h', milliPerHundredth: 10_000n }],
]);

export function unitConversion(unitCode: number): UnitConversion | undefined {
  return conversions.get(unitCode);
}

/** A quantity of `hundredths` × 0.01 of the unit, in thousandths of the canonical unit. */
export function hundredthsToMilli(hundredths: number, conversion: UnitConversion): bigint {
  return BigInt(hundredths) * conversion.milliPerHundredth;
}
