import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { type ColumnPlan, displayWidth, labelText, planColumn } from './columns.js';
import { type DrainingStream, OutputSession, type WriteOptions, type WriteSummary, readBatches } from './output.js';
import { type ExportSheet, type HeaderRange, type RowBatch, defaultSheetName, headerLayout, rowCells } from './sheet.js';

export type XlsxOptions = WriteOptions;

/**
 * exceljs's streaming writer hands each sheet's XML to the zip through its own buffer (`StreamBuf`),
 * which writes on without looking at back-pressure (exceljs 4.4, `lib/utils/stream-buf.js`). Without
 * help a slow output, or a deflate slower than row rendering, piles the uncompressed sheet up in memory
 * (seen: ~260 MB of buffers for a million rows). What it feeds is archiver's input stream for the sheet's
 * zip entry (a `readable-stream` PassThrough), which archiver reads only as fast as it can deflate and
 * write the zip to the output. So after each batch the writer waits for that stream to drain: the zip's
 * pace, and through it the output's, holds the rows back.
 */
interface SheetBufferInternals {
  pipes?: DrainingStream[];
  buffers?: unknown[];
}
interface WorksheetWriterInternals {
  stream?: SheetBufferInternals;
}
interface WorkbookWriterInternals {
  zip?: { abort(): unknown };
}

async function relievePressure(worksheet: ExcelJS.Worksheet, session: OutputSession): Promise<void> {
  const buffer = (worksheet as unknown as WorksheetWriterInternals).stream;
  if (!buffer || !Array.isArray(buffer.pipes) || !Array.isArray(buffer.buffers)) {
    throw new Error('exceljs changed its streaming worksheet writer: revisit relievePressure in reports/export/src/xlsx.ts');
  }
  // Until the zip reaches the sheet's entry, the XML waits in the sheet's buffer: let the zip catch up.
  while (buffer.pipes.length === 0 && buffer.buffers.length > 4) await session.race(nextTurn());
  const sink = buffer.pipes[0];
  // Some slack lets the next batch render while the zip deflates this one (on libuv's thread pool).
  if (sink && bufferedBytes(sink) > SHEET_SLACK_BYTES) await session.waitForDrain(sink);
}

const SHEET_SLACK_BYTES = 4 * 1024 * 1024;
const bufferedBytes = (stream: DrainingStream) => (stream as { writableLength?: number }).writableLength ?? stream._writableState?.length ?? 0;

/** Excel's rules for sheet names: at most 31 characters, none of : \ / ? * [ ]. */
const sheetName = (name: string) => name.replace(/[:\\/?*[\]]/g, ' ').slice(0, 31).trim() || 'Sheet1';

const headerStyle: Partial<ExcelJS.Style> = {
  font: { bold: true },
  alignment: { horizontal: 'center', vertical: 'middle', wrapText: true },
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEFF3F8' } },
  border: {
    top: { style: 'thin', color: { argb: 'FFB7C3D0' } },
    left: { style: 'thin', color: { argb: 'FFB7C3D0' } },
    bottom: { style: 'thin', color: { argb: 'FFB7C3D0' } },
    right: { style: 'thin', color: { argb: 'FFB7C3D0' } },
  },
};
const emphasisFill: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF5F5F5' } };

/**
 * Per column, the few style objects its cells use. exceljs caches a style's id by object identity, so
 * sharing one object per kind of cell keeps a million-row sheet from rendering a style per cell.
 */
interface ColumnStyles {
  value: Partial<ExcelJS.Style>;
  text: Partial<ExcelJS.Style>;
  emphasizedValue: Partial<ExcelJS.Style>;
  emphasizedText: Partial<ExcelJS.Style>;
}

function columnStyles(plan: ColumnPlan): ColumnStyles {
  const alignment: Partial<ExcelJS.Alignment> | undefined = plan.alignRight ? { horizontal: 'right' } : undefined;
  const value: Partial<ExcelJS.Style> = { ...(plan.numFmt ? { numFmt: plan.numFmt } : {}), ...(alignment ? { alignment } : {}) };
  const text: Partial<ExcelJS.Style> = alignment ? { alignment } : {};
  return {
    value,
    text,
    emphasizedValue: { ...value, font: { bold: true }, fill: emphasisFill },
    emphasizedText: { ...text, font: { bold: true }, fill: emphasisFill },
  };
}

/** Column widths in characters: the widest of the header label and the first rows' shown text, within 6–60. */
function columnWidths(sheet: ExportSheet, plans: readonly ColumnPlan[], ranges: readonly HeaderRange[], sample: RowBatch): number[] {
  const widths = plans.map((plan) => plan.column.width ?? 0);
  const fixed = plans.map((plan) => plan.column.width !== undefined);
  const widen = (column: number, text: string) => {
    if (!fixed[column]) widths[column] = Math.max(widths[column]!, displayWidth(text));
  };
  for (const range of ranges) if (range.left === range.right) widen(range.left, range.text);
  for (const row of sample.slice(0, 200)) {
    const { cells } = rowCells(row, sheet.columns);
    plans.forEach((plan, i) => {
      const cell = cells[i] ?? null;
      if (cell !== null) widen(i, plan.displayText(cell));
    });
  }
  return widths.map((w, i) => (fixed[i] ? w : Math.min(60, Math.max(6, w + 2))));
}

/**
 * Writes a sheet as an .xlsx workbook with exceljs's streaming writer: each row is committed as soon as it
 * is written, so memory holds one batch, not the sheet. Number columns: a value is written as a number with
 * the column's number format when it has at most 15 significant digits (see `exactNumber`), else as text,
 * unchanged and right-aligned. Dates and timestamps are Excel date-times with the column's pattern. The
 * header (merged where its cells span) and a pivot's row-header columns are frozen; subtotal and total
 * rows are bold. Strings are written inline (no shared-string table, which would grow with the rows).
 */
export async function writeXlsx(sheet: ExportSheet, out: Writable, options: XlsxOptions = {}): Promise<WriteSummary> {
  const session = new OutputSession(out, options.signal);
  let workbook: ExcelJS.stream.xlsx.WorkbookWriter | undefined;
  const batches = readBatches(sheet.rows, session);
  try {
    const locale = options.locale ?? 'zh-CN';
    const plans = sheet.columns.map(planColumn);
    const layout = headerLayout(sheet, locale);
    const styles = plans.map(columnStyles);

    workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    const worksheet = workbook.addWorksheet(sheetName(labelText(sheet.name ?? defaultSheetName[locale], locale)), {
      views: [{ state: 'frozen', xSplit: sheet.frozenColumns ?? 0, ySplit: layout.rows }],
    });

    // Widths go into the sheet XML before the first row, so they come from the header and the first batch.
    const first = await batches.next();
    worksheet.columns = columnWidths(sheet, plans, layout.ranges, first.done ? [] : first.value).map((width) => ({ width }));

    for (let r = 1; r <= layout.rows; r += 1) {
      const row = worksheet.getRow(r);
      for (let c = 1; c <= plans.length; c += 1) row.getCell(c).style = headerStyle;
    }
    for (const range of layout.ranges) {
      worksheet.getRow(range.top + 1).getCell(range.left + 1).value = range.text;
      if (range.bottom > range.top || range.right > range.left) worksheet.mergeCells(range.top + 1, range.left + 1, range.bottom + 1, range.right + 1);
    }
    for (let r = 1; r <= layout.rows; r += 1) worksheet.getRow(r).commit();

    let next = layout.rows;
    let rows = 0;
    const writeBatch = async (batch: RowBatch) => {
      for (const source of batch) {
        const { cells, emphasis } = rowCells(source, sheet.columns);
        next += 1;
        const row = worksheet.getRow(next);
        for (let i = 0; i < plans.length; i += 1) {
          const cell = cells[i] ?? null;
          const style = styles[i]!;
          if (cell === null) {
            if (emphasis) row.getCell(i + 1).style = style.emphasizedText;
            continue;
          }
          const value = plans[i]!.sheetValue(cell);
          const target = row.getCell(i + 1);
          target.value = value;
          target.style = typeof value === 'string' ? (emphasis ? style.emphasizedText : style.text) : emphasis ? style.emphasizedValue : style.value;
        }
        row.commit();
      }
      rows += batch.length;
      options.onRows?.(rows);
      await relievePressure(worksheet, session);
    };

    if (!first.done) await writeBatch(first.value);
    for await (const batch of batches) await writeBatch(batch);

    worksheet.commit();
    // exceljs ends the output itself and resolves once it has finished.
    await session.race(workbook.commit());
    session.release();
    return { rows };
  } catch (error) {
    await batches.return();
    (workbook as unknown as WorkbookWriterInternals | undefined)?.zip?.abort();
    throw session.fail(error);
  }
}
