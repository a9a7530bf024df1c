/**
 * Money as exact text: amounts travel as integer fen (分) in strings (`"123456"`), are typed in yuan (元)
 * with at most two decimals and shown as `¥1,234.56`. Every step here is string arithmetic; an amount
 * never goes through a float.
 */
import { groupThousands } from './litres.js';

export type MoneyProblem = 'empty' | 'format' | 'negative' | 'precision';
export type MoneyParse = { ok: true; fen: string } | { ok: false; problem: MoneyProblem };

/** Full-width digits, point, comma, minus and yen sign (Chinese input methods) as ASCII. */
function toAscii(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/．/g, '.')
    .replace(/，/g, ',')
    .replace(/[－−]/g, '-')
    .replace(/[＋]/g, '+')
    .replace(/￥/g, '¥');
}

/**
 * What someone typed as an amount in yuan, as exact integer fen: `12.34` → `1234`, `¥1,234.5` →
 * `123450`, `5元` → `500`. A currency sign before the number (`¥`, `CNY`, `RMB`) and a unit after it (`元`,
 * `yuan`) are accepted. Thousands separators only where they group by three, so a decimal comma (`1,5`)
 * is refused rather than read as 15. A third decimal is refused (`precision`): fen are the smallest unit.
 * Negative amounts are refused unless `allowNegative`.
 */
export function parseMoney(input: unknown, options: { allowNegative?: boolean } = {}): MoneyParse {
  if (input === null || input === undefined) return { ok: false, problem: 'empty' };
  if (typeof input === 'number' || typeof input === 'bigint') input = String(input);
  if (typeof input !== 'string') return { ok: false, problem: 'format' };
  let text = toAscii(input).replace(/[\s\u00a0\u2009\u202f_]/g, '');
  if (!text) return { ok: false, problem: 'empty' };
  let negative = false;
  if (text.startsWith('-') || text.startsWith('+')) {
    negative = text.startsWith('-');
    text = text.slice(1);
  }
  text = text.replace(/^(¥|cny|rmb)/i, '');
  if (!negative && text.startsWith('-')) {
    negative = true;
    text = text.slice(1);
  }
  text = text.replace(/(元|圆|yuan)$/i, '');
  if (!text) return { ok: false, problem: negative ? 'format' : 'empty' };
  const match = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/.exec(text);
  if (!match) return { ok: false, problem: 'format' };
  const whole = (match[1] ?? '').replace(/,/g, '');
  const fraction = match[2] ?? '';
  if (!whole && !fraction) return { ok: false, problem: 'format' };
  if (fraction.length > 2) return { ok: false, problem: 'precision' };
  const digits = (whole + fraction.padEnd(2, '0')).replace(/^0+(?=\d)/, '');
  const zero = /^0+$/.test(digits);
  if (negative && !zero && !options.allowNegative) return { ok: false, problem: 'negative' };
  return { ok: true, fen: `${negative && !zero ? '-' : ''}${digits || '0'}` };
}

/** Integer fen as text (`"-1500"`), from a string, a bigint or a safe integer; null otherwise. */
export function fenText(fen: unknown): string | null {
  let text: string | null = null;
  if (typeof fen === 'string') text = fen.trim();
  else if (typeof fen === 'bigint') text = fen.toString();
  else if (typeof fen === 'number' && Number.isSafeInteger(fen)) text = String(fen);
  if (text === null || !/^-?\d+$/.test(text)) return null;
  const negative = text.startsWith('-');
  const digits = text.replace(/^-/, '').replace(/^0+(?=\d)/, '');
  return `${negative && !/^0+$/.test(digits) ? '-' : ''}${digits}`;
}

/** Integer fen as yuan with two decimals, no separators: `"123456"` → `"1234.56"`, `"-5"` → `"-0.05"`; null when not integer fen. */
export function fenToYuan(fen: unknown): string | null {
  const text = fenText(fen);
  if (text === null) return null;
  const negative = text.startsWith('-');
  const digits = text.replace(/^-/, '').padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** Integer fen shown as money: `"123456"` → `"¥1,234.56"`, `"-5"` → `"-¥0.05"`; null when not integer fen. */
export function formatFen(fen: unknown): string | null {
  const yuan = fenToYuan(fen);
  if (yuan === null) return null;
  const negative = yuan.startsWith('-');
  const [whole = '0', fraction = '00'] = yuan.replace(/^-/, '').split('.');
  return `${negative ? '-' : ''}¥${groupThousands(whole)}.${fraction}`;
}
