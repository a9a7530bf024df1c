/**
 * Money arithmetic (金额): integer fen as `bigint`, never a float.
 *
 * - `divRound(n, d, rounding)` is the one place a fraction of a fen is rounded away. It works for negative
 *   numerators and denominators too: `half_up` rounds a tie away from zero (四舍五入: 2.5 → 3, −2.5 → −3),
 *   `half_even` rounds a tie to the even neighbour (银行家舍入: 2.5 → 2, 3.5 → 4, −2.5 → −2), `down` truncates
 *   toward zero (舍去: 2.9 → 2, −2.9 → −2).
 * - `formatYuan` / `parseYuan` turn fen into 元 text ('12.34') and back, for display and entry.
 * - Prices are kept in price units of 0.0001 元 (per m³): `formatPrice` / `parsePrice`.
 * Every function refuses a JS `number` at run time as well as in its types.
 */

export type Rounding = 'half_up' | 'half_even' | 'down';
export const ROUNDINGS = ['half_up', 'half_even', 'down'] as const satisfies readonly Rounding[];

/** Throws unless `value` is a bigint: money never travels as a JS number. */
export function assertBigint(value: unknown, what = 'amount'): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${what} must be a bigint, got ${typeof value}`);
}

/** `n / d` rounded to an integer by `rounding` (see the module header). `d` ≠ 0. */
export function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  assertBigint(n, 'numerator');
  assertBigint(d, 'denominator');
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncated toward zero
  const r = n % d; // carries the sign of n
  if (r === 0n) return q;
  switch (rounding) {
    case 'down':
      return q;
    case 'half_up':
    case 'half_even': {
      const away = n < 0n ? q - 1n : q + 1n;
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice > d) return away;
      if (twice < d) return q;
      if (rounding === 'half_up') return away;
      return q % 2n === 0n ? q : away;
    }
    default:
      throw new RangeError(`unknown rounding '${String(rounding)}'`);
  }
}

/** The larger / smaller of two bigints. */
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);
/** The sum of bigints (0n for none). */
export const sumBig = (values: Iterable<bigint>): bigint => {
  let total = 0n;
  for (const v of values) total += v;
  return total;
};

/** Integer `value` in units of 10^-scale as a decimal text, with exactly `minDecimals`..`scale` decimals. */
function formatScaled(value: bigint, scale: number, minDecimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  let fraction = digits.slice(digits.length - scale);
  while (fraction.length > minDecimals && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Decimal text with at most `scale` decimals as an integer in units of 10^-scale; throws otherwise. */
function parseScaled(text: string, scale: number, what: string): bigint {
  if (typeof text !== 'string') throw new TypeError(`${what} must be text`);
  const match = /^([+-]?)([0-9]{1,18})(?:\.([0-9]*))?$/.exec(text.trim());
  if (!match || (match[3] !== undefined && (match[3].length === 0 || match[3].length > scale))) {
    throw new RangeError(`${what}: '${text}' is not a number with at most ${scale} decimals`);
  }
  const fraction = (match[3] ?? '').padEnd(scale, '0');
  const value = BigInt(`${match[2]}${fraction}`);
  return match[1] === '-' ? -value : value;
}

/** Fen as 元 text with two decimals: 1234n → '12.34', -5n → '-0.05'. */
export function formatYuan(fen: bigint): string {
  assertBigint(fen, 'fen');
  return formatScaled(fen, 2, 2);
}

/** 元 text (at most 2 decimals, optional sign) as fen: '12.3' → 1230n. Throws `RangeError` otherwise. */
export function parseYuan(text: string): bigint {
  return parseScaled(text, 2, 'amount in yuan');
}

/** Price units per m³ (0.0001 元) as 元 text, 2 to 4 decimals: 20700n → '2.07', 15300n → '1.53'. */
export function formatPrice(units: bigint): string {
  assertBigint(units, 'price');
  return formatScaled(units, 4, 2);
}

/** 元/m³ text (at most 4 decimals) as price units: '2.07' → 20700n. Throws `RangeError` otherwise. */
export function parsePrice(text: string): bigint {
  return parseScaled(text, 4, 'price in yuan per m³');
}

/** Litres as m³ text, up to 3 decimals: 12345n → '12.345', 180000n → '180'. */
export function formatM3(litres: bigint): string {
  assertBigint(litres, 'litres');
  return formatScaled(litres, 3, 0);
}
