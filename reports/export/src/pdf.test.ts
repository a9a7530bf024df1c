import { chartOption, groupedTable } from '@shuiyun/reports';
import { extractText, getDocumentProxy } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { renderChartSvg } from './charts.js';
import type { ExportColumn } from './columns.js';
import { ExportError, PdfRowLimitExceeded } from './errors.js';
import { defaultPdfFonts, localDateTime, writePdf } from './pdf.js';
import { groupedTableSheet } from './shapes.js';
import type { RowBatch } from './sheet.js';
import { MemorySink, byMeterTypeResult, consumptionResult, pdfStreams } from './testing/helpers.js';

const columns: ExportColumn[] = [
  { id: 'device', label: '表号', type: 'string' },
  { id: 'at', label: '抄表时间', type: 'timestamp' },
  { id: 'community', label: '小区', type: 'string' },
  { id: 'reading', label: '读数(m³)', type: 'decimal', scale: 3, format: { thousands: true } },
];
const readingRows = (n: number): RowBatch =>
  Array.from({ length: n }, (_, i) => ({ device: `M${String(i).padStart(6, '0')}`, at: '2026-03-02 08:30:00', community: i % 2 ? '江畔花园' : '阳光小区', reading: `${i * 1000}.5` }));

async function pdfPages(bytes: Buffer) {
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: false });
  return { pdf, pages: text };
}

describe('PDF export', () => {
  it('a report page: title, parameters, generated-at in the tenant zone, a chart as vectors, the table over pages with repeated headers', async () => {
    const sink = new MemorySink();
    const option = chartOption({ type: 'bar', category: 'day', series: 'community', measures: ['consumption'], title: '日用水量' }, consumptionResult);
    const summary = await writePdf(
      {
        title: { 'zh-CN': '抄表明细', en: 'Meter readings' },
        parameters: [
          { label: { 'zh-CN': '期间', en: 'Period' }, value: '2026-03-01 ~ 2026-03-07' },
          { label: '小区', value: '全部' },
        ],
        generatedAt: new Date('2026-03-02T00:30:00Z'),
        timeZone: 'Asia/Shanghai',
        charts: [{ option }],
        table: { columns, rows: [readingRows(60), readingRows(60)] },
      },
      sink,
    );
    expect(summary).toEqual({ rows: 120 });
    const bytes = sink.buffer();
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // The CJK font is embedded (as a subset), not merely named.
    expect(bytes.includes('NotoSansCJKsc-Regular')).toBe(true);
    expect(bytes.includes('NotoSansCJKsc-Bold')).toBe(true);

    const { pdf, pages } = await pdfPages(bytes);
    expect(pdf.numPages).toBeGreaterThanOrEqual(3);
    expect(pages[0]).toContain('抄表明细');
    expect(pages[0]).toContain('生成时间：2026-03-02 08:30:00（Asia/Shanghai）');
    expect(pages[0]).toContain('期间：2026-03-01 ~ 2026-03-07');
    expect(pages[0]).toContain('小区：全部');
    // The chart's own text (title, legend) is real text in the CJK font.
    expect(pages[0]).toContain('日用水量');
    expect(pages[0]).toContain('江畔花园');
    pages.forEach((page, i) => {
      expect(page, `page ${i + 1} repeats the header`).toMatch(/表号\s*抄表时间\s*小区\s*读数\(m³\)/);
      expect(page).toContain(`第 ${i + 1} 页`);
    });
    const body = pages.join('\n');
    // Every row is on some page, once: both batches of 60.
    expect(body.match(/M\d{6}/g)).toHaveLength(120);
    expect(body.match(/59,000\.500/g)).toHaveLength(2);

    // Vectors, not a bitmap: no image anywhere, and the chart's curves (legend icons, the line's points)
    // are path operators. The table draws only straight lines and rectangles, so curves are the chart's.
    expect(bytes.includes('/Subtype /Image')).toBe(false);
    const contents = pdfStreams(bytes).filter((content) => / Tf\b/.test(content));
    expect(contents).toHaveLength(pdf.numPages);
    const curves = (content: string) => content.match(/ c\n/g)?.length ?? 0;
    expect(curves(contents[0]!)).toBeGreaterThan(10);
    expect(contents.slice(1).map(curves)).toEqual(contents.slice(1).map(() => 0));
  });

  it('grouped tables keep their subtotal rows; English labels', async () => {
    const sink = new MemorySink();
    const table = groupedTableSheet(groupedTable(byMeterTypeResult, { groupBy: ['meterType'] }), { locale: 'en' });
    await writePdf({ title: 'Consumption by meter type', timeZone: 'America/New_York', generatedAt: new Date('2026-03-02T00:30:00Z'), table }, sink, { locale: 'en' });
    const { pdf, pages } = await pdfPages(sink.buffer());
    expect(pdf.numPages).toBe(1);
    expect(pages[0]).toContain('Generated at: 2026-03-01 19:30:00（America/New_York）');
    expect(pages[0]).toMatch(/机械表\s*Subtotal\s*270\.750\s*27/);
    expect(pages[0]).toMatch(/Total\s*410\.875\s*41/);
    expect(pages[0]).toContain('Page 1');
  });

  it('refuses more rows than a PDF holds before writing a byte, and closes the source', async () => {
    const sink = new MemorySink();
    let closed = false;
    let pulled = 0;
    async function* source() {
      try {
        for (;;) {
          pulled += 1;
          yield readingRows(40);
        }
      } finally {
        closed = true;
      }
    }
    const error = await writePdf({ title: '明细', timeZone: 'Asia/Shanghai', table: { columns, rows: source() } }, sink, { maxRows: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PdfRowLimitExceeded);
    expect((error as PdfRowLimitExceeded).code).toBe('pdf_row_limit_exceeded');
    expect((error as PdfRowLimitExceeded).messages['zh-CN']).toContain('xlsx');
    expect((error as PdfRowLimitExceeded).status).toBe(422);
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
    expect(sink.bytes).toBe(0);
    expect(sink.destroyed).toBe(true);
  });

  it('fails with a clear error naming fonts-noto-cjk when the CJK font is missing', async () => {
    const sink = new MemorySink();
    const error = await writePdf({ title: '明细', timeZone: 'Asia/Shanghai' }, sink, { fonts: { regular: { path: '/nonexistent/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' } } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).code).toBe('pdf_font_missing');
    expect((error as ExportError).message).toContain('fonts-noto-cjk');
    expect(sink.bytes).toBe(0);
    expect(defaultPdfFonts.regular.path).toBe('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc');
  });

  it('refuses an unknown time zone', async () => {
    const error = await writePdf({ title: '明细', timeZone: 'Mars/Olympus' }, new MemorySink()).catch((e: unknown) => e);
    expect((error as ExportError).code).toBe('invalid_export');
    expect(localDateTime(new Date('2026-06-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-07-01 00:00:00');
  });
});

describe('charts rendered on the server (ECharts SSR)', () => {
  it('renders the engine’s chart option to the same SVG every time', async () => {
    const option = chartOption({ type: 'line', category: 'day', series: 'community', measures: ['consumption'], title: '日用水量' }, consumptionResult);
    const svg = renderChartSvg(option, { width: 600, height: 300 });
    expect(svg.startsWith('<svg width="600" height="300"')).toBe(true);
    expect(svg).toContain('阳光小区');
    // ECharts numbers each chart instance in its CSS class names (zr0-, zr1-, …): not part of the picture.
    await expect(svg.replace(/zr\d+-/g, 'zr-').replace(/cls-\d+/g, 'cls')).toMatchFileSnapshot('./__snapshots__/consumption-line.svg');
  });
});
