/** A time as the user reads it, in the browser's zone. */
export function formatTime(value: string | null | undefined, language: string): string {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString(language === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

/** `{'zh-CN', en}` or a string, in the current language. */
export function localized(text: unknown, language: string): string {
  if (typeof text === 'string') return text;
  if (text && typeof text === 'object') {
    const record = text as Record<string, unknown>;
    const value = (language === 'en' ? record.en : record['zh-CN']) ?? record['zh-CN'] ?? record.en;
    return typeof value === 'string' ? value : '';
  }
  return '';
}
