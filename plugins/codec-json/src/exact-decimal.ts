/**
 * A decimal written in a report ("123.456", 123.456, "1.5e3") as an exact count of thousandths, or
 * null when it is not a number, has more than three decimals, or lost precision in JSON parsing.
 */
export function toMilli(value: unknown): bigint | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    // JSON.parse gave a double: its shortest decimal form is the text the device wrote only while the
    // number has at most 15 significant digits. Longer values must come as strings.
    text = String(value);
    const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
    if (digits.length > 15) return null;
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return null;
  }
  const match = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text);
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponentText] = match;
  const exponent = exponentText ? Number(exponentText) : 0;
  // digits × 10^(exponent − fraction length), in thousandths: × 10^(exponent − fraction length + 3)
  const shift = exponent - fraction.length + 3;
  let digits = BigInt(whole + fraction);
  if (shift >= 0) {
    if (shift > 30) return null;
    digits *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) return null; // finer than a thousandth: refuse rather than round
    digits /= divisor;
  }
  return sign === '-' ? -digits : digits;
}
