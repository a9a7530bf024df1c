/**
 * The text forms of form-js datetime fields. form-js serialises a date as `YYYY-MM-DD`, a time as
 * `HH:mm` followed by what `timeSerializingFormat` asks for (`Z` for utc_normalized, `±hh:mm` for
 * utc_offset, nothing for no_timezone or when unset), and a date-time as the two joined by `T`.
 */

export type DatetimeSubtype = 'date' | 'time' | 'datetime';
export type TimeSerializingFormat = 'utc_offset' | 'utc_normalized' | 'no_timezone';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)(.*)$/;
const OFFSET = /^[+-](\d{2}):([0-5]\d)$/;

export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one; UTC keeps local DST out of it.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isTime(text: string, format: TimeSerializingFormat | undefined): boolean {
  const match = TIME.exec(text);
  if (!match) return false;
  const suffix = match[3] ?? '';
  switch (format) {
    case 'utc_normalized':
      return suffix === 'Z';
    case 'utc_offset': {
      const offset = OFFSET.exec(suffix);
      return offset !== null && Number(offset[1]) <= 14;
    }
    default:
      return suffix === '';
  }
}

/** Whether `text` is exactly what form-js writes for this subtype and time format. */
export function matchesDatetimeFormat(
  text: string,
  subtype: DatetimeSubtype,
  format: TimeSerializingFormat | undefined,
): boolean {
  switch (subtype) {
    case 'date':
      return isCalendarDate(text);
    case 'time':
      return isTime(text, format);
    case 'datetime': {
      const at = text.indexOf('T');
      return at === 10 && isCalendarDate(text.slice(0, at)) && isTime(text.slice(at + 1), format);
    }
  }
}

/** A human description of the expected text, for messages. */
export function describeDatetimeFormat(subtype: DatetimeSubtype, format: TimeSerializingFormat | undefined): string {
  const time = format === 'utc_normalized' ? 'HH:mmZ' : format === 'utc_offset' ? 'HH:mm±hh:mm' : 'HH:mm';
  return subtype === 'date' ? 'YYYY-MM-DD' : subtype === 'time' ? time : `YYYY-MM-DDT${time}`;
}

/** Today's calendar date (`YYYY-MM-DD`) in a tenant's time zone. */
export function calendarDateIn(timeZone: string, instant: Date): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
}
