/**
 * Volumes as exact text: water volumes travel as integer litres in strings (`"1234567"`) and are shown
 * as m³ with three decimals. Every step here is string arithmetic; a volume never goes through a float.
 */

export type VolumeUnit = 'm3' | 'L';
export type VolumeProblem = 'empty' | 'format' | 'negative' | 'precision';
export type VolumeParse = { ok: true; litres: string } | { ok: false; problem: VolumeProblem };

/** Full-width digits, point, comma and minus (Chinese input methods) as ASCII. */
function toAscii(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/．/g, '.')
    .replace(/，/g, ',')
    .replace(/[－−]/g, '-');
}

const SUFFIXES: [RegExp, VolumeUnit][] = [
  [/(m³|m3|立方米|方)$/i, 'm3'],
  [/(litres?|liters?|l|升)$/i, 'L'],
];

/** `1234567` → `1,234,567`. */
export function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * What someone typed as a volume, as exact integer litres: m³ with up to three decimals
 * (`12.345` → `12345`), or whole litres. A unit written after the number (`m³`, `m3`, `方`, `L`, `升`)
 * wins over `unit`. Thousands separators are accepted only where they group by three (`1,234.5`),
 * so a decimal comma (`1,5`) is refused rather than read as 15. Negative volumes are refused, and so
 * is any precision below a litre (`0.0005` m³).
 */
export function parseVolume(input: unknown, unit: VolumeUnit = 'm3'): VolumeParse {
  if (input === null || input === undefined) return { ok: false, problem: 'empty' };
  if (typeof input === 'number' || typeof input === 'bigint') input = String(input);
  if (typeof input !== 'string') return { ok: false, problem: 'format' };
  let text = toAscii(input).replace(/[\s\u00a0\u2009\u202f_]/g, '');
  if (!text) return { ok: false, problem: 'empty' };
  for (const [suffix, suffixUnit] of SUFFIXES) {
    if (suffix.test(text)) {
      text = text.replace(suffix, '');
      unit = suffixUnit;
      break;
    }
  }
  if (!text) return { ok: false, problem: 'empty' };
  if (text.startsWith('-')) return /\d/.test(text) ? { ok: false, problem: 'negative' } : { ok: false, problem: 'format' };
  if (text.startsWith('+')) text = text.slice(1);
  const match = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return { ok: false, problem: 'format' };
  const whole = (match[1] ?? '').replace(/,/g, '');
  const fraction = match[2] ?? '';
  if (!whole && !fraction) return { ok: false, problem: 'format' };
  const scale = unit === 'm3' ? 3 : 0;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > scale) return { ok: false, problem: 'precision' };
  const digits = (whole + significant.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  return { ok: true, litres: digits || '0' };
}

/** Integer litres as text (`"-1500"`), from a string, a bigint or a safe integer; null otherwise. */
function litresText(litres: unknown): string | null {
  let text: string | null = null;
  if (typeof litres === 'string') text = litres.trim();
  else if (typeof litres === 'bigint') text = litres.toString();
  else if (typeof litres === 'number' && Number.isSafeInteger(litres)) text = String(litres);
  return text !== null && /^-?\d+$/.test(text) ? text : null;
}

/** Integer litres as m³ with three decimals, no separators: `"1234567"` → `"1234.567"`; null when not integer litres. */
export function litresToCubicMetres(litres: unknown): string | null {
  const text = litresText(litres);
  if (text === null) return null;
  const negative = text.startsWith('-');
  const digits = text.replace(/^-/, '').replace(/^0+(?=\d)/, '').padStart(4, '0');
  const zero = /^0+$/.test(digits);
  return `${negative && !zero ? '-' : ''}${digits.slice(0, -3)}.${digits.slice(-3)}`;
}

/** Integer litres shown as m³: `"1234567"` → `"1,234.567 m³"`; null when not integer litres. */
export function formatLitres(litres: unknown): string | null {
  const m3 = litresToCubicMetres(litres);
  if (m3 === null) return null;
  const negative = m3.startsWith('-');
  const [whole = '0', fraction = '000'] = m3.replace(/^-/, '').split('.');
  return `${negative ? '-' : ''}${groupThousands(whole)}.${fraction} m³`;
}

/** Integer litres with separators: `"1234567"` → `"1,234,567"`; null when not integer litres. */
export function formatLitresCount(litres: unknown): string | null {
  const text = litresText(litres);
  if (text === null) return null;
  const negative = text.startsWith('-') && !/^-0+$/.test(text);
  return `${negative ? '-' : ''}${groupThousands(text.replace(/^-/, '').replace(/^0+(?=\d)/, ''))}`;
}

/**
 * A ratio as a percentage by moving the decimal point (`"0.125"` → `"12.5%"`), at most `scale`
 * decimals (cut, not rounded); null when the value is not a plain decimal.
 */
export function ratioToPercent(value: unknown, scale = 1): string | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (!match[2] && !match[3])) return null;
  const fraction = (match[3] ?? '').padEnd(2, '0');
  const whole = ((match[2] ?? '') + fraction.slice(0, 2)).replace(/^0+(?=\d)/, '') || '0';
  const rest = fraction.slice(2, 2 + scale).replace(/0+$/, '');
  const zero = /^0+$/.test(whole) && !rest;
  return `${match[1] && !zero ? '-' : ''}${groupThousands(whole)}${rest ? `.${rest}` : ''}%`;
}
