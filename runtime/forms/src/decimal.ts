/**
 * Exact decimals for number fields. Readings, volumes and amounts are checked against
 * `decimalDigits`, `increment`, `min` and `max` on their decimal digits, never through a binary float,
 * so `0.3` is a multiple of `0.1` here and `1.234` has three decimals whatever its float looks like.
 */

/** value = units / 10^scale */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** The strings a number field accepts: what a person types into form-js (`12`, `-0.5`, `3.`, `.25`). */
const PLAIN_DECIMAL = /^(-)?(\d+(?:\.\d*)?|\.\d+)$/;
/** JavaScript's own rendering of a number, which may use an exponent (`1e-7`, `1.5e+21`). */
const NUMBER_TEXT = /^(-)?(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** Parses a decimal string as submitted (no exponent, no grouping, no spaces); undefined if it is not one. */
export function parseDecimalString(text: string): Decimal | undefined {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return undefined;
  const [whole = '', fraction = ''] = (match[2] ?? '').split('.');
  return build(match[1] === '-', whole, fraction, 0);
}

/** The exact decimal of a finite JavaScript number, read from its shortest round-trip text. */
export function decimalFromNumber(value: number): Decimal | undefined {
  if (!Number.isFinite(value)) return undefined;
  const match = NUMBER_TEXT.exec(String(value));
  if (!match) return undefined;
  return build(match[1] === '-', match[2] ?? '', match[3] ?? '', Number(match[4] ?? 0));
}

function build(negative: boolean, whole: string, fraction: string, exponent: number): Decimal {
  let units = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0');
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: negative ? -units : units, scale };
}

/** The same value without trailing zeros after the point: 1.230 → 1.23, 3.0 → 3. */
function normalized(value: Decimal): Decimal {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** Digits after the decimal point once trailing zeros are dropped: `1.230` has 2, like form-js counts them. */
export function fractionDigits(value: Decimal): number {
  return normalized(value).scale;
}

function aligned(a: Decimal, b: Decimal): [bigint, bigint] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale)];
}

export function compareDecimals(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether `value` lies on the grid of `step` counted from zero, which is how form-js checks `increment`. */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  const [x, y] = aligned(value, step);
  return y === 0n ? true : x % y === 0n;
}

/** The two grid points around `value`, for a message that tells the user what would be accepted. */
export function neighbouringMultiples(value: Decimal, step: Decimal): [string, string] {
  const scale = Math.max(value.scale, step.scale);
  const [x, y] = aligned(value, step);
  const below = x - (((x % y) + y) % y);
  return [
    formatDecimal(normalized({ units: below, scale })),
    formatDecimal(normalized({ units: below + y, scale })),
  ];
}

export function formatDecimal(value: Decimal): string {
  return formatUnits(value.units, value.scale);
}

function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
