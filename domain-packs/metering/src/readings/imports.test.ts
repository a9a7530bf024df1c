/**
 * 集中器导入 on a running runtime: a CSV and an XLSX file with good and bad rows give an exact per-row
 * report in zh-CN and en; good rows are recorded (source import, validated in time order, flagged ones to
 * review) and the batch is kept. Tenant zone Asia/Shanghai (UTC+8).
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metering } from '../index.js';

const sh = (local: string) => new Date(`${local.replace(' ', 'T')}+08:00`).toISOString();
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('concentrator imports', () => {
  let kit: PackTestKit;
  let reader: string;
  const meters: Record<string, number> = {};

  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await kit.request(method, path, { body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const record = async (entity: string, data: Record<string, unknown>) => (await ok('POST', `/api/entities/${entity}/records`, { data })).id as number;
  const readingsOf = async (batchId: number) =>
    (await ok('GET', `/api/ext/metering/readings?batchId=${batchId}&pageSize=200`)).items.map((r: { meterNo: string; readAt: string; valueL: string; source: string; status: string; violations: string[] }) => ({
      meterNo: r.meterNo,
      readAt: r.readAt,
      valueL: r.valueL,
      source: r.source,
      status: r.status,
      violations: r.violations,
    }));

  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [metering] });
    reader = await kit.createUser({ username: 'reader.imports', roles: ['metering-reader'] });
    for (const [no, extra] of [
      ['I-001', {}],
      ['I-002', {}],
      ['I-003', { status: 'retired' }],
      ['I-004', {}],
    ] as const) {
      meters[no] = await record('metering_meter', { meterNo: no, kind: 'concentrator', installedAt: '2024-01-01', initialReadingL: 0, status: 'in_service', ...extra });
    }
    // Already entered by hand: the same reading in a file is reported, not recorded twice.
    await ok('POST', '/api/ext/metering/readings', { meterId: meters['I-002'], readAt: '2025-02-01 08:00', valueL: 2000 });
  });
  afterAll(() => kit?.close());

  it('imports a CSV: good rows recorded in time order, every bad row reported with its row and field', async () => {
    const csv = [
      'meterNo,readAt,valueL',
      'I-001,2025-03-02 08:00,1500', // 2 ok (recorded after row 3, which is earlier)
      'I-001,2025-03-01 08:00,1000', // 3 ok
      'I-404,2025-03-01 08:00,100', // 4 unknown meter
      'I-001,2025-03-01T00:00:00Z,1000', // 5 the same meter and instant as row 3
      'I-002,2025-03-32 08:00,12', // 6 bad date
      'I-002,2025-03-03 08:00,12.5', // 7 not whole litres
      'I-002,2025-03-03 09:00,-4', // 8 negative
      'I-002,2025-03-04 08:00,abc', // 9 not a number
      'I-003,2025-03-01 08:00,10', // 10 retired meter
      'I-002,2025-02-01 08:00,2000', // 11 already recorded
      'I-002,2025-03-05 08:00,1500', // 12 below the previous 2000: recorded, to review
      ',2025-03-05 08:00,1', // 13 no meter
      'I-404,yesterday,', // 14 three problems
    ].join('\n');
    const res = await kit.request('POST', '/api/ext/metering/imports', { body: { fileName: '3月集抄.csv', format: 'csv', content: base64(csv) }, locale: 'en' });
    expect(res.status).toBe(201);
    const existing = (await ok('GET', `/api/ext/metering/readings?meterId=${meters['I-002']}&source=hand`)).items[0].id;
    expect(res.body).toMatchObject({ batchId: expect.any(Number), fileName: '3月集抄.csv', format: 'csv', total: 13, accepted: 3, rejected: 10, review: 1 });
    expect(res.body.errors.map((e: { row: number; field: string; code: string; message: string }) => [e.row, e.field, e.code, e.message])).toEqual([
      [4, 'meterNo', 'meter_unknown', 'Row 4: There is no meter I-404'],
      [5, 'readAt', 'duplicate_row', 'Row 5: Repeats row 3 (same meter, same reading time)'],
      [6, 'readAt', 'date_bad', 'Row 6: The reading time "2025-03-32 08:00" is not ISO 8601 or YYYY-MM-DD HH:mm'],
      [7, 'valueL', 'value_not_integer', 'Row 7: The reading 12.5 must be a whole number of litres'],
      [8, 'valueL', 'value_negative', 'Row 8: The reading -4 must not be negative'],
      [9, 'valueL', 'value_bad', 'Row 9: The reading "abc" is not a number'],
      [10, 'meterNo', 'meter_retired', 'Row 10: Meter I-003 is retired; it takes no readings'],
      [11, 'readAt', 'exists', `Row 11: This reading is already recorded (reading ${existing})`],
      [13, 'meterNo', 'meter_required', 'Row 13: The meter is required'],
      [14, 'meterNo', 'meter_unknown', 'Row 14: There is no meter I-404'],
      [14, 'readAt', 'date_bad', 'Row 14: The reading time "yesterday" is not ISO 8601 or YYYY-MM-DD HH:mm'],
      [14, 'valueL', 'value_required', 'Row 14: The reading value is required'],
    ]);
    expect(await readingsOf(res.body.batchId)).toEqual([
      { meterNo: 'I-002', readAt: sh('2025-03-05 08:00'), valueL: '1500', source: 'import', status: 'review', violations: ['negative'] },
      { meterNo: 'I-001', readAt: sh('2025-03-02 08:00'), valueL: '1500', source: 'import', status: 'valid', violations: [] },
      { meterNo: 'I-001', readAt: sh('2025-03-01 08:00'), valueL: '1000', source: 'import', status: 'valid', violations: [] },
    ]);
    // The flagged row went to review like a hand reading.
    const flagged = (await ok('GET', `/api/ext/metering/readings?batchId=${res.body.batchId}&status=review`)).items[0];
    const task = await kit.waitForTask({ processId: 'metering_review', instanceId: Number(flagged.reviewInstance) });
    expect(task.variables).toMatchObject({ meterNo: 'I-002', valueL: '1500', previousL: '2000', source: 'import' });

    // The batch keeps its report, answered in the caller's language.
    const batch = await kit.request('GET', `/api/ext/metering/imports/${res.body.batchId}`, { locale: 'zh-CN' });
    expect(batch.body).toMatchObject({ batchId: res.body.batchId, total: 13, accepted: 3, rejected: 10, review: 1 });
    expect(batch.body.errors[0]).toEqual({ row: 4, field: 'meterNo', code: 'meter_unknown', message: '第 4 行：水表 I-404 不存在', messages: { 'zh-CN': '第 4 行：水表 I-404 不存在', en: 'Row 4: There is no meter I-404' } });
    expect(batch.body.errors[5].message).toBe('第 9 行：读数「abc」不是数字');
    const list = await ok('GET', '/api/ext/metering/imports');
    expect(list.items[0]).toMatchObject({ batchId: res.body.batchId, accepted: 3, rejected: 10 });
    expect(list.items[0].errors).toBeUndefined();

    // The same file again: every good row is already there.
    const again = await kit.request('POST', '/api/ext/metering/imports', { body: { fileName: 'again.csv', format: 'csv', content: base64(csv) }, locale: 'en' });
    expect(again.body).toMatchObject({ total: 13, accepted: 0, rejected: 13 });
    expect(again.body.errors.filter((e: { code: string }) => e.code === 'exists').map((e: { row: number }) => e.row)).toEqual([2, 3, 11, 12]);
  });

  it('imports an XLSX in m³ with Chinese headers, date cells in the tenant zone and exact litres', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('抄表');
    sheet.addRow(['表号', '抄表时间', '读数（m³）']);
    // A date cell holds the wall-clock time typed (exceljs: its UTC fields).
    sheet.addRow(['I-004', new Date(Date.UTC(2025, 2, 10, 8, 0)), 12.345]);
    sheet.addRow(['I-004', '2025-03-11 08:00', '12.5']);
    sheet.addRow(['I-004', new Date(Date.UTC(2025, 2, 12, 8, 0)), 1.2345]);
    sheet.addRow([20250001, '2025-03-12 08:00', 1]);
    sheet.addRow(['I-004', 'yesterday', 13]);
    sheet.addRow([]);
    sheet.addRow(['I-004', '2025-03-13 08:00', '13.0004']);
    sheet.getColumn(2).numFmt = 'yyyy-mm-dd hh:mm';
    const content = Buffer.from(await workbook.xlsx.writeBuffer()).toString('base64');
    const res = await kit.request('POST', '/api/ext/metering/imports', { body: { fileName: 'concentrator.xlsx', format: 'xlsx', content }, locale: 'zh-CN' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ total: 6, accepted: 2, rejected: 4, review: 0 });
    expect(res.body.errors.map((e: { row: number; field: string; message: string }) => [e.row, e.field, e.message])).toEqual([
      [4, 'valueM3', '第 4 行：立方米读数 1.2345 最多保留 3 位小数'],
      [5, 'meterNo', '第 5 行：水表 20250001 不存在'],
      [6, 'readAt', '第 6 行：抄表时间「yesterday」格式不正确，应为 ISO 8601 或 YYYY-MM-DD HH:mm'],
      [8, 'valueM3', '第 8 行：立方米读数 13.0004 最多保留 3 位小数'],
    ]);
    expect(await readingsOf(res.body.batchId)).toEqual([
      { meterNo: 'I-004', readAt: sh('2025-03-11 08:00'), valueL: '12500', source: 'import', status: 'valid', violations: [] },
      { meterNo: 'I-004', readAt: sh('2025-03-10 08:00'), valueL: '12345', source: 'import', status: 'valid', violations: [] },
    ]);
  });

  it('refuses files it cannot read, in both languages', async () => {
    const refusal = async (body: unknown, locale: 'zh-CN' | 'en') => {
      const res = await kit.request('POST', '/api/ext/metering/imports', { body, locale });
      return { status: res.status, ...(res.body.error.details?.[0] as { path: string; message: string }) };
    };
    expect(await refusal({ fileName: 'a.csv', format: 'csv', content: base64('表号,数值\nI-001,1') }, 'zh-CN')).toEqual({
      status: 400,
      path: 'body.content',
      code: 'validation_failed',
      message: '缺少列：readAt, valueL / valueM3（表头应为 meterNo、readAt、valueL 或 valueM3）',
    });
    expect(await refusal({ fileName: 'a.xlsx', format: 'xlsx', content: base64('not a zip') }, 'en')).toMatchObject({ status: 400, path: 'body.content', message: 'The XLSX file cannot be read' });
    expect(await refusal({ fileName: 'a.csv', format: 'csv', content: base64('meterNo,readAt,valueL\n') }, 'en')).toMatchObject({ status: 400, message: 'The file has no data rows' });
    expect(await refusal({ fileName: 'a.pdf', format: 'pdf', content: '' }, 'zh-CN')).toMatchObject({ status: 400, path: 'body.format', message: '文件格式应为 csv 或 xlsx' });
    expect(await refusal({ fileName: '', format: 'csv', content: '' }, 'en')).toMatchObject({ status: 400, path: 'body.fileName' });
  });

  it('keeps batches to their tenant and to holders of the import permission', async () => {
    const [batch] = (await ok('GET', '/api/ext/metering/imports')).items;
    const other = kit.otherTenant.token;
    expect((await kit.request('GET', `/api/ext/metering/imports/${batch.batchId}`, { token: other })).status).toBe(404);
    expect((await kit.request('GET', '/api/ext/metering/imports', { token: other })).body).toMatchObject({ items: [], total: 0 });
    expect((await kit.request('GET', `/api/ext/metering/readings?batchId=${batch.batchId}`, { token: other })).body.total).toBe(0);
    // This tenant's meter numbers mean nothing in the other tenant.
    const foreign = await kit.request('POST', '/api/ext/metering/imports', { token: other, locale: 'en', body: { fileName: 'x.csv', format: 'csv', content: base64('meterNo,readAt,valueL\nI-001,2025-04-01 08:00,5000') } });
    expect(foreign.body).toMatchObject({ total: 1, accepted: 0, rejected: 1, errors: [{ row: 2, field: 'meterNo', code: 'meter_unknown' }] });
    expect((await ok('GET', `/api/ext/metering/readings?meterId=${meters['I-001']}&from=2025-04-01`)).total).toBe(0);
    // A reader enters readings by hand but does not import files.
    expect((await kit.request('POST', '/api/ext/metering/imports', { token: reader, body: { fileName: 'x.csv', format: 'csv', content: base64('meterNo,readAt,valueL\nI-001,2025-04-01 08:00,5000') } })).status).toBe(403);
    expect((await kit.request('GET', '/api/ext/metering/imports', { token: reader })).status).toBe(200);
  });
});
