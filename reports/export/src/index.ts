/**
 * @shuiyun/report-export — report exports: streaming CSV and XLSX writers (a million rows in bounded
 * memory), pivots with merged multi-level headers and grouped tables with bold subtotals, a PDF report
 * page with ECharts charts rendered on the server to SVG and drawn as vectors, and export jobs with
 * progress and cancellation. See README.md.
 */
export {
  exportColumns,
  exactNumber,
  wallClockDate,
  displayWidth,
  labelText,
  planColumn,
  type ColumnFormat,
  type ColumnPlan,
  type ExportColumn,
  type Label,
  type Locale,
} from './columns.js';
export {
  EmphasizedRow,
  headerLayout,
  type ExportRow,
  type ExportSheet,
  type HeaderCell,
  type HeaderRange,
  type RowBatch,
  type RowSource,
  type SheetHeader,
} from './sheet.js';
export { detailSheet, resultSheet, groupedTableSheet, pivotSheet, type ShapeOptions } from './shapes.js';
export { type WriteOptions, type WriteSummary } from './output.js';
export { writeCsv, neutralizeFormula, type CsvOptions } from './csv.js';
export { writeXlsx, type XlsxOptions } from './xlsx.js';
export {
  writePdf,
  assertPdfRowLimit,
  localDateTime,
  defaultPdfFonts,
  DEFAULT_PDF_MAX_ROWS,
  type PdfChart,
  type PdfFont,
  type PdfFonts,
  type PdfOptions,
  type PdfParameter,
  type PdfReport,
} from './pdf.js';
export { renderChartSvg, type ChartOption, type ChartSize } from './charts.js';
export { runExport, exportFormats, exportMediaTypes, type ExportFormat, type ExportJob, type ExportProgress, type ExportSummary } from './job.js';
export { ExportError, ExportCancelled, PdfRowLimitExceeded, exportErrorMessages, type ExportErrorCode } from './errors.js';
