import { asSystem, buildings, communities, deviceStateHistory, devices, products } from '@shuiyun/db';
import { parse as parseCsv } from 'csv-parse/sync';
import { and, asc, eq, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, startTestRuntime, TEST_PASSWORD, type TestRuntime } from '../testing/harness.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const HEADER = '表号,设备标识,产品,小区,楼栋,户号,DMA,安装日期,纬度,经度';

const csv = (...lines: string[]) => `\uFEFF${lines.join('\r\n')}\r\n`;

async function workbook(rows: unknown[][]): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('表具');
  for (const row of rows) sheet.addRow(row);
  return new Uint8Array(await book.xlsx.writeBuffer());
}

interface LedgerDevice {
  meterNumber: string;
  deviceKey: string;
  product: string;
  community: string | null;
  building: string | null;
  accountRef: string | null;
  dmaCode: string | null;
  installDate: string | null;
  latitude: string | null;
  longitude: string | null;
  state: string;
}

describe.each(drivers)('device ledger import and export on %s', (driver) => {
  let t: TestRuntime;
  let adminA: string;
  let adminB: string;
  let group: string;
  let countyA: number;
  let countyB: number;

  const ok = async (method: string, path: string, body?: unknown, token = adminA) => {
    const res = await t.request(method, path, { token, body });
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** Sends a file as the raw body, the way a browser uploads a File. */
  async function upload(file: string | Uint8Array, options: { query?: string; type?: string; token?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(`${t.baseUrl}/api/devices/import${options.query ? `?${options.query}` : ''}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token ?? adminA}`, 'content-type': options.type ?? 'text/csv', ...options.headers },
      body: file,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function download(query: string, token = adminA) {
    const res = await fetch(`${t.baseUrl}/api/devices/export?${query}`, { headers: { authorization: `Bearer ${token}` } });
    return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
  }

  /** The devices of a tenant and product as the ledger names them (codes, not ids), in meter-number order. */
  const ledgerOf = (tenantId: number, productCode: string): Promise<LedgerDevice[]> =>
    asSystem(t.database.db, (tx) =>
      tx
        .select({
          meterNumber: devices.meterNumber,
          deviceKey: devices.deviceKey,
          product: products.code,
          community: communities.code,
          building: buildings.code,
          accountRef: devices.accountRef,
          dmaCode: devices.dmaCode,
          installDate: devices.installDate,
          latitude: devices.latitude,
          longitude: devices.longitude,
          state: devices.state,
        })
        .from(devices)
        .innerJoin(products, eq(products.id, devices.productId))
        .leftJoin(communities, eq(communities.id, devices.communityId))
        .leftJoin(buildings, eq(buildings.id, devices.buildingId))
        .where(and(eq(devices.tenantId, tenantId), eq(products.code, productCode)))
        .orderBy(asc(devices.meterNumber)),
    );
  const countDevices = () => asSystem(t.database.db, (tx) => tx.$count(devices));

  beforeAll(async () => {
    t = await startTestRuntime(driver);
    adminA = await t.login('admin@demo-county-a');
    adminB = await t.login('admin@demo-county-b');
    group = await t.login('admin@demo-group');
    countyA = (await t.request('GET', '/api/auth/me', { token: adminA })).body.tenant.id;
    countyB = (await t.request('GET', '/api/auth/me', { token: adminB })).body.tenant.id;
    for (const token of [adminA, adminB]) {
      await ok('POST', '/api/products', { code: 'NB-DN20', name: 'NB-IoT DN20', kind: 'nb-iot-meter', transport: 'http-push', codec: 'json-thing-model', thingModel: {} }, token);
      await ok('POST', '/api/products', { code: 'CJT188-DN15', name: 'CJ/T 188 DN15', kind: 'remote-read-meter', transport: 'mqtt', codec: 'cjt188', thingModel: {} }, token);
      await ok('POST', '/api/products', { code: 'ROUND', name: 'round trip', kind: 'prepaid-meter', transport: 'http-push', codec: 'json-thing-model', thingModel: {} }, token);
    }
  });
  afterAll(() => t?.close());

  it('imports a CSV ledger with Chinese headers: a dry run checks and writes nothing, the real run registers every row with its first history step', async () => {
    const file = csv(
      HEADER,
      'CSV-0001,861234560000001,NB-DN20,C001,C001-B01,HU-1001,DMA-01,2024/3/5,30.274151,120.155070',
      'CSV-0002,0012345678abcd,CJT188-DN15,C002,,HU-1002,,2024-03-06,,',
      'CSV-0003,861234560000003,NB-DN20,,,,,,,',
    );
    const before = await countDevices();
    const dry = await upload(file, { query: 'dryRun=true' });
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toEqual({ dryRun: true, rows: 3, created: 0 });
    expect(await countDevices()).toBe(before);

    const real = await upload(file);
    expect(real.status, JSON.stringify(real.body)).toBe(200);
    expect(real.body).toEqual({ dryRun: false, rows: 3, created: 3 });
    expect(await countDevices()).toBe(before + 3);
    const listed = await ok('GET', '/api/devices?q=CSV-000');
    expect(listed.total).toBe(3);
    const [first, second, third] = listed.items;
    expect(first).toMatchObject({ tenantId: countyA, meterNumber: 'CSV-0001', accountRef: 'HU-1001', dmaCode: 'DMA-01', installDate: '2024-03-05', latitude: '30.274151', longitude: '120.155070', state: 'installed' });
    expect(first.buildingId).not.toBeNull();
    // A CJ/T 188 address is stored upper case; imported MQTT devices get their secret through /secret.
    expect(second).toMatchObject({ deviceKey: '0012345678ABCD', buildingId: null, latitude: null, hasMqttSecret: false });
    expect(third).toMatchObject({ communityId: null, accountRef: null, installDate: null });
    const history = await ok('GET', `/api/devices/${first.id}/history`);
    expect(history.items).toMatchObject([{ fromState: null, toState: 'installed', note: 'imported (row 2)', actorName: 'admin@demo-county-a' }]);
  });

  it('imports an XLSX workbook with English headers, Excel date cells, numeric coordinates and a state column', async () => {
    const file = await workbook([
      ['meter_number', 'Device_Key', 'product', 'community', 'building', 'install_date', 'lat', 'lng', 'state'],
      ['XLS-0001', '861234560000101', 'NB-DN20', 'C001', 'C001-B02', new Date(Date.UTC(2023, 10, 20)), 30.5, 120.25, 'in_service'],
      ['XLS-0002', '861234560000102', 'NB-DN20', 'C002', 'C002-B01', '2023-11-21', '', '', '维修中'],
      [],
      ['XLS-0003', 861234560000103, 'NB-DN20', '', '', '', '', '', ''],
    ]);
    const res = await upload(file, { type: XLSX });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ dryRun: false, rows: 3, created: 3 });
    const items = (await ok('GET', '/api/devices?q=XLS-000')).items;
    expect(items).toMatchObject([
      { meterNumber: 'XLS-0001', installDate: '2023-11-20', latitude: '30.500000', longitude: '120.250000', state: 'in_service' },
      { meterNumber: 'XLS-0002', state: 'under_repair', latitude: null },
      { meterNumber: 'XLS-0003', deviceKey: '861234560000103', state: 'installed' },
    ]);
    expect((await ok('GET', `/api/devices/${items[0].id}/history`)).items).toMatchObject([{ fromState: null, toState: 'in_service' }]);
    // Same workbook sent as a generic upload with ?format=
    const generic = await upload(file, { type: 'application/octet-stream', query: 'format=xlsx&dryRun=true' });
    expect(generic.status).toBe(422);
    expect(generic.body.error.details.map((d: { code: string }) => d.code)).toEqual(['already_registered', 'already_registered', 'already_registered', 'already_registered', 'already_registered', 'already_registered']);
  });

  it('rejects a file with bad rows: each problem listed with row, column, code and message (zh-CN by default, en on request), nothing written', async () => {
    const file = csv(
      `${HEADER},状态`,
      'BAD-0002,861234560000202,NB-DN20,C001,C001-B01,,,,,,',
      ',861234560000203,NB-DN20,,,,,,,,',
      'BAD-0004,861234560000204,NO-SUCH,,,,,,,,',
      'BAD-0005,861234560000205,NB-DN20,,,,,2024-13-01,,,',
      'BAD-0006,861234560000206,NB-DN20,,,,,,30.1,,',
      'BAD-0007,861234560000207,NB-DN20,C002,C001-B01,,,,,,',
      'BAD-0008,861234560000208,NB-DN20,,C001-B01,,,,,,',
      'BAD-0009,861234560000209,NB-DN20,C999,,,,,,,',
      'BAD-0010,861234560000210,NB-DN20,,,,,,,,broken',
      'BAD-0011,12345,CJT188-DN15,,,,,,,,',
      'BAD-0012,861234560000212,NB-DN20,,,,,,91.5,120,',
    );
    const before = await countDevices();
    const zh = await upload(file);
    expect(zh.status).toBe(422);
    expect(zh.body.error).toMatchObject({ code: 'import_rejected', message: '导入文件有错误，未写入任何数据' });
    const report = zh.body.error.details.map((d: { row: number; column: string; code: string }) => [d.row, d.column, d.code]);
    expect(report).toEqual([
      [3, '表号', 'required'],
      [4, '产品', 'unknown_product'],
      [5, '安装日期', 'invalid_value'],
      [6, '经度', 'coordinates_incomplete'],
      [7, '楼栋', 'unknown_building'],
      [8, '楼栋', 'building_without_community'],
      [9, '小区', 'unknown_community'],
      [10, '状态', 'unknown_state'],
      [11, '设备标识', 'invalid_value'],
      [12, '纬度', 'invalid_value'],
    ]);
    const messages = Object.fromEntries(zh.body.error.details.map((d: { row: number; message: string }) => [d.row, d.message]));
    expect(messages[4]).toBe('产品编码「NO-SUCH」不存在');
    expect(messages[7]).toBe('小区「C002」中没有楼栋「C001-B01」');
    expect(messages[10]).toBe('状态「broken」无法识别，可填：已安装、已验收、在用、维修中、已报废');

    const english = await upload(file, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(english.body.error.message).toBe('The import file has errors; nothing was written');
    const en = Object.fromEntries(english.body.error.details.map((d: { row: number; column: string; message: string }) => [d.row, `${d.column}: ${d.message}`]));
    expect(en[3]).toBe('meter_number: "meter_number" is required');
    expect(en[4]).toBe('product: There is no product with code "NO-SUCH" in this tenant');
    expect(en[6]).toBe('lng: Latitude and longitude go together: give both or neither');
    expect(en[11]).toBe('device_key: "12345" is not a valid device_key (a CJ/T 188 address is 14 hex digits)');

    expect(await countDevices()).toBe(before);
    expect(await asSystem(t.database.db, (tx) => tx.$count(devices, sql`meter_number like 'BAD-%'`))).toBe(0);
  });

  it('rejects meter numbers and device keys repeated inside the file or already registered, naming the row they repeat; the dry run reports the same', async () => {
    await ok('POST', '/api/devices', { productId: (await ok('GET', '/api/products?q=NB-DN20')).items[0].id, meterNumber: 'DUP-EXISTING', deviceKey: 'dup-existing-key' });
    const file = csv(
      '表号,设备标识,产品',
      'DUP-0001,dup-key-1,NB-DN20',
      'DUP-0001,dup-key-2,NB-DN20',
      'DUP-EXISTING,dup-key-3,NB-DN20',
      'DUP-0004,dup-key-1,NB-DN20',
      'DUP-0005,dup-existing-key,NB-DN20',
    );
    const before = await countDevices();
    for (const query of ['dryRun=true', 'dryRun=false']) {
      const res = await upload(file, { query });
      expect(res.status, query).toBe(422);
      expect(res.body.error.details.map((d: { row: number; column: string; code: string; message: string }) => [d.row, d.column, d.code, d.message])).toEqual([
        [3, '表号', 'duplicate_in_file', '「表号」DUP-0001 与第 2 行重复'],
        [4, '表号', 'already_registered', '「表号」DUP-EXISTING 已有设备登记'],
        [5, '设备标识', 'duplicate_in_file', '「设备标识」dup-key-1 与第 2 行重复'],
        [6, '设备标识', 'already_registered', '「设备标识」dup-existing-key 已有设备登记'],
      ]);
    }
    expect(await countDevices()).toBe(before);
  });

  it('rejects unknown, repeated and missing columns before reading any row', async () => {
    const res = await upload(csv('表号,meter_number,颜色,小区', 'H-1,H-1,红,C001'));
    expect(res.status).toBe(422);
    expect(res.body.error.details.map((d: { row: number; column: string; code: string }) => [d.row, d.column, d.code])).toEqual([
      [1, 'meter_number', 'duplicate_column'],
      [1, '颜色', 'unknown_column'],
      [1, '设备标识', 'missing_column'],
      [1, '产品', 'missing_column'],
    ]);
  });

  it('refuses what is not a ledger: JSON is 415, an unreadable workbook or an empty file is 422, a file over 10 MiB is 413; nothing is written', async () => {
    const before = await countDevices();
    const json = await upload(JSON.stringify({ rows: [] }), { type: 'application/json' });
    expect(json.status).toBe(415);
    expect(json.body.error.code).toBe('unsupported_media_type');
    const noFormat = await upload('x', { type: 'application/octet-stream' });
    expect(noFormat.status).toBe(415);

    const broken = await upload(new TextEncoder().encode('this is not a zip file'), { type: XLSX, headers: { 'accept-language': 'en' } });
    expect(broken.status).toBe(422);
    expect(broken.body.error.details).toEqual([expect.objectContaining({ row: 0, code: 'unreadable_file' })]);
    expect(broken.body.error.details[0].message).toMatch(/^The file cannot be read/);
    const unclosed = await upload(csv('表号,设备标识,产品', '"Q-1,q-1,NB-DN20'));
    expect(unclosed.body.error.details[0].code).toBe('unreadable_file');
    for (const [empty, type] of [['', 'text/csv'], [csv('表号,设备标识,产品'), 'text/csv'], ['', XLSX], [await workbook([['表号', '设备标识', '产品']]), XLSX]] as const) {
      const res = await upload(empty, { type });
      expect(res.status).toBe(422);
      expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'empty_file', message: '文件中没有表头或数据行' })]);
    }

    const row = 'BIG-0000001,861234567890123,NB-DN20,C001,C001-B01,HU-0000001,DMA-0001,2024-01-01,30.000000,120.000000\n';
    const big = HEADER + '\n' + row.repeat(Math.ceil((10 * 1024 * 1024) / row.length) + 10);
    const tooBig = await upload(big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    expect(await countDevices()).toBe(before);
  });

  it('reads a CSV that Excel on Chinese Windows saved in GB18030', async () => {
    // 表号,设备标识,产品 in GBK, then an ASCII row.
    const header = [0xb1, 0xed, 0xba, 0xc5, 0x2c, 0xc9, 0xe8, 0xb1, 0xb8, 0xb1, 0xea, 0xca, 0xb6, 0x2c, 0xb2, 0xfa, 0xc6, 0xb7, 0x0d, 0x0a];
    const file = new Uint8Array([...header, ...new TextEncoder().encode('GBK-0001,861234560000301,NB-DN20\r\n')]);
    const res = await upload(file);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.created).toBe(1);
    expect((await ok('GET', '/api/devices?q=GBK-0001')).total).toBe(1);
  });

  it('lets the group import into a county with ?tenantId, resolving product and community codes in that county', async () => {
    const res = await upload(csv('表号,设备标识,产品,小区,楼栋', 'GRP-0001,861234560000401,NB-DN20,C002,C002-B03'), { token: group, query: `tenantId=${countyB}` });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [device] = await ledgerOf(countyB, 'NB-DN20');
    expect(device).toMatchObject({ meterNumber: 'GRP-0001', community: 'C002', building: 'C002-B03' });
    const row = (await ok('GET', '/api/devices?q=GRP-0001', undefined, group)).items[0];
    expect(row.tenantId).toBe(countyB);
    const [createdBy] = await asSystem(t.database.db, (tx) => tx.select({ n: devices.createdBy }).from(devices).where(eq(devices.id, row.id)));
    expect(createdBy!.n).toBe((await t.request('GET', '/api/auth/me', { token: group })).body.user.id);
  });

  it('exports CSV and XLSX with the import columns, page by page, and each re-imports into another county unchanged', async () => {
    const states = ['已安装', '已验收', '在用', '维修中', '已报废'];
    const lines = Array.from({ length: 2345 }, (_, i) => {
      const n = String(i + 1).padStart(5, '0');
      const placed = i % 3 === 0 ? `C001,C001-B0${(i % 6) + 1}` : i % 3 === 1 ? 'C002,' : ',';
      const where = i % 2 === 0 ? `${(30 + i / 10000).toFixed(6)},120.${String(i).padStart(6, '0')}` : ',';
      return `RT-${n},8612345${String(i).padStart(8, '0')},ROUND,${placed},HU-${n},${i % 4 === 0 ? 'DMA-07' : ''},${i % 5 === 0 ? '' : '2024-05-0' + ((i % 9) + 1)},${where},${states[i % 5]}`;
    });
    const imported = await upload(csv(`${HEADER},状态`, ...lines));
    expect(imported.status, JSON.stringify(imported.body).slice(0, 500)).toBe(200);
    expect(imported.body.created).toBe(2345);
    const original = await ledgerOf(countyA, 'ROUND');
    expect(original).toHaveLength(2345);
    const roundA = (await ok('GET', `/api/products?tenantId=${countyA}&q=ROUND`)).items[0].id;

    const { res, bytes } = await download(`productId=${roundA}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="devices-\d{8}\.csv"; filename\*=UTF-8''/);
    // Streamed: no length announced up front.
    expect(res.headers.get('content-length')).toBeNull();
    // The byte-order mark stays in the text, so it can be checked: Excel needs it to read UTF-8.
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    expect(text.startsWith('\uFEFF表号,设备标识,产品,小区,楼栋,户号,DMA,安装日期,纬度,经度,状态,Modbus主机,Modbus端口,Modbus从站号,轮询间隔(秒)\n')).toBe(true);
    const records = parseCsv(text, { bom: true }) as string[][];
    expect(records).toHaveLength(2346);
    expect(new Set(records.slice(1).map((r) => r[0])).size).toBe(2345);

    const intoB = await upload(bytes, { token: adminB });
    expect(intoB.status, JSON.stringify(intoB.body).slice(0, 500)).toBe(200);
    expect(intoB.body).toEqual({ dryRun: false, rows: 2345, created: 2345 });
    expect(await ledgerOf(countyB, 'ROUND')).toEqual(original);

    // Again through XLSX: clear county-b's copy, download the workbook, upload it there.
    await asSystem(t.database.db, (tx) => tx.execute(sql`delete from devices where tenant_id = ${countyB} and meter_number like 'RT-%'`));
    const xlsx = await download(`productId=${roundA}&format=xlsx`);
    expect(xlsx.res.status).toBe(200);
    expect(xlsx.res.headers.get('content-type')).toBe(XLSX);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(xlsx.bytes) as unknown as ExcelJS.Buffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, '表号', '设备标识', '产品', '小区', '楼栋', '户号', 'DMA', '安装日期', '纬度', '经度', '状态', 'Modbus主机', 'Modbus端口', 'Modbus从站号', '轮询间隔(秒)']);
    expect(sheet.rowCount).toBe(2346);
    // Identifiers travel as text, so Excel keeps every digit.
    expect(typeof sheet.getRow(2).getCell(2).value).toBe('string');
    const again = await upload(xlsx.bytes, { token: adminB, type: XLSX });
    expect(again.status, JSON.stringify(again.body).slice(0, 500)).toBe(200);
    expect(again.body.created).toBe(2345);
    expect(await ledgerOf(countyB, 'ROUND')).toEqual(original);
    expect(await asSystem(t.database.db, (tx) => tx.$count(deviceStateHistory, eq(deviceStateHistory.tenantId, countyB)))).toBeGreaterThanOrEqual(2345);
  });

  it('exports with the list’s filters, and answers a filter naming an invisible record with 404 before any download', async () => {
    const { bytes } = await download('q=RT-0000&state=in_service');
    const rows = parseCsv(new TextDecoder().decode(bytes), { bom: true }) as string[][];
    expect(rows.slice(1).map((r) => r[0])).toEqual(['RT-00003', 'RT-00008']);
    expect(rows.slice(1).every((r) => r[10] === '在用')).toBe(true);
    const empty = await download('q=nothing-matches&format=xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(empty.bytes) as unknown as ExcelJS.Buffer);
    expect(book.worksheets[0]!.rowCount).toBe(1);
    const productB = (await ok('GET', `/api/products?tenantId=${countyB}&q=ROUND`, undefined, group)).items[0].id;
    const hidden = await download(`productId=${productB}`);
    expect(hidden.res.status).toBe(404);
    expect(hidden.res.headers.get('content-type')).toMatch(/application\/json/);
    const badFormat = await download('format=pdf');
    expect(badFormat.res.status).toBe(400);
  });

  it('carries Modbus connections: read from their columns with the defaults, refused per row when they do not suit the product, exported and re-imported unchanged', async () => {
    const registerMap = { metrics: [{ metric: 'cumulative_volume', function: 'holding_register', address: 0, type: 'uint32', scale: -3, unit: 'm3' }] };
    const thingModel = { properties: [{ identifier: 'cumulative_volume', name: { zh: '累计流量', en: 'Cumulative volume' }, dataType: 'decimal', access: 'r' }] };
    for (const token of [adminA, adminB]) {
      await ok('POST', '/api/products', { code: 'MB-LEDGER', name: 'Modbus 流量计', kind: 'flow-meter', transport: 'modbus', codec: 'modbus', codecSettings: { registerMap }, thingModel }, token);
    }
    const header = '表号,设备标识,产品,Modbus主机,Modbus端口,Modbus从站号,轮询间隔(秒)';
    const bad = csv(
      header,
      'MBL-B02,mbl-b2,MB-LEDGER,,,,',
      'MBL-B03,mbl-b3,NB-DN20,10.0.0.3,,1,',
      'MBL-B04,mbl-b4,MB-LEDGER,,502,1,',
      'MBL-B05,mbl-b5,MB-LEDGER,10.0.0.5,70000,1,',
      'MBL-B06,mbl-b6,MB-LEDGER,10.0.0.6,,,',
      'MBL-B07,mbl-b7,MB-LEDGER,10.0.0.7,,1,3',
      'MBL-B08,mbl-b8,MB-LEDGER,bad host!,,1,',
    );
    const before = await countDevices();
    const zh = await upload(bad);
    expect(zh.status).toBe(422);
    expect(zh.body.error.details.map((d: { row: number; column: string; code: string }) => [d.row, d.column, d.code])).toEqual([
      [2, 'Modbus主机', 'connection_required'],
      [3, 'Modbus主机', 'connection_not_polled'],
      [4, 'Modbus主机', 'connection_incomplete'],
      [5, 'Modbus端口', 'invalid_value'],
      [6, 'Modbus从站号', 'required'],
      [7, '轮询间隔(秒)', 'invalid_value'],
      [8, 'Modbus主机', 'invalid_value'],
    ]);
    expect(zh.body.error.details[0].message).toMatch(/^产品「MB-LEDGER」的设备由平台通过 Modbus TCP 轮询/);
    const en = await upload(bad, { headers: { 'accept-language': 'en' } });
    const messages = Object.fromEntries(en.body.error.details.map((d: { row: number; column: string; message: string }) => [d.row, `${d.column}: ${d.message}`]));
    expect(messages[3]).toBe('modbus_host: Product NB-DN20 is not polled by the platform (transport http-push, codec json-thing-model): its devices have no Modbus connection');
    expect(messages[4]).toBe('modbus_host: A Modbus port, unit id or poll interval needs the Modbus host');
    expect(messages[6]).toBe('modbus_unit: "modbus_unit" is required');
    expect(await countDevices()).toBe(before);

    const good = csv(
      header,
      'MBL-0001,mbl-1,MB-LEDGER,192.168.1.20,,3,',
      'MBL-0002,mbl-2,MB-LEDGER,gw-7.plant.local,5020,247,60',
      'MBL-0003,mbl-3,NB-DN20,,,,',
    );
    const imported = await upload(good);
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    const listed = (await ok('GET', '/api/devices?q=MBL-000')).items.map((d: { meterNumber: string; connection: unknown }) => [d.meterNumber, d.connection]);
    expect(listed).toEqual([
      ['MBL-0001', { host: '192.168.1.20', port: 502, unitId: 3, intervalSeconds: 900 }],
      ['MBL-0002', { host: 'gw-7.plant.local', port: 5020, unitId: 247, intervalSeconds: 60 }],
      ['MBL-0003', null],
    ]);

    // Out as CSV (the four columns last), into county-b as is.
    const productA = (await ok('GET', `/api/products?tenantId=${countyA}&q=MB-LEDGER`)).items[0].id;
    const { bytes } = await download(`productId=${productA}&format=csv`);
    const rows = parseCsv(new TextDecoder().decode(bytes), { bom: true }) as string[][];
    expect(rows.slice(1).map((r) => [r[0], ...r.slice(11)])).toEqual([
      ['MBL-0001', '192.168.1.20', '502', '3', '900'],
      ['MBL-0002', 'gw-7.plant.local', '5020', '247', '60'],
    ]);
    const intoB = await upload(bytes, { token: adminB });
    expect(intoB.status, JSON.stringify(intoB.body)).toBe(200);
    const connections = (token: string) =>
      ok('GET', '/api/devices?q=MBL-000', undefined, token).then((page) => page.items.map((d: { connection: unknown }) => d.connection));
    expect(await connections(adminB)).toEqual((await connections(adminA)).slice(0, 2));

    // XLSX with the English headers and numbers typed as numbers.
    const file = await workbook([
      ['meter_number', 'device_key', 'product', 'modbus_host', 'modbus_port', 'modbus_unit', 'poll_interval_s'],
      ['MBL-X01', 'mbl-x1', 'MB-LEDGER', '10.1.2.3', 502, 1, 300],
    ]);
    const xlsx = await upload(file, { type: XLSX });
    expect(xlsx.status, JSON.stringify(xlsx.body)).toBe(200);
    expect((await ok('GET', '/api/devices?q=MBL-X01')).items[0].connection).toEqual({ host: '10.1.2.3', port: 502, unitId: 1, intervalSeconds: 300 });
  });

  it('refuses import and export to a viewer (403)', async () => {
    const roles = await ok('GET', `/api/roles?tenantId=${countyA}`);
    await ok('POST', '/api/users', { username: 'ledger.viewer', displayName: 'v', password: TEST_PASSWORD, roleIds: [roles.items.find((r: { code: string }) => r.code === 'viewer').id] });
    const viewer = await t.login('ledger.viewer');
    expect((await download('format=csv', viewer)).res.status).toBe(403);
    const res = await upload(csv('表号,设备标识,产品', 'V-1,v-1,NB-DN20'), { token: viewer });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });
});
