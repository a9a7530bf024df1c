/**
 * @shuiyun/reports — the report engine: datasets (a semantic model over analytics tables or Postgres
 * views), report queries compiled to ClickHouse or PostgreSQL SQL with bound parameters under the tenant
 * predicate, exact result shaping (subtotals, pivots, conditional formats, drill-down) and ECharts
 * options. See README.md for the model and the compiler's rules.
 */
export {
  parseDataset,
  analyticsTableColumns,
  filterOperators,
  parameterTypes,
  timeGrains,
  type Dataset,
  type DatasetDefinition,
  type DatasetSource,
  type Dimension,
  type Measure,
  type Parameter,
  type DefaultFilter,
  type Lookup,
  type Condition,
  type LocalizedText,
  type FilterOperator,
  type ParameterType,
  type TimeGrain,
} from './dataset/dataset.js';
export { columnTypes, type ColumnType } from './dataset/values.js';
export { dateRangePresets, type DateRangePreset, type ParameterValue } from './dataset/parameter-values.js';
export { reportQuerySchema, parseReportQuery, planQuery, type ReportQuery, type QueryPlan } from './query/plan.js';
export { compileSelect } from './sql/compile.js';
export { clickhouse as clickhouseDialect, postgres as postgresDialect } from './sql/dialects.js';
export { renderClickHouse, renderPostgres, type ClickHouseQuery, type PostgresQuery } from './sql/fragment.js';
export { parseRawSql, type RawSqlTemplate } from './sql/raw-sql.js';
export {
  createReportEngine,
  defaultReportLimits,
  type ReportEngine,
  type ReportEngineOptions,
  type ReportContext,
  type ReportLimits,
} from './engine/engine.js';
export { createResultCache, cacheKey, type ResultCache, type CacheKeyParts } from './engine/result-cache.js';
export { levelKey, type ReportResult, type ResultColumn, type ResultRow, type Cell, type LevelResults } from './engine/result.js';
export { groupedTable, groupedTableLevels, groupedTableSpecSchema, type GroupedTable, type GroupedTableRow, type GroupedTableSpec } from './shaping/grouped-table.js';
export { pivotTable, pivotLevels, pivotSpecSchema, type PivotTable, type PivotSpec } from './shaping/pivot.js';
export { cellStyles, formatRulesSchema, type FormatRule, type CellStyle } from './shaping/conditional-format.js';
export { drillDown, drillDownSchema, periodRange, type DrillDown, type DrillTarget } from './shaping/drill-down.js';
export { chartOption, chartSpecSchema, chartTypes, type ChartSpec, type ChartType } from './charts/echarts-option.js';
export { builtinDatasets } from './builtin-datasets.js';
export {
  parseDecimal,
  formatDecimal,
  normalizeDecimal,
  addDecimals,
  compareDecimals,
  multiplyDecimals,
  divideDecimals,
  sumDecimals,
  isDecimalText,
  type Decimal,
} from './decimal.js';
export { DEFAULT_TIME_ZONE, canonicalTimeZone } from './calendar.js';
export { ReportError, reportErrorMessages, type ReportErrorCode, type LocalizedMessage } from './errors.js';
