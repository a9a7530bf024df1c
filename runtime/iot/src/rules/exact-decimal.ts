import { z } from 'zod';

const DECIMAL = /^(-?)(\d{1,15})(?:\.(\d{1,3}))?$/;

/** "12.5" → 12_500n thousandths; null when the text is not a decimal with at most 3 places. */
export function parseMilli(text: string): bigint | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const milli = BigInt(whole!) * 1000n + BigInt(fraction.padEnd(3, '0'));
  return sign === '-' ? -milli : milli;
}

/** 12_500n → "12.5": thousandths back to a decimal string in the metric's unit, exact. */
export function formatMilli(milli: bigint): string {
  const negative = milli < 0n;
  const magnitude = negative ? -milli : milli;
  const whole = magnitude / 1000n;
  const fraction = (magnitude % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A configured quantity in the metric's canonical unit ("3.3" V, "5" L/h) parsed into exact thousandths.
 * Accepts a decimal string, or a plain JS number whose shortest form is such a decimal (no exponent),
 * so no float ever reaches a comparison.
 */
export const decimalQuantity = z.union([z.string(), z.number()]).transform((value, context) => {
  const milli = typeof value === 'number' && !Number.isFinite(value) ? null : parseMilli(String(value));
  if (milli === null) {
    context.addIssue({ code: 'custom', message: `"${String(value)}" is not a decimal with at most 3 decimal places` });
    return z.NEVER;
  }
  return milli;
});

/** A bigint in persisted state: a decimal string in JSON, a bigint in memory. */
export const bigintAsString = z.codec(z.string().regex(/^-?\d+$/), z.bigint(), {
  decode: (text) => BigInt(text),
  encode: (value) => value.toString(),
});

/** Litres (or any canonical unit) per hour from a volume over a span, in thousandths, rounded down. */
export function milliPerHour(milli: bigint, durationMs: number): bigint {
  return (milli * 3_600_000n) / BigInt(durationMs);
}
