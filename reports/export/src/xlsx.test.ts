import { groupedTable, pivotTable } from '@shuiyun/reports';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { type ExportColumn, exactNumber, wallClockDate } from './columns.js';
import { groupedTableSheet, pivotSheet, resultSheet } from './shapes.js';
import type { RowBatch } from './sheet.js';
import { MemorySink, byMeterTypeResult, consumptionResult, loadXlsx } from './testing/helpers.js';
import { writeXlsx } from './xlsx.js';

const rowValues = (sheet: ExcelJS.Worksheet, n: number) => (sheet.getRow(n).values as unknown[]).slice(1);

describe('XLSX export', () => {
  it('writes numbers as numbers with the column format, a frozen bold header and widths from the content', async () => {
    const sink = new MemorySink();
    const summary = await writeXlsx(
      resultSheet(consumptionResult, { formats: { consumption: { thousands: true }, rate: { percent: 'points' } }, name: { 'zh-CN': '日用水量', en: 'Daily consumption' } }),
      sink,
    );
    expect(summary).toEqual({ rows: 4 });
    const workbook = await loadXlsx(sink.buffer());
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('日用水量');
    expect(rowValues(sheet, 1)).toEqual(['日期', '小区', '用水量(m³)', '抄表率']);
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', xSplit: 0, ySplit: 1 });
    expect(rowValues(sheet, 2)).toEqual(['2026-03-01', '阳光小区', 1250.5, 98.5]);
    expect(rowValues(sheet, 5)).toEqual(['2026-03-02', '江畔花园', 1234567.875, 100]);
    // Null is no cell at all.
    expect(sheet.getRow(4).getCell(4).value).toBeNull();
    expect(sheet.getRow(2).getCell(3).numFmt).toBe('#,##0.000');
    expect(sheet.getRow(2).getCell(4).numFmt).toBe('0.00"%"');
    expect(sheet.getRow(2).getCell(3).type).toBe(ExcelJS.ValueType.Number);
    // Chinese counts double: 阳光小区 is 8 wide, plus padding; 1234567.875 shown as 1,234,567.875.
    expect(sheet.getColumn(2).width).toBe(10);
    expect(sheet.getColumn(3).width).toBe(15);
    expect(sheet.rowCount).toBe(5);
  });

  it('keeps a value as text when a double could not hold its digits (more than 15 significant digits)', async () => {
    expect([exactNumber('0.1'), exactNumber('1250.500'), exactNumber('123456789012345'), exactNumber('-0.000000000000001'), exactNumber('1000000000000000000000')]).toEqual([
      0.1, 1250.5, 123456789012345, -1e-15, 1e21,
    ]);
    expect([exactNumber('1234567890123456'), exactNumber('9223372036854775807'), exactNumber('12345678901234.56'), exactNumber('1e5'), exactNumber('12,5')]).toEqual([
      undefined, undefined, undefined, undefined, undefined,
    ]);
    const columns: ExportColumn[] = [
      { id: 'counter', label: '累计脉冲', type: 'integer' },
      { id: 'amount', label: '金额', type: 'decimal', scale: 2 },
    ];
    const rows: RowBatch = [
      ['9223372036854775807', '12345678901234.56'],
      ['123456789012345', '1234567890123.45'],
    ];
    const sink = new MemorySink();
    await writeXlsx({ columns, rows: [rows] }, sink);
    const sheet = (await loadXlsx(sink.buffer())).worksheets[0]!;
    expect(rowValues(sheet, 2)).toEqual(['9223372036854775807', '12345678901234.56']);
    expect(sheet.getRow(2).getCell(1).type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getRow(2).getCell(1).alignment).toEqual({ horizontal: 'right' });
    expect(rowValues(sheet, 3)).toEqual([123456789012345, 1234567890123.45]);
    expect(sheet.getRow(3).getCell(1).numFmt).toBe('0');
    expect(sheet.getRow(3).getCell(2).numFmt).toBe('0.00');
  });

  it('writes local times as Excel date-times with the pattern, whatever the server zone; formula-like text stays text', async () => {
    const columns: ExportColumn[] = [
      { id: 'at', label: '抄表时间', type: 'timestamp' },
      { id: 'day', label: '日期', type: 'date', format: { pattern: 'yyyy"年"m"月"d"日"' } },
      { id: 'note', label: '备注', type: 'string' },
    ];
    const rows: RowBatch = [
      { at: '2026-03-02 00:30:00', day: '2026-03-02', note: '=HYPERLINK("http://evil","x")' },
      { at: 'yesterday', day: '2026-02-30', note: '@cmd' },
    ];
    const sink = new MemorySink();
    await writeXlsx({ columns, rows: [rows] }, sink);
    const sheet = (await loadXlsx(sink.buffer())).worksheets[0]!;
    const at = sheet.getRow(2).getCell(1);
    expect(at.type).toBe(ExcelJS.ValueType.Date);
    expect((at.value as Date).toISOString()).toBe('2026-03-02T00:30:00.000Z');
    expect(at.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect((sheet.getRow(2).getCell(2).value as Date).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(sheet.getRow(2).getCell(2).numFmt).toBe('yyyy"年"m"月"d"日"');
    const note = sheet.getRow(2).getCell(3);
    expect(note.type).toBe(ExcelJS.ValueType.String);
    expect(note.value).toBe('=HYPERLINK("http://evil","x")');
    // Not a real time: kept as the text it was.
    expect(rowValues(sheet, 3)).toEqual(['yesterday', '2026-02-30', '@cmd']);
  });

  it('reads only real local times as dates: calendar-checked, from 1900-03-01 (Excel’s 1900 system)', () => {
    expect(wallClockDate('2026-03-02 08:05:09.5')?.toISOString()).toBe('2026-03-02T08:05:09.500Z');
    expect(wallClockDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    for (const text of ['2026-02-29', '2026-03-02 24:00:00', '2026-03-02 08:60', '0026-03-01', '1900-02-28', '2026-3-2', '2026-03-02Z']) {
      expect(wallClockDate(text), text).toBeUndefined();
    }
  });

  it('an empty result is a header-only sheet', async () => {
    const sink = new MemorySink();
    expect(await writeXlsx(resultSheet({ ...consumptionResult, rows: [] }), sink)).toEqual({ rows: 0 });
    const sheet = (await loadXlsx(sink.buffer())).worksheets[0]!;
    expect(sheet.rowCount).toBe(1);
    expect(rowValues(sheet, 1)).toEqual(['日期', '小区', '用水量(m³)', '抄表率']);
  });

  it('a pivot: multi-level column headers merged, row dimension and totals spanning the header rows, totals bold', async () => {
    const pivot = pivotTable(byMeterTypeResult, { rows: ['meterType'], columns: ['month', 'community'] });
    const sink = new MemorySink();
    await writeXlsx(pivotSheet(pivot), sink);
    const sheet = (await loadXlsx(sink.buffer())).worksheets[0]!;
    expect([...sheet.model.merges].sort()).toEqual(['A1:A3', 'B1:E1', 'B2:C2', 'D2:E2', 'F1:I1', 'F2:G2', 'H2:I2', 'J1:K2'].sort());
    expect(sheet.getCell('A1').value).toBe('表类型');
    expect(sheet.getCell('B1').value).toBe('2026-01');
    expect(sheet.getCell('F1').value).toBe('2026-02');
    expect(sheet.getCell('J1').value).toBe('合计');
    expect([sheet.getCell('B2').value, sheet.getCell('D2').value, sheet.getCell('F2').value, sheet.getCell('H2').value]).toEqual(['江畔花园', '阳光小区', '江畔花园', '阳光小区']);
    expect(rowValues(sheet, 3)).toEqual(['表类型', '用水量', '抄表数', '用水量', '抄表数', '用水量', '抄表数', '用水量', '抄表数', '用水量', '抄表数']);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', xSplit: 1, ySplit: 3 });
    expect(rowValues(sheet, 4)).toEqual(['机械表', 50.25, 5, 100.5, 10, undefined, undefined, 120, 12, 270.75, 27]);
    expect(rowValues(sheet, 5)).toEqual(['超声波表', undefined, undefined, 80, 8, 60.125, 6, undefined, undefined, 140.125, 14]);
    expect(rowValues(sheet, 6)).toEqual(['合计', 50.25, 5, 180.5, 18, 60.125, 6, 120, 12, 410.875, 41]);
    expect(sheet.getCell('B4').numFmt).toBe('0.000');
    expect(sheet.getCell('C4').numFmt).toBe('0');
    expect(sheet.getCell('K6').font?.bold).toBe(true);
    expect(sheet.getCell('K5').font?.bold).toBeFalsy();
  });

  it('a grouped table: subtotal and grand total rows in bold, labelled in the first free dimension column', async () => {
    const table = groupedTable(byMeterTypeResult, { groupBy: ['meterType'] });
    const sink = new MemorySink();
    await writeXlsx(groupedTableSheet(table, { locale: 'en' }), sink, { locale: 'en' });
    const sheet = (await loadXlsx(sink.buffer())).worksheets[0]!;
    expect(sheet.name).toBe('Report');
    expect(rowValues(sheet, 1)).toEqual(['Meter type', 'Month', 'Community', 'Consumption', 'Readings']);
    expect(rowValues(sheet, 5)).toEqual(['机械表', 'Subtotal', undefined, 270.75, 27]);
    expect(rowValues(sheet, 8)).toEqual(['超声波表', 'Subtotal', undefined, 140.125, 14]);
    expect(rowValues(sheet, 9)).toEqual(['Total', undefined, undefined, 410.875, 41]);
    const bold = (n: number) => [1, 2, 3, 4, 5].map((c) => sheet.getRow(n).getCell(c).font?.bold === true);
    expect(bold(5)).toEqual([true, true, true, true, true]);
    expect(bold(9)).toEqual([true, true, true, true, true]);
    expect(bold(4)).toEqual([false, false, false, false, false]);
    expect(sheet.getRow(9).getCell(4).numFmt).toBe('0.000');
  });
});
