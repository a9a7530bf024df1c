/**
 * @shuiyun/analytics — the analytics store: device readings in ClickHouse, run by chDB inside this process
 * (the default, files under `<dataDir>/chdb`) or by a ClickHouse server (`url`, from CLICKHOUSE_URL).
 * Both run the same SQL.
 *
 * ## Placeholder contract for queries
 *
 * `store.query(scope, sql, params)` and `store.stream(…)` run one read-only statement for a tenant
 * subtree. The port, never the caller, adds the tenant predicate:
 *
 * - Name data only through logical tables in double braces: `{{readings}}`. Each becomes a subquery
 *   over the physical table that keeps the rows whose tenant is `scope.tenantPath` or below it (`1.2.3`
 *   sees `1.2.3` and `1.2.3.7`, never `1.2.30`) and that reads with FINAL, so a redelivered reading
 *   appears once. `{{readings}}` has the columns
 *   `tenant_id UInt64, tenant_path String, device String, metric LowCardinality(String),
 *   at DateTime64(3,'UTC'), value Decimal(18,3), milli Int64, received_at DateTime64(3,'UTC')`
 *   (`value` is the reading in its metric's unit, `milli` the SDK's exact thousandths). Aggregate
 *   `value`: `sum(value)` is an exact Decimal(38,3), whereas `sum(milli)` is an Int64 that wraps past
 *   9.2·10^18.
 * - Values go in ClickHouse query parameters, `{name:Type}` in the SQL and `params.name` beside it, on
 *   both engines; they are never pasted into the text. Dates bind as exact instants to the millisecond
 *   (declare `DateTime64(3, 'UTC')`), bigints and strings exactly; numbers must be safe integers or
 *   finite. Parameter names starting with `shuiyun_` are the port's, and `Identifier`-typed parameters
 *   are refused.
 * - Refused before anything runs (`AnalyticsError`, code `analytics_query_refused`): anything but one
 *   SELECT / WITH … SELECT; a FROM, JOIN or IN that names a table directly, a database-qualified name, a
 *   physical table (`device_readings`), the migration ledger, `system` or `information_schema`; table
 *   functions other than numbers/zeros/generate_series/values; functions that read tables, files,
 *   dictionaries or other servers (file, url, remote, merge, s3, dictGet, joinGet, …); INTO OUTFILE,
 *   FORMAT and SETTINGS (the port chooses the output); `$` heredocs and `#` comments. A WITH name AS
 *   (subquery) may be read by its name. Comma-separated FROM lists are refused; use JOIN. On the right
 *   of IN, a lone name (`x IN t`, `x IN (t)`, `in(x, t)`) reads a table and is refused unless it is a
 *   WITH name; lists of values, `{param:Array(…)}` and subqueries are fine.
 * - Rows come back as ClickHouse's JSONEachRow writes them, with 64-bit integers and decimals as strings
 *   (`"123.450"`, `"9007199254740993"`) so nothing loses digits: `BigInt(row.milli)`, or
 *   `decimalToMilli(row.total)` for a Decimal such as `sum(value)`. Times are `YYYY-MM-DD hh:mm:ss.sss`
 *   in UTC.
 *
 * ```ts
 * await store.query({ tenantPath: '1.2' },
 *   `SELECT device, sum(value) AS total FROM {{readings}}
 *    WHERE metric = {metric:String} AND at >= {from:DateTime64(3, 'UTC')} GROUP BY device`,
 *   { metric: 'settlement_volume', from: new Date('2025-01-01T00:00:00Z') });
 * ```
 */
export {
  openAnalyticsStore,
  DEFAULT_DATABASE,
  type AnalyticsStore,
  type AnalyticsStoreOptions,
} from './store.js';
export type { AnalyticsScope } from './scoped-query.js';
export type { QueryParams, ParamValue } from './params.js';
export type { Row } from './engine.js';
export type { MigrationOutcome } from './migrations.js';
export { type TenantReading, milliToDecimal, decimalToMilli } from './readings.js';
export { AnalyticsError, type AnalyticsErrorCode } from './errors.js';
