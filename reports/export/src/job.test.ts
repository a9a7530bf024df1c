import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportColumn } from './columns.js';
import { ExportCancelled, ExportError, PdfRowLimitExceeded } from './errors.js';
import { type ExportFormat, type ExportProgress, runExport } from './job.js';
import type { RowBatch } from './sheet.js';
import { MemorySink } from './testing/helpers.js';

const columns: ExportColumn[] = [
  { id: 'device', label: '表号', type: 'string' },
  { id: 'reading', label: '读数', type: 'decimal', scale: 3 },
];
const batchOf = (b: number, size: number): RowBatch => Array.from({ length: size }, (_, i) => ({ device: `M${b}-${i}`, reading: `${b}.${String(i % 1000).padStart(3, '0')}` }));

/** An endless source that records how far it was read and whether it was closed (its `return()`). */
function endlessSource(size = 500, delayMs = 0) {
  const state = { pulled: 0, closed: false };
  async function* rows(): AsyncGenerator<RowBatch> {
    try {
      for (let b = 0; ; b += 1) {
        if (delayMs > 0) await sleep(delayMs);
        state.pulled += 1;
        yield batchOf(b, size);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, rows };
}

/** A Writable that accepts nothing: its buffer fills and never drains (a client that stopped reading). */
class StalledOutput extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, _callback: (error?: Error | null) => void): void {
    // never calls back
  }
}

describe('export jobs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shuiyun-export-job-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports progress after every batch, with the fraction when the total is known, and a final done', async () => {
    const progress: ExportProgress[] = [];
    const path = join(dir, 'progress.csv');
    const summary = await runExport({
      format: 'csv',
      columns,
      source: () => (async function* () {
        for (let b = 0; b < 4; b += 1) yield batchOf(b, 250);
      })(),
      totalRows: 1000,
      out: createWriteStream(path),
      onProgress: (p) => progress.push(p),
    });
    expect(summary).toMatchObject({ format: 'csv', rows: 1000, mediaType: 'text/csv; charset=utf-8', fileExtension: 'csv' });
    expect(progress).toEqual([
      { rowsWritten: 250, totalRows: 1000, fraction: 0.25, done: false },
      { rowsWritten: 500, totalRows: 1000, fraction: 0.5, done: false },
      { rowsWritten: 750, totalRows: 1000, fraction: 0.75, done: false },
      { rowsWritten: 1000, totalRows: 1000, fraction: 1, done: false },
      { rowsWritten: 1000, totalRows: 1000, fraction: 1, done: true },
    ]);
    expect(parse(await readFile(path), { bom: true })).toHaveLength(1001);
  });

  it('without a total, progress counts rows only', async () => {
    const progress: ExportProgress[] = [];
    await runExport({ format: 'xlsx', columns, source: () => [batchOf(0, 10)], out: new MemorySink(), onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([
      { rowsWritten: 10, done: false },
      { rowsWritten: 10, done: true },
    ]);
  });

  it.each<ExportFormat>(['csv', 'xlsx'])('%s: cancelled midway, it stops reading, closes the source and the file, and rejects with ExportCancelled', async (format) => {
    const controller = new AbortController();
    const { state, rows } = endlessSource(500, 1);
    const path = join(dir, `cancelled.${format}`);
    const out = createWriteStream(path);
    let reports = 0;
    const job = runExport({
      format,
      columns,
      source: rows,
      out,
      signal: controller.signal,
      onProgress: () => {
        reports += 1;
        if (reports === 5) controller.abort(new Error('user pressed cancel'));
      },
    });
    const error = await job.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportCancelled);
    expect((error as ExportCancelled).code).toBe('export_cancelled');
    expect((error as ExportCancelled).messages['zh-CN']).toBe('导出已取消');
    expect(state.closed).toBe(true);
    expect(out.destroyed).toBe(true);
    const pulledAtCancel = state.pulled;
    expect(pulledAtCancel).toBeLessThanOrEqual(6);
    // Nothing runs on: no more batches are read, the file does not grow.
    const size = (await stat(path)).size;
    await sleep(100);
    expect(state.pulled).toBe(pulledAtCancel);
    expect((await stat(path)).size).toBe(size);
  });

  it('cancelled while the source is stuck in a query: rejects at once and still calls return()', async () => {
    const controller = new AbortController();
    let returned = 0;
    let calls = 0;
    // A cursor-like iterator whose third fetch never answers.
    const cursor: AsyncIterableIterator<RowBatch> = {
      [Symbol.asyncIterator]() {
        return this;
      },
      next() {
        calls += 1;
        return calls <= 2 ? Promise.resolve({ done: false, value: batchOf(calls, 100) }) : new Promise<IteratorResult<RowBatch>>(() => {});
      },
      return() {
        returned += 1;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
    const out = new MemorySink();
    const job = runExport({ format: 'csv', columns, source: () => cursor, out, signal: controller.signal });
    await sleep(50);
    expect(calls).toBe(3);
    const started = performance.now();
    controller.abort();
    await expect(job).rejects.toBeInstanceOf(ExportCancelled);
    expect(performance.now() - started).toBeLessThan(500);
    expect(returned).toBe(1);
    expect(out.destroyed).toBe(true);
  });

  it.each<ExportFormat>(['csv', 'xlsx'])('%s: a stalled output holds the source back (back-pressure); cancelling then ends the wait', async (format) => {
    const controller = new AbortController();
    const { state, rows } = endlessSource(1000);
    const out = new StalledOutput({ highWaterMark: 16 * 1024 });
    const job = runExport({ format, columns, source: rows, out, signal: controller.signal });
    // Reading stops: the writer waits for the output to drain rather than piling rows up in memory. (XLSX
    // stops later: the sheet's slack and the zip's stream buffers hold ~160 batches, ~8 MB of sheet XML.)
    let pulled = -1;
    for (let tries = 0; tries < 25 && state.pulled !== pulled; tries += 1) {
      pulled = state.pulled;
      await sleep(300);
    }
    expect(state.pulled).toBe(pulled);
    expect(pulled).toBeLessThan(format === 'csv' ? 3 : 400);
    controller.abort();
    await expect(job).rejects.toBeInstanceOf(ExportCancelled);
    expect(state.closed).toBe(true);
    expect(out.destroyed).toBe(true);
  });

  it('an output that fails midway (the client went away) ends the export with output_failed and closes the source', async () => {
    const { state, rows } = endlessSource(200, 1);
    const out = new MemorySink();
    const job = runExport({ format: 'csv', columns, source: rows, out, onProgress: (p) => p.rowsWritten === 1000 && out.destroy(new Error('socket hang up')) });
    const error = await job.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('output_failed');
    expect((error as ExportError).detail).toContain('socket hang up');
    expect(state.closed).toBe(true);
  });

  it('an already cancelled job and a PDF known to be too big never open the source', async () => {
    let opened = 0;
    const source = () => {
      opened += 1;
      return [batchOf(0, 1)];
    };
    const cancelled = AbortSignal.abort();
    const first = new MemorySink();
    await expect(runExport({ format: 'csv', columns, source, out: first, signal: cancelled })).rejects.toBeInstanceOf(ExportCancelled);
    expect(first.destroyed).toBe(true);
    const second = new MemorySink();
    const error = await runExport({ format: 'pdf', columns, source, totalRows: 25_000, out: second, pdf: { title: '明细', timeZone: 'Asia/Shanghai' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PdfRowLimitExceeded);
    expect((error as PdfRowLimitExceeded).detail).toBe('a PDF holds at most 20000 rows, this export has 25000; export xlsx instead');
    expect(second.destroyed).toBe(true);
    expect(second.bytes).toBe(0);
    expect(opened).toBe(0);
  });

  it('a PDF job: the rows become the report’s table', async () => {
    const out = new MemorySink();
    const summary = await runExport({ format: 'pdf', columns, source: () => [batchOf(0, 30)], totalRows: 30, out, pdf: { title: '明细', timeZone: 'Asia/Shanghai' } });
    expect(summary).toMatchObject({ format: 'pdf', rows: 30, mediaType: 'application/pdf' });
    expect(out.buffer().subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
