/**
 * Exact decimal arithmetic on the decimal strings the stores return ("123.450", "-7", "0.5"): a value is
 * an integer count of 10^-scale units in a bigint, so sums of volumes and money never pass through a
 * float. Division rounds half away from zero (四舍五入) at the scale asked for.
 */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** Plain decimal notation: an optional sign, digits, an optional fraction (".5" and "5." included). */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function isDecimalText(text: string): boolean {
  const match = DECIMAL.exec(text.trim());
  return match !== null && (match[2]! + (match[3] ?? '')).length > 0;
}

/** "12.340" → { units: 12340n, scale: 3 }; throws on anything but plain decimal notation. */
export function parseDecimal(text: string): Decimal {
  const match = DECIMAL.exec(text.trim());
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) throw new RangeError(`${JSON.stringify(text)} is not a decimal number`);
  const units = BigInt(whole + fraction);
  return { units: match[1] === '-' ? -units : units, scale: fraction.length };
}

const pow10 = (n: number) => 10n ** BigInt(n);

/** The same value at another scale; digits dropped are rounded half away from zero. */
export function rescale(value: Decimal, scale: number): Decimal {
  if (scale === value.scale) return value;
  if (scale > value.scale) return { units: value.units * pow10(scale - value.scale), scale };
  return { units: divideRounded(value.units, pow10(value.scale - scale)), scale };
}

/** n / d rounded half away from zero; d > 0. */
function divideRounded(n: bigint, d: bigint): bigint {
  const negative = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an * 2n + ad) / (2n * ad);
  return negative ? -q : q;
}

export function formatDecimal(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return `${negative ? '-' : ''}${whole}${value.scale > 0 ? `.${fraction}` : ''}`;
}

/** The decimal text at exactly `scale` digits after the point: "2.5" at 3 → "2.500". */
export function normalizeDecimal(text: string, scale: number): string {
  return formatDecimal(rescale(parseDecimal(text), scale));
}

const common = (a: Decimal, b: Decimal): [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale);
  return [rescale(a, scale).units, rescale(b, scale).units, scale];
};

export function addDecimals(a: string, b: string): string {
  const [x, y, scale] = common(parseDecimal(a), parseDecimal(b));
  return formatDecimal({ units: x + y, scale });
}

export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = common(parseDecimal(a), parseDecimal(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

export function multiplyDecimals(a: string, b: string): string {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  return formatDecimal({ units: x.units * y.units, scale: x.scale + y.scale });
}

/** a / b at `scale` digits, rounded half away from zero; null when b is zero. */
export function divideDecimals(a: string, b: string, scale: number): string | null {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  if (y.units === 0n) return null;
  // a/b = (xu / 10^xs) / (yu / 10^ys); scaled by 10^scale: xu * 10^(ys + scale) / (yu * 10^xs).
  const numerator = x.units * pow10(y.scale + scale);
  const denominator = y.units * pow10(x.scale);
  return formatDecimal({ units: divideRounded(numerator, denominator), scale });
}

/** The sum of decimal strings, nulls skipped; null when every term is null (as SQL's sum). */
export function sumDecimals(values: readonly (string | null)[]): string | null {
  let total: string | null = null;
  for (const value of values) if (value !== null) total = total === null ? value : addDecimals(total, value);
  return total;
}
