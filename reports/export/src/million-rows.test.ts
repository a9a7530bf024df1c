import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportColumn } from './columns.js';
import { runExport } from './job.js';
import type { RowBatch } from './sheet.js';
import { mib, streamXlsxRows, withPeakRss } from './testing/helpers.js';

/**
 * The acceptance point: an export of 1,000,000 rows streams without holding them. The rows are
 * generated lazily, batch by batch, as a database cursor would hand them out; the file goes to disk and
 * is read back with streaming readers, so the test itself stays bounded too. Peak RSS is sampled every
 * 50 ms and logged; the assertion is a generous bound (growth < 400 MB), not a timing.
 */
const TOTAL = 1_000_000;
const BATCH = 5_000;
const MAX_GROWTH = 400 * 1024 * 1024;

const communities = ['阳光小区', '江畔花园', '翠湖苑', '滨江一号'];
const columns: ExportColumn[] = [
  { id: 'device', label: '表号', type: 'string' },
  { id: 'at', label: '抄表时间', type: 'timestamp' },
  { id: 'community', label: '小区', type: 'string' },
  { id: 'reading', label: '读数(m³)', type: 'decimal', scale: 3, format: { thousands: true } },
  { id: 'consumption', label: '用水量(m³)', type: 'decimal', scale: 3 },
];

/** Readings as a cursor would yield them; each batch is built only when asked for. */
async function* readings(total: number): AsyncGenerator<RowBatch> {
  const start = Date.UTC(2026, 0, 1);
  for (let offset = 0; offset < total; offset += BATCH) {
    const batch = [];
    for (let i = offset; i < Math.min(total, offset + BATCH); i += 1) {
      const at = new Date(start + i * 60_000).toISOString();
      batch.push({
        device: `M${String(i % 50_000).padStart(8, '0')}`,
        at: `${at.slice(0, 10)} ${at.slice(11, 19)}`,
        community: communities[i % communities.length]!,
        reading: `${Math.floor(i / 7)}.${String(i % 1000).padStart(3, '0')}`,
        consumption: i % 97 === 0 ? null : `0.${String(i % 1000).padStart(3, '0')}`,
      });
    }
    yield batch;
  }
}

describe('1,000,000-row exports in bounded memory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shuiyun-export-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('CSV: 1,000,000 rows streamed to a file, read back row by row', { timeout: 120_000 }, async () => {
    const path = join(dir, 'readings.csv');
    let progressCalls = 0;
    const { result, baselineRss, peakRss, elapsedMs } = await withPeakRss(() =>
      runExport({ format: 'csv', columns, source: () => readings(TOTAL), totalRows: TOTAL, out: createWriteStream(path), onProgress: () => (progressCalls += 1) }),
    );
    const size = (await stat(path)).size;
    console.log(
      `[export] csv rows=${result.rows} time=${(elapsedMs / 1000).toFixed(1)}s size=${mib(size)}MiB baselineRss=${mib(baselineRss)}MiB peakRss=${mib(peakRss)}MiB growth=${mib(peakRss - baselineRss)}MiB`,
    );
    expect(result.rows).toBe(TOTAL);
    expect(progressCalls).toBe(TOTAL / BATCH + 1);
    expect(peakRss - baselineRss).toBeLessThan(MAX_GROWTH);

    let records = 0;
    let last: string[] = [];
    for await (const record of createReadStream(path).pipe(parse({ bom: true }))) {
      records += 1;
      last = record as string[];
    }
    expect(records).toBe(TOTAL + 1);
    expect(last).toEqual(['M00049999', '2027-11-26 10:39:00', '滨江一号', '142857.999', '0.999']);
  });

  it('XLSX: 1,000,000 rows through exceljs streaming writer, read back with its streaming reader', { timeout: 240_000 }, async () => {
    const path = join(dir, 'readings.xlsx');
    const { result, baselineRss, peakRss, elapsedMs } = await withPeakRss(() =>
      runExport({ format: 'xlsx', columns, source: () => readings(TOTAL), totalRows: TOTAL, out: createWriteStream(path) }),
    );
    const size = (await stat(path)).size;
    console.log(
      `[export] xlsx rows=${result.rows} time=${(elapsedMs / 1000).toFixed(1)}s size=${mib(size)}MiB baselineRss=${mib(baselineRss)}MiB peakRss=${mib(peakRss)}MiB growth=${mib(peakRss - baselineRss)}MiB`,
    );
    expect(result.rows).toBe(TOTAL);
    expect(peakRss - baselineRss).toBeLessThan(MAX_GROWTH);

    const readStarted = performance.now();
    let rows = 0;
    let last: unknown[] = [];
    for await (const row of streamXlsxRows(path)) {
      rows += 1;
      if (rows === 1) expect((row.values as unknown[]).slice(1)).toEqual(['表号', '抄表时间', '小区', '读数(m³)', '用水量(m³)']);
      last = (row.values as unknown[]).slice(1);
    }
    console.log(`[export] xlsx read back rows=${rows} time=${((performance.now() - readStarted) / 1000).toFixed(1)}s`);
    expect(rows).toBe(TOTAL + 1);
    expect(last).toEqual(['M00049999', new Date('2027-11-26T10:39:00.000Z'), '滨江一号', 142857.999, 0.999]);
  });
});
