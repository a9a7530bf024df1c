import { AnalyticsError } from './errors.js';

type Scalar = string | number | bigint | boolean | Date | null;
/** A value for a `{name:Type}` query parameter. Values travel beside the SQL, never inside it. */
export type ParamValue = Scalar | readonly Scalar[];
export type QueryParams = Readonly<Record<string, ParamValue>>;

/** What both drivers receive: no Dates (their drivers format those differently), no booleans. */
export type WireScalar = string | number | bigint | null;
export type WireParams = Record<string, WireScalar | WireScalar[]>;

/** Prefix of the parameters the port adds itself; callers cannot name or override them. */
export const RESERVED_PARAM_PREFIX = 'shuiyun_';
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A Date as a Unix timestamp with milliseconds: ClickHouse reads it into DateTime64 (and, without a
 * fraction, DateTime) whatever the server's or the type's time zone. chDB's own formatter would drop the
 * milliseconds. ClickHouse takes a bare number as a timestamp only from ten digits on, hence the padding.
 * Before 1970 it reads `-0.5` as +0.5 s, so earlier instants go as UTC text: the parameter must then be
 * declared with its zone, `DateTime64(3, 'UTC')`.
 */
export function unixTimestamp(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new AnalyticsError('analytics_bad_input', 'an invalid Date was passed as a parameter');
  if (ms < 0) return date.toISOString().replace('T', ' ').replace('Z', '');
  const seconds = String(Math.floor(ms / 1000)).padStart(10, '0');
  const fraction = ms % 1000;
  return fraction === 0 ? seconds : `${seconds}.${String(fraction).padStart(3, '0')}`;
}

function wireScalar(name: string, value: Scalar): WireScalar {
  if (value === null || typeof value === 'string' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return unixTimestamp(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new AnalyticsError('analytics_bad_input', `parameter ${name}: ${value} is not exact; pass a bigint or a string`);
    }
    return value;
  }
  throw new AnalyticsError('analytics_bad_input', `parameter ${name}: unsupported value of type ${typeof value}`);
}

export function toWireParams(params: QueryParams, { allowReserved = false } = {}): WireParams {
  const wire: WireParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (!PARAM_NAME.test(name)) throw new AnalyticsError('analytics_bad_input', `parameter name ${JSON.stringify(name)} is not an identifier`);
    if (!allowReserved && name.toLowerCase().startsWith(RESERVED_PARAM_PREFIX)) {
      throw new AnalyticsError('analytics_bad_input', `parameter names starting with ${RESERVED_PARAM_PREFIX} are reserved for the port`);
    }
    wire[name] = Array.isArray(value) ? value.map((v: Scalar) => wireScalar(name, v)) : wireScalar(name, value as Scalar);
  }
  return wire;
}
