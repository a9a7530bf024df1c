/**
 * Why a report could not be defined or run. Every code has a zh-CN and an en text; `path` points at the
 * offending input (`['parameters', 'period', 'from']`, `['dimensions', 2]`), so the designer and the
 * parameter bar can mark the field. The HTTP layer maps `status`; `detail` is for the operator and never
 * holds another tenant's data.
 */
export type ReportErrorCode =
  /** The dataset definition breaks the model (bad identifier, a measure naming an unknown column …). */
  | 'invalid_dataset'
  /** The report query is malformed (wrong shape, limit out of range, detail query with measures …). */
  | 'invalid_query'
  /** The query names a dimension, measure, parameter or key the dataset does not have. */
  | 'unknown_field'
  /** A parameter or filter value has the wrong type or format. */
  | 'invalid_parameter'
  /** A required parameter has no value and no default. */
  | 'missing_parameter'
  /** A tenant-subtree parameter names a tenant outside the caller's subtree. */
  | 'parameter_out_of_scope'
  /** A raw-SQL dataset tried something outside the read-only, tenant-scoped contract; nothing ran. */
  | 'raw_sql_refused'
  /** The dataset reads a Postgres relation that row-level security does not protect; nothing ran. */
  | 'relation_not_tenant_scoped'
  /** A measure cannot be computed the way the query asks (e.g. count distinct across a registry lookup). */
  | 'measure_not_supported'
  /** The result has more rows than the engine's limit allows; narrow the query or page through it. */
  | 'row_limit_exceeded'
  /** The query ran longer than the engine's time limit and was cancelled. */
  | 'query_timeout'
  /** The database refused or failed the query. */
  | 'query_failed'
  /** The dataset needs a store (analytics or Postgres) the engine was not given. */
  | 'source_unavailable';

export interface LocalizedMessage {
  'zh-CN': string;
  en: string;
}

const texts: Record<ReportErrorCode, LocalizedMessage & { status: number }> = {
  invalid_dataset: { status: 400, 'zh-CN': '数据集定义不合法', en: 'The dataset definition is not valid' },
  invalid_query: { status: 400, 'zh-CN': '报表查询不合法', en: 'The report query is not valid' },
  unknown_field: { status: 400, 'zh-CN': '报表查询引用了数据集中不存在的字段', en: 'The report query names a field the dataset does not have' },
  invalid_parameter: { status: 400, 'zh-CN': '参数值的类型或格式不正确', en: 'A parameter value has the wrong type or format' },
  missing_parameter: { status: 400, 'zh-CN': '缺少必填参数', en: 'A required parameter is missing' },
  parameter_out_of_scope: { status: 403, 'zh-CN': '参数超出了当前租户的数据范围', en: 'The parameter reaches outside your tenant' },
  raw_sql_refused: { status: 400, 'zh-CN': 'SQL 数据集包含不允许的语句或函数，未执行', en: 'The SQL dataset uses a statement or function that is not allowed; nothing was run' },
  relation_not_tenant_scoped: { status: 400, 'zh-CN': '数据集引用的表或视图未启用租户行级安全，未执行', en: 'The dataset reads a table or view without tenant row-level security; nothing was run' },
  measure_not_supported: { status: 400, 'zh-CN': '该指标不支持这种计算方式', en: 'The measure cannot be computed this way' },
  row_limit_exceeded: { status: 422, 'zh-CN': '结果行数超过上限，请缩小查询范围或分页查询', en: 'The result has more rows than allowed; narrow the query or page through it' },
  query_timeout: { status: 504, 'zh-CN': '查询超时，已取消', en: 'The query took too long and was cancelled' },
  query_failed: { status: 502, 'zh-CN': '数据库执行查询失败', en: 'The database could not run the query' },
  source_unavailable: { status: 503, 'zh-CN': '数据集所需的数据源不可用', en: 'The data source this dataset needs is not available' },
};

export type ReportErrorPath = readonly (string | number)[];

export class ReportError extends Error {
  readonly status: number;
  /** The generic text of the code in each locale. */
  readonly messages: LocalizedMessage;
  constructor(
    readonly code: ReportErrorCode,
    /** What exactly is wrong, in English, for the developer or consultant who wrote the input. */
    readonly detail: string,
    readonly path: ReportErrorPath = [],
    options: { cause?: unknown } = {},
  ) {
    super(`${texts[code].en}: ${detail}${path.length > 0 ? ` (at ${path.join('.')})` : ''}`, options);
    this.name = 'ReportError';
    this.status = texts[code].status;
    this.messages = { 'zh-CN': texts[code]['zh-CN'], en: texts[code].en };
  }

  toJSON() {
    return { code: this.code, path: this.path, detail: this.detail, messages: this.messages };
  }
}

/** The zh-CN and en texts of every code, for the HTTP layer's catalogue. */
export const reportErrorMessages: Readonly<Record<ReportErrorCode, LocalizedMessage>> = Object.fromEntries(
  Object.entries(texts).map(([code, { 'zh-CN': zh, en }]) => [code, { 'zh-CN': zh, en }]),
) as Record<ReportErrorCode, LocalizedMessage>;
