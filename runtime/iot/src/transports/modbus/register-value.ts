import type { RegisterEntry } from './register-map.js';

export type RegisterValue = { ok: true; milli: bigint } | { ok: false; reason: string };

/**
 * One mapped value, from the 16-bit words (or the bit) read at its address, as exact thousandths of
 * its canonical unit. Integer types never pass through a float: the raw value is a bigint and the
 * scale and unit conversion are one multiplication by a power of ten (the map's validation makes
 * sure it is never a division). A float32 is read as the decimal it was written as (the shortest
 * text that gives the same float32) and rounded half away from zero to a thousandth.
 */
export function registerValueToMilli(entry: RegisterEntry, words: readonly number[], bit?: boolean): RegisterValue {
  if (entry.type === 'bool') {
    if (bit === undefined) return { ok: false, reason: `${entry.metric}: no bit was read` };
    return { ok: true, milli: bit ? 1000n : 0n };
  }
  if (words.length !== entry.words || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) {
    return { ok: false, reason: `${entry.metric}: expected ${entry.words} 16-bit word(s), got ${JSON.stringify(words)}` };
  }
  // Modbus sends each word big-endian; only the order of the two words varies between devices.
  const [high = 0, low = 0] = entry.words === 2 && entry.wordOrder === 'little' ? [words[1], words[0]] : words;
  switch (entry.type) {
    case 'uint16':
      return exact(BigInt(high), entry.milliExponent);
    case 'int16':
      return exact(BigInt(high >= 0x8000 ? high - 0x1_0000 : high), entry.milliExponent);
    case 'uint32':
      return exact((BigInt(high) << 16n) | BigInt(low), entry.milliExponent);
    case 'int32':
      return exact(BigInt.asIntN(32, (BigInt(high) << 16n) | BigInt(low)), entry.milliExponent);
    case 'float32': {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt16BE(high, 0);
      bytes.writeUInt16BE(low, 2);
      const value = bytes.readFloatBE(0);
      if (!Number.isFinite(value)) return { ok: false, reason: `${entry.metric}: the device sent ${value} (float32 ${bytes.toString('hex')})` };
      return { ok: true, milli: decimalToMilli(shortestFloat32Text(value), entry.milliExponent) };
    }
  }
}

function exact(raw: bigint, milliExponent: number): RegisterValue {
  if (milliExponent < 0) return { ok: false, reason: 'the scale is finer than a thousandth' }; // refused by the map's validation
  return { ok: true, milli: raw * 10n ** BigInt(milliExponent) };
}

/** The shortest decimal text that reads back as the same float32: `0.1f` is "0.1", not 0.10000000149011612. */
function shortestFloat32Text(value: number): string {
  for (let precision = 1; precision < 9; precision++) {
    const text = value.toPrecision(precision);
    if (Math.fround(Number(text)) === value) return text;
  }
  return value.toPrecision(9); // 9 significant digits always identify a float32
}

/** A decimal text × 10^shift as an integer, rounded half away from zero. */
function decimalToMilli(text: string, shift: number): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal: ${text}`); // toPrecision writes nothing else
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const power = Number(exponent) - fraction.length + shift;
  let digits = BigInt(whole + fraction);
  if (power >= 0) {
    digits *= 10n ** BigInt(power);
  } else {
    const divisor = 10n ** BigInt(-power);
    const remainder = digits % divisor;
    digits = digits / divisor + (remainder * 2n >= divisor ? 1n : 0n);
  }
  return sign === '-' ? -digits : digits;
}
