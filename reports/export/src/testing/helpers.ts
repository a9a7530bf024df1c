import { createReadStream } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { Writable, type Readable } from 'node:stream';
import type { ReportResult } from '@shuiyun/reports';
import ExcelJS from 'exceljs';

/** A Writable that keeps what it receives; optionally slow, to exercise back-pressure. */
export class MemorySink extends Writable {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  writes = 0;
  constructor(private readonly delayMs = 0, highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.writes += 1;
    if (this.delayMs > 0) setTimeout(callback, this.delayMs);
    else callback();
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    return this.buffer().toString('utf8');
  }
}

/** Samples the process's resident set every `everyMs` while `run` runs; returns its result and the peak. */
export async function withPeakRss<T>(run: () => Promise<T>, everyMs = 50): Promise<{ result: T; baselineRss: number; peakRss: number; elapsedMs: number }> {
  globalThis.gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, everyMs);
  const started = performance.now();
  try {
    const result = await run();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { result, baselineRss, peakRss, elapsedMs: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

export const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Decodes a byte stream as UTF-8 with one decoder, so a character split across two chunks stays whole. */
async function* utf8Text(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

interface ReaderInternals {
  _parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string): Generator<unknown>;
}
const streamingReader = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as ReaderInternals;

/**
 * exceljs 4.4's streaming reader decodes each unzipped chunk of sheet XML on its own, so a Chinese
 * character straddling two chunks turns into U+FFFD (exceljs #2063, #2316; runtime/server's ledger reader
 * works around it the same way). The worksheet is fed to its parser as text decoded once.
 */
class WholeCharacterWorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  _parseWorksheet(iterator: AsyncIterable<Uint8Array | string>, sheetNo: string) {
    return streamingReader._parseWorksheet.call(this, utf8Text(iterator), sheetNo);
  }
}

/** Streams the rows of an .xlsx file's first sheet (values from index 1, as exceljs gives them). */
export async function* streamXlsxRows(path: string): AsyncGenerator<ExcelJS.Row> {
  const reader = new WholeCharacterWorkbookReader(createReadStream(path) as Readable, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  for await (const sheet of reader) {
    for await (const row of sheet) yield row;
    break;
  }
}

/** Loads a whole (small) .xlsx file with exceljs. */
export async function loadXlsx(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

const column = (id: string, role: 'dimension' | 'measure', zh: string, en: string, type: 'string' | 'decimal' | 'integer' | 'timestamp' | 'date', scale?: number) => ({
  id,
  role,
  label: { 'zh-CN': zh, en },
  type,
  ...(scale !== undefined ? { scale } : {}),
});

/** Consumption by day and community, as the engine returns it (cells are exact text). */
export const consumptionResult: ReportResult = {
  dataset: { id: 'daily-consumption', version: 1 },
  kind: 'aggregate',
  columns: [
    { ...column('day', 'dimension', '日期', 'Day', 'string'), grain: 'day' },
    column('community', 'dimension', '小区', 'Community', 'string'),
    column('consumption', 'measure', '用水量(m³)', 'Consumption (m³)', 'decimal', 3),
    column('rate', 'measure', '抄表率', 'Reading rate', 'decimal', 2),
  ],
  rows: [
    { day: '2026-03-01', community: '阳光小区', consumption: '1250.500', rate: '98.50' },
    { day: '2026-03-01', community: '江畔花园', consumption: '80.125', rate: '75.00' },
    { day: '2026-03-02', community: '阳光小区', consumption: '990.000', rate: null },
    { day: '2026-03-02', community: '江畔花园', consumption: '1234567.875', rate: '100.00' },
  ],
  parts: [],
  partModels: {},
  derivations: {},
  page: { offset: 0, limit: null, hasMore: false },
  cached: false,
};

const row = (meterType: string, month: string, community: string, consumption: string, readings: string) => ({ meterType, month, community, consumption, readings });
const shaped = [
  row('机械表', '2026-01', '阳光小区', '100.500', '10'),
  row('机械表', '2026-01', '江畔花园', '50.250', '5'),
  row('机械表', '2026-02', '阳光小区', '120.000', '12'),
  row('超声波表', '2026-01', '阳光小区', '80.000', '8'),
  row('超声波表', '2026-02', '江畔花园', '60.125', '6'),
];

/**
 * Consumption and readings by meter type, month and community, with the parts the engine's shaping
 * re-aggregates (both measures are plain sums/counts, so every total is exact without `levels`).
 */
export const byMeterTypeResult: ReportResult = {
  dataset: { id: 'daily-consumption', version: 1 },
  kind: 'aggregate',
  columns: [
    column('meterType', 'dimension', '表类型', 'Meter type', 'string'),
    { ...column('month', 'dimension', '月份', 'Month', 'string'), grain: 'month' },
    column('community', 'dimension', '小区', 'Community', 'string'),
    column('consumption', 'measure', '用水量', 'Consumption', 'decimal', 3),
    column('readings', 'measure', '抄表数', 'Readings', 'decimal', 0),
  ],
  rows: shaped,
  parts: shaped.map((r) => ({ consumption: r.consumption, readings: r.readings })),
  partModels: {
    consumption: { kind: 'sum', valueType: 'decimal', scale: 3 },
    readings: { kind: 'count', valueType: 'decimal', scale: 0 },
  },
  derivations: { consumption: { kind: 'part', part: 'consumption' }, readings: { kind: 'part', part: 'readings' } },
  page: { offset: 0, limit: null, hasMore: false },
  cached: false,
};

/**
 * The content of every stream of a PDF, inflated when it is FlateDecode'd: a minimal parse for checking
 * what a page draws (pdfkit writes one object per stream, `stream\n…\nendstream`).
 */
export function pdfStreams(bytes: Buffer): string[] {
  const streams: string[] = [];
  let at = 0;
  for (;;) {
    const start = bytes.indexOf('>>\nstream\n', at);
    if (start < 0) return streams;
    const dictionary = bytes.subarray(bytes.lastIndexOf(' obj', start), start).toString('latin1');
    const length = Number(/\/Length (\d+)/.exec(dictionary)?.[1]);
    const dataStart = start + '>>\nstream\n'.length;
    const data = bytes.subarray(dataStart, dataStart + length);
    streams.push(dictionary.includes('/FlateDecode') ? inflateSync(data).toString('latin1') : data.toString('latin1'));
    at = dataStart + length;
  }
}
