import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { readCsv, readXlsx } from './ledger-file.js';

/** Rows of unique Chinese text, long enough that the sheet XML spans many zip chunks. */
const chineseRows = Array.from({ length: 4000 }, (_, i) => [`表${i}`, `锦绣花园${i}号楼${(i * 7) % 31}单元`, `东湖县城东营业所第${i}户`]);

async function sharedStringsWorkbook(rows: unknown[][]): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('表具');
  for (const row of rows) sheet.addRow(row);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

async function inlineStringsWorkbook(rows: unknown[][]): Promise<Uint8Array> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: false });
  const sheet = book.addWorksheet('表具');
  for (const row of rows) sheet.addRow(row).commit();
  sheet.commit();
  await book.commit();
  return new Uint8Array(Buffer.concat(chunks));
}

describe('reading ledger files', () => {
  it.each([
    ['shared strings (as Excel writes them)', sharedStringsWorkbook],
    ['inline strings (as the export writes them)', inlineStringsWorkbook],
  ])('keeps every Chinese character of a large workbook whole: %s', async (_kind, write) => {
    const result = await readXlsx(await write(chineseRows), 10_000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rows).toHaveLength(chineseRows.length);
    const garbled = result.rows.filter((r) => r.cells.some((c) => c.includes('\uFFFD')));
    expect(garbled.map((r) => r.row)).toEqual([]);
    expect(result.rows.map((r) => r.cells)).toEqual(chineseRows);
  });

  it('reads cells as the text a person sees: dates as YYYY-MM-DD, formulas by their result, rich text joined; skips empty rows', async () => {
    const file = await sharedStringsWorkbook([
      ['表号', '安装日期', '纬度', '户号'],
      ['M-1', new Date(Date.UTC(2024, 0, 31)), { formula: '30+0.5', result: 30.5 }, { richText: [{ text: 'HU-' }, { text: '0001' }] }],
      [],
      ['M-2', '', 31, ' padded '],
    ]);
    const result = await readXlsx(file, 100);
    expect(result).toEqual({
      ok: true,
      rows: [
        { row: 1, cells: ['表号', '安装日期', '纬度', '户号'] },
        { row: 2, cells: ['M-1', '2024-01-31', '30.5', 'HU-0001'] },
        { row: 4, cells: ['M-2', '', '31', 'padded'] },
      ],
    });
  });

  it('stops at the row limit instead of reading a sheet to the end', async () => {
    const file = await inlineStringsWorkbook(Array.from({ length: 50 }, (_, i) => [`M-${i}`]));
    expect(await readXlsx(file, 10)).toMatchObject({ ok: false, reason: 'too_many_rows' });
    expect(readCsv(new TextEncoder().encode(Array.from({ length: 50 }, (_, i) => `M-${i}`).join('\n')), 10)).toMatchObject({ ok: false, reason: 'too_many_rows' });
  });

  it('refuses what is not a workbook without throwing', async () => {
    expect(await readXlsx(new TextEncoder().encode('表号,设备标识'), 10)).toMatchObject({ ok: false, reason: 'unreadable' });
    expect(await readXlsx(new TextEncoder().encode('PK\x03\x04 truncated'), 10)).toMatchObject({ ok: false, reason: 'unreadable' });
    const whole = await inlineStringsWorkbook(chineseRows);
    expect(await readXlsx(whole.slice(0, whole.length >> 1), 10_000)).toMatchObject({ ok: false, reason: 'unreadable' });
    // Nothing at all is an empty ledger (exceljs alone would wait for ever).
    expect(await readXlsx(new Uint8Array(), 10)).toEqual({ ok: true, rows: [] });
  });

  it('reads CSV in UTF-8 with or without a byte-order mark, and in GB18030 as Excel on Chinese Windows saves it', () => {
    const rows = [
      { row: 1, cells: ['表号', '小区'] },
      { row: 2, cells: ['M-1', 'C001'] },
    ];
    expect(readCsv(new TextEncoder().encode('表号,小区\nM-1,C001\n'), 10)).toEqual({ ok: true, rows });
    expect(readCsv(new TextEncoder().encode('\uFEFF表号,小区\r\n M-1 ,C001\r\n,\r\n\r\n'), 10)).toEqual({ ok: true, rows });
    // Blank lines keep their place in the numbering, so a reported row is the line the person sees.
    expect(readCsv(new TextEncoder().encode('表号,小区\n\nM-1,C001\n,\nM-2,"C\n002"\n'), 10)).toEqual({
      ok: true,
      rows: [
        { row: 1, cells: ['表号', '小区'] },
        { row: 3, cells: ['M-1', 'C001'] },
        { row: 6, cells: ['M-2', 'C\n002'] },
      ],
    });
    // 表号,小区 in GB18030
    const gbk = new Uint8Array([0xb1, 0xed, 0xba, 0xc5, 0x2c, 0xd0, 0xa1, 0xc7, 0xf8, 0x0a, ...new TextEncoder().encode('M-1,C001\n')]);
    expect(readCsv(gbk, 10)).toEqual({ ok: true, rows });
    expect(readCsv(new TextEncoder().encode('表号,小区\n"M-1,C001\n'), 10)).toMatchObject({ ok: false, reason: 'unreadable' });
  });
});
