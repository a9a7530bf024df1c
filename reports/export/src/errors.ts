import type { LocalizedMessage } from '@shuiyun/reports';

/**
 * Why an export did not complete. Like the engine's `ReportError`: a machine `code`, an HTTP `status`
 * for the API layer, a zh-CN and an en text for the user, and `detail` for the operator.
 */
export type ExportErrorCode =
  /** The caller cancelled the export (its AbortSignal fired); the output was closed. */
  | 'export_cancelled'
  /** A PDF was asked for more rows than a PDF may hold; nothing was written. */
  | 'pdf_row_limit_exceeded'
  /** The CJK font a PDF needs is not installed; nothing was written. */
  | 'pdf_font_missing'
  /** A column's format or the sheet's shape is not valid (bad date pattern, header outside the columns …). */
  | 'invalid_export'
  /** The output stream failed or was closed by the other side (a client went away). */
  | 'output_failed';

const texts: Record<ExportErrorCode, LocalizedMessage & { status: number }> = {
  export_cancelled: { status: 499, 'zh-CN': '导出已取消', en: 'The export was cancelled' },
  pdf_row_limit_exceeded: {
    status: 422,
    'zh-CN': '数据行数超过 PDF 导出上限，请改为导出 Excel（xlsx）',
    en: 'Too many rows for a PDF export; export to Excel (xlsx) instead',
  },
  pdf_font_missing: { status: 500, 'zh-CN': '服务器缺少 PDF 所需的中文字体', en: 'The server is missing the CJK font PDF exports need' },
  invalid_export: { status: 400, 'zh-CN': '导出设置不正确', en: 'The export settings are not valid' },
  output_failed: { status: 500, 'zh-CN': '导出文件写入失败', en: 'The export could not be written' },
};

export class ExportError extends Error {
  readonly status: number;
  readonly messages: LocalizedMessage;
  constructor(
    readonly code: ExportErrorCode,
    /** What exactly happened, in English, for the operator. */
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${texts[code].en}: ${detail}`, options);
    this.name = 'ExportError';
    this.status = texts[code].status;
    this.messages = { 'zh-CN': texts[code]['zh-CN'], en: texts[code].en };
  }

  toJSON() {
    return { code: this.code, detail: this.detail, messages: this.messages };
  }
}

/** The export was cancelled through its AbortSignal: the source was closed (`return()`) and so was the output. */
export class ExportCancelled extends ExportError {
  constructor(readonly reason?: unknown) {
    super('export_cancelled', reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason), { cause: reason });
    this.name = 'ExportCancelled';
  }
}

/** A PDF holds at most `limit` table rows; larger exports belong in xlsx, which streams. */
export class PdfRowLimitExceeded extends ExportError {
  constructor(
    readonly limit: number,
    /** The row count when known (`totalRows`), else undefined: the source had more than `limit`. */
    readonly rows?: number,
  ) {
    super('pdf_row_limit_exceeded', `a PDF holds at most ${limit} rows, this export has ${rows ?? `more than ${limit}`}; export xlsx instead`);
    this.name = 'PdfRowLimitExceeded';
  }
}

/** The zh-CN and en texts of every code, for the HTTP layer's catalogue. */
export const exportErrorMessages: Readonly<Record<ExportErrorCode, LocalizedMessage>> = Object.fromEntries(
  Object.entries(texts).map(([code, { 'zh-CN': zh, en }]) => [code, { 'zh-CN': zh, en }]),
) as Record<ExportErrorCode, LocalizedMessage>;
