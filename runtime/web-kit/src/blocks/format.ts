/**
 * Exact decimal text (`"12345.678"`, as the API sends decimals) with thousands separators, without
 * ever going through a float.
 */
export function formatDecimal(value: string | number | null | undefined, scale?: number): string {
  if (value === null || value === undefined || value === '') return '—';
  let text = String(value).trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  let [whole = '0', fraction = ''] = text.split('.');
  if (scale !== undefined && fraction.length > scale) fraction = fraction.slice(0, scale);
  whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export function formatDateTime(value: string | null | undefined, locale: string): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(locale === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

/** Reads a JSON block config; `null` when it is not a JSON object. */
export function parseConfig(text: string | null | undefined): Record<string, unknown> | null {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
