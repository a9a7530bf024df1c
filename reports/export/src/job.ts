import type { Writable } from 'node:stream';
import { DEFAULT_TIME_ZONE } from '@shuiyun/reports';
import type { ExportColumn, Locale } from './columns.js';
import { type CsvOptions, writeCsv } from './csv.js';
import { ExportCancelled } from './errors.js';
import { type PdfOptions, type PdfReport, DEFAULT_PDF_MAX_ROWS, assertPdfRowLimit, writePdf } from './pdf.js';
import type { ExportSheet, RowSource, SheetHeader } from './sheet.js';
import { writeXlsx } from './xlsx.js';

export const exportFormats = ['csv', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const exportMediaTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

export interface ExportProgress {
  rowsWritten: number;
  /** When the job was given `totalRows`. */
  totalRows?: number;
  /** rowsWritten / totalRows, from 0 to 1, when the total is known. */
  fraction?: number;
  /** True on the last report, once the file is complete. */
  done: boolean;
}

export interface ExportJob {
  format: ExportFormat;
  columns: readonly ExportColumn[];
  header?: SheetHeader;
  frozenColumns?: number;
  /** Opens the rows; called once, and only when the job starts writing (not when it is refused first). */
  source: () => RowSource;
  /** The row count when the caller knows it (the engine's `page.total`): gives progress a fraction and lets a PDF be refused before any query runs. */
  totalRows?: number;
  /** Where the file goes; the job ends it when complete and destroys it on failure or cancellation. */
  out: Writable;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
  locale?: Locale;
  /** The sheet's name (xlsx) and the PDF's title. */
  name?: ExportSheet['name'];
  csv?: Pick<CsvOptions, 'values' | 'bom'>;
  /** The PDF's page: title, parameters, time zone and charts (the table is the job's rows). */
  pdf?: Omit<PdfReport, 'table'> & Pick<PdfOptions, 'maxRows' | 'fonts' | 'size' | 'orientation'>;
}

export interface ExportSummary {
  format: ExportFormat;
  rows: number;
  mediaType: string;
  fileExtension: string;
  elapsedMs: number;
}

/**
 * Runs one export: opens the source, streams it into the format's writer, reports progress after every
 * batch, and settles when the file is complete. Pure (no database, no storage): the runtime's job queue
 * gives it a source (a paged query or a cursor) and an output (a file, an object-store upload, an HTTP
 * response).
 *
 * Cancellation: when `signal` fires, the writer stops at once — even while it waits for the source or for
 * the output to drain — calls the source iterator's `return()` (so its query or cursor ends), destroys
 * the output and the job rejects with `ExportCancelled`. Nothing keeps running after the rejection.
 */
export async function runExport(job: ExportJob): Promise<ExportSummary> {
  const started = performance.now();
  if (job.signal?.aborted) {
    job.out.destroy();
    throw new ExportCancelled(job.signal.reason);
  }
  if (job.format === 'pdf') {
    try {
      assertPdfRowLimit(job.totalRows, job.pdf?.maxRows ?? DEFAULT_PDF_MAX_ROWS);
    } catch (error) {
      job.out.destroy();
      throw error;
    }
  }
  const progress = (rowsWritten: number, done: boolean) => {
    if (!job.onProgress) return;
    const total = job.totalRows;
    job.onProgress({
      rowsWritten,
      ...(total !== undefined ? { totalRows: total, fraction: total === 0 ? 1 : Math.min(1, rowsWritten / total) } : {}),
      done,
    });
  };
  let source: RowSource;
  try {
    source = job.source();
  } catch (error) {
    job.out.destroy();
    throw error;
  }
  const sheet: ExportSheet = {
    columns: job.columns,
    ...(job.header ? { header: job.header } : {}),
    ...(job.frozenColumns !== undefined ? { frozenColumns: job.frozenColumns } : {}),
    ...(job.name !== undefined ? { name: job.name } : {}),
    rows: source,
  };
  const common = {
    ...(job.locale ? { locale: job.locale } : {}),
    ...(job.signal ? { signal: job.signal } : {}),
    onRows: (rows: number) => progress(rows, false),
  };
  let rows: number;
  switch (job.format) {
    case 'csv':
      ({ rows } = await writeCsv(sheet, job.out, { ...common, ...job.csv }));
      break;
    case 'xlsx':
      ({ rows } = await writeXlsx(sheet, job.out, common));
      break;
    case 'pdf': {
      const { maxRows, fonts, size, orientation, ...page } = job.pdf ?? { title: job.name ?? '', timeZone: DEFAULT_TIME_ZONE };
      ({ rows } = await writePdf(
        { ...page, table: sheet },
        job.out,
        { ...common, ...(maxRows !== undefined ? { maxRows } : {}), ...(fonts ? { fonts } : {}), ...(size ? { size } : {}), ...(orientation ? { orientation } : {}) },
      ));
      break;
    }
  }
  progress(rows, true);
  return { format: job.format, rows, mediaType: exportMediaTypes[job.format], fileExtension: job.format, elapsedMs: Math.round(performance.now() - started) };
}
