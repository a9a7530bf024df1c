/**
 * Numbers people read: account numbers (户号), receipt numbers (票据号), and masked identity numbers
 * (证件号脱敏) for lists.
 */

const PREFIX_RE = /^[A-Za-z0-9_-]{0,20}$/;

function formatSequence(what: string, prefix: string, width: number, n: bigint): string {
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix)) {
    throw new RangeError(`${what} prefix: at most 20 letters, digits, _ or -, got '${String(prefix)}'`);
  }
  if (!Number.isSafeInteger(width) || width < 1 || width > 30) throw new RangeError(`${what} width must be 1..30, got ${width}`);
  if (typeof n !== 'bigint') throw new TypeError(`${what} sequence must be a bigint`);
  if (n < 1n) throw new RangeError(`${what} sequence must be ≥ 1, got ${n}`);
  const digits = n.toString();
  if (digits.length > width) throw new RangeError(`${what} sequence ${digits} does not fit in ${width} digits`);
  return `${prefix}${digits.padStart(width, '0')}`;
}

/** prefix + the sequence zero-padded to `width`: formatAccountNo('BJ', 8, 42n) = 'BJ00000042'. Throws on overflow. */
export function formatAccountNo(prefix: string, width: number, seq: bigint): string {
  return formatSequence('account number', prefix, width, seq);
}

/** prefix + the receipt number zero-padded to `width`: formatReceiptNo('R2026', 6, 7n) = 'R2026000007'. Throws on overflow. */
export function formatReceiptNo(prefix: string, width: number, n: bigint): string {
  return formatSequence('receipt number', prefix, width, n);
}

/**
 * An identity number for display: an 18-character resident id (and any id of 15 or more characters, such as a
 * 15-digit first-generation id or an 18-character unified social credit code) keeps its first 6 and last 4
 * characters; a shorter id keeps its first and last character; 1 or 2 characters are masked entirely.
 * Everything else becomes '*'. Counts characters, not UTF-16 units.
 */
export function maskIdNumber(id: string): string {
  const chars = Array.from(id.trim());
  const n = chars.length;
  const [head, tail] = n >= 15 ? [6, 4] : n >= 3 ? [1, 1] : [0, 0];
  return chars.map((c, i) => (i < head || i >= n - tail ? c : '*')).join('');
}
