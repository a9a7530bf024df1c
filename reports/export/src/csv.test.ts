import { groupedTable, pivotTable } from '@shuiyun/reports';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ExportColumn } from './columns.js';
import { neutralizeFormula, writeCsv } from './csv.js';
import { ExportError } from './errors.js';
import { groupedTableSheet, pivotSheet, resultSheet } from './shapes.js';
import type { RowBatch } from './sheet.js';
import { MemorySink, byMeterTypeResult, consumptionResult } from './testing/helpers.js';

const readCsv = (sink: MemorySink): string[][] => parse(sink.buffer(), { bom: true, relax_column_count: true }) as string[][];

describe('CSV export', () => {
  it('writes UTF-8 with a BOM, CRLF records and the Chinese labels, cells exactly as the engine returns them', async () => {
    const sink = new MemorySink();
    const summary = await writeCsv(resultSheet(consumptionResult), sink);
    expect(summary).toEqual({ rows: 4 });
    const bytes = sink.buffer();
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(sink.text()).toBe(
      '\uFEFF日期,小区,用水量(m³),抄表率\r\n' +
        '2026-03-01,阳光小区,1250.500,98.50\r\n' +
        '2026-03-01,江畔花园,80.125,75.00\r\n' +
        '2026-03-02,阳光小区,990.000,\r\n' +
        '2026-03-02,江畔花园,1234567.875,100.00\r\n',
    );
    expect(sink.writableFinished).toBe(true);
  });

  it('quotes per RFC 4180: commas, double quotes, CR and LF; parses back to the same cells', async () => {
    const columns: ExportColumn[] = [
      { id: 'name', label: '名称, "含引号"', type: 'string' },
      { id: 'note', label: 'Note', type: 'string' },
    ];
    const rows: RowBatch = [
      { name: '阳光小区, 一期', note: '他说 "你好"' },
      { name: '两行\r\n文本', note: 'line\nbreak' },
      { name: '', note: null },
    ];
    const sink = new MemorySink();
    await writeCsv({ columns, rows: [rows] }, sink, { locale: 'en' });
    expect(sink.text()).toBe('\uFEFF"名称, ""含引号""",Note\r\n"阳光小区, 一期","他说 ""你好"""\r\n"两行\r\n文本","line\nbreak"\r\n,\r\n');
    expect(readCsv(sink)).toEqual([
      ['名称, "含引号"', 'Note'],
      ['阳光小区, 一期', '他说 "你好"'],
      ['两行\r\n文本', 'line\nbreak'],
      ['', ''],
    ]);
  });

  it('neutralizes formula injection: = + - @ tab CR get a leading apostrophe, numbers stay numbers', async () => {
    const columns: ExportColumn[] = [
      { id: 'text', label: '=HYPERLINK("http://evil")', type: 'string' },
      { id: 'amount', label: '金额', type: 'decimal', scale: 2 },
    ];
    const attacks = ['=1+2', '+SUM(A1:A9)', "-2+3+cmd|' /C calc'!A0", '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://evil","点我")'];
    const rows: RowBatch = [...attacks.map((text) => ({ text, amount: '-12.50' })), { text: '-7.5', amount: '=1+1' }, { text: '普通文本', amount: '3.00' }];
    const sink = new MemorySink();
    await writeCsv({ columns, rows: [rows] }, sink);
    const records = readCsv(sink);
    expect(records[0]).toEqual(['\'=HYPERLINK("http://evil")', '金额']);
    expect(records.slice(1).map((r) => r[0])).toEqual([...attacks.map((a) => `'${a}`), '-7.5', '普通文本']);
    // A negative amount is data; a formula in a number column (a raw-SQL dataset can return anything) is not.
    expect(records.slice(1).map((r) => r[1])).toEqual([...attacks.map(() => '-12.50'), "'=1+1", '3.00']);
    expect(neutralizeFormula('正常')).toBe('正常');
  });

  it('formatted values apply the column formats exactly: decimals (half away from zero), thousands, percent, date patterns', async () => {
    const columns: ExportColumn[] = [
      { id: 'volume', label: '用水量', type: 'decimal', scale: 3, format: { decimals: 2, thousands: true } },
      { id: 'rate', label: '抄表率', type: 'decimal', scale: 2, format: { percent: 'points' } },
      { id: 'share', label: '占比', type: 'decimal', scale: 4, format: { percent: 'fraction', decimals: 1 } },
      { id: 'at', label: '时间', type: 'timestamp', format: { pattern: 'yyyy"年"m"月"d"日" hh:mm' } },
      { id: 'day', label: '日期', type: 'date' },
      { id: 'big', label: '累计', type: 'integer', format: { thousands: true } },
    ];
    const rows: RowBatch = [
      ['1234567.125', '98.50', '0.9855', '2026-03-02 08:05:09', '2026-03-02', '12345678901234567890'],
      ['-0.005', '0.00', '1', 'not a time', '2026-02-30', '-1000'],
    ];
    const sink = new MemorySink();
    await writeCsv({ columns, rows: [rows] }, sink, { values: 'formatted', bom: false });
    expect(readCsv(sink)).toEqual([
      ['用水量', '抄表率', '占比', '时间', '日期', '累计'],
      ['1,234,567.13', '98.50%', '98.6%', '2026年3月2日 08:05', '2026-03-02', '12,345,678,901,234,567,890'],
      ['-0.01', '0.00%', '100.0%', 'not a time', '2026-02-30', '-1,000'],
    ]);
  });

  it('a grouped table: subtotal and total rows labelled 小计 / 合计', async () => {
    const table = groupedTable(byMeterTypeResult, { groupBy: ['meterType'] });
    const sink = new MemorySink();
    await writeCsv(groupedTableSheet(table), sink);
    expect(readCsv(sink)).toEqual([
      ['表类型', '月份', '小区', '用水量', '抄表数'],
      ['机械表', '2026-01', '阳光小区', '100.500', '10'],
      ['机械表', '2026-01', '江畔花园', '50.250', '5'],
      ['机械表', '2026-02', '阳光小区', '120.000', '12'],
      ['机械表', '小计', '', '270.750', '27'],
      ['超声波表', '2026-01', '阳光小区', '80.000', '8'],
      ['超声波表', '2026-02', '江畔花园', '60.125', '6'],
      ['超声波表', '小计', '', '140.125', '14'],
      ['合计', '', '', '410.875', '41'],
    ]);
  });

  it('a pivot: one header row per column dimension plus the measures, each label at its first column', async () => {
    const pivot = pivotTable(byMeterTypeResult, { rows: ['meterType'], columns: ['month', 'community'] });
    const sink = new MemorySink();
    await writeCsv(pivotSheet(pivot, { locale: 'en' }), sink, { locale: 'en' });
    expect(readCsv(sink)).toEqual([
      ['Meter type', '2026-01', '', '', '', '2026-02', '', '', '', 'Total', ''],
      ['', '江畔花园', '', '阳光小区', '', '江畔花园', '', '阳光小区', '', '', ''],
      ['', 'Consumption', 'Readings', 'Consumption', 'Readings', 'Consumption', 'Readings', 'Consumption', 'Readings', 'Consumption', 'Readings'],
      ['机械表', '50.250', '5', '100.500', '10', '', '', '120.000', '12', '270.750', '27'],
      ['超声波表', '', '', '80.000', '8', '60.125', '6', '', '', '140.125', '14'],
      ['Total', '50.250', '5', '180.500', '18', '60.125', '6', '120.000', '12', '410.875', '41'],
    ]);
  });

  it('refuses a bad format before writing anything, and destroys the output', async () => {
    const sink = new MemorySink();
    const columns: ExportColumn[] = [{ id: 'at', label: '时间', type: 'timestamp', format: { pattern: '#,##0.00' } }];
    const error = await writeCsv({ columns, rows: [[['2026-03-01 00:00:00']]] }, sink).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('invalid_export');
    expect(sink.bytes).toBe(0);
    expect(sink.destroyed).toBe(true);
  });

  it('waits for a slow output to drain: never reads more than one batch ahead of what was written', async () => {
    const sink = new MemorySink(2, 1024);
    const columns: ExportColumn[] = [{ id: 'n', label: 'n', type: 'integer' }];
    let pulled = 0;
    let maxAhead = 0;
    async function* source() {
      for (let b = 0; b < 40; b += 1) {
        pulled += 1;
        // Each batch is ~6.5 KB: far above the sink's 1 KB buffer.
        maxAhead = Math.max(maxAhead, sink.writableLength);
        yield Array.from({ length: 1000 }, (_, i) => [String(b * 1000 + i)]);
      }
    }
    await writeCsv({ columns, rows: source() }, sink);
    expect(pulled).toBe(40);
    // When the next batch is pulled, the output holds at most what was written since its last drain.
    expect(maxAhead).toBeLessThanOrEqual(1024);
    expect(readCsv(sink)).toHaveLength(40_001);
  });
});
