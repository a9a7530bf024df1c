import { accessSync, constants } from 'node:fs';
import type { Writable } from 'node:stream';
import { canonicalTimeZone } from '@shuiyun/reports';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { type ChartOption, type ChartSize, renderChartSvg } from './charts.js';
import { type ColumnPlan, type Label, type Locale, labelText, planColumn, shownText } from './columns.js';
import { ExportError, PdfRowLimitExceeded } from './errors.js';
import { OutputSession, type WriteOptions, type WriteSummary, readBatches } from './output.js';
import { type ExportSheet, type HeaderRange, headerLayout, rowCells } from './sheet.js';

/** A PDF holds at most this many table rows by default; bigger exports belong in xlsx. */
export const DEFAULT_PDF_MAX_ROWS = 20_000;

/** A font file; `family` names the face inside a collection (.ttc). */
export interface PdfFont {
  path: string;
  family?: string;
}

export interface PdfFonts {
  regular: PdfFont;
  bold?: PdfFont;
}

/**
 * Noto Sans CJK from Debian's `fonts-noto-cjk` (installed by `.ci/run`), Simplified Chinese faces. PDF's
 * standard fonts have no Chinese glyphs, so a PDF is never written without a CJK font.
 */
export const defaultPdfFonts: PdfFonts = {
  regular: { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
  bold: { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', family: 'NotoSansCJKsc-Bold' },
};

export interface PdfParameter {
  label: Label;
  /** The value as the user chose it, already shown as text (`2026-03-01 ~ 2026-03-07`). */
  value: string;
}

/** A chart: the page's width across; `width` and `height` give only its aspect ratio (default 800 × 400). */
export interface PdfChart extends ChartSize {
  option: ChartOption;
}

export interface PdfReport {
  title: Label;
  /** The parameters the report ran with, listed under the title. */
  parameters?: readonly PdfParameter[];
  /** Default: now. Shown in `timeZone`. */
  generatedAt?: Date;
  /** The tenant's IANA time zone, e.g. Asia/Shanghai. */
  timeZone: string;
  /** Charts, drawn as vectors from ECharts' server-side SVG, before the table. */
  charts?: readonly PdfChart[];
  table?: ExportSheet;
}

export interface PdfOptions extends WriteOptions {
  /** Refuse tables above this many rows (PdfRowLimitExceeded); default 20,000. */
  maxRows?: number;
  fonts?: PdfFonts;
  size?: 'A4' | 'A3';
  /** Default: landscape when the table has more than 6 columns. */
  orientation?: 'portrait' | 'landscape';
}

/** Points, portrait (pdfkit's sizes). */
const pageSizes = { A4: [595.28, 841.89], A3: [841.89, 1190.55] } as const;
const REGULAR = 'shuiyun-regular' as const;
const BOLD = 'shuiyun-bold' as const;
const MARGIN = 36;
const BODY_SIZE = 8;
const ROW_HEIGHT = 15;
const PADDING = 4;

/**
 * Table cells are set without OpenType shaping. Chinese, Latin letters and digits need none, and
 * fontkit's shaping of Noto Sans CJK (its contextual lookups) costs ~1 ms per string — 15× the plain
 * layout, i.e. most of a 20,000-row PDF's time. Widths are the same either way (same advances).
 */
const UNSHAPED = {
  features: Object.fromEntries(['ccmp', 'locl', 'calt', 'liga', 'clig', 'rlig', 'kern', 'mark', 'mkmk', 'rclt', 'curs', 'palt', 'vert'].map((tag) => [tag, false])) as unknown as PDFKit.Mixins.OpenTypeFeatures[],
};

const words: Record<Locale, { generatedAt: string; page: (n: number) => string; colon: string }> = {
  'zh-CN': { generatedAt: '生成时间', page: (n) => `第 ${n} 页`, colon: '：' },
  en: { generatedAt: 'Generated at', page: (n) => `Page ${n}`, colon: ': ' },
};

function checkFont(font: PdfFont, role: string): void {
  try {
    accessSync(font.path, constants.R_OK);
  } catch {
    throw new ExportError(
      'pdf_font_missing',
      `the ${role} CJK font ${font.path} is not readable; install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) or pass fonts.${role}`,
    );
  }
}

/** `instant` as local wall-clock time in `timeZone`: `2026-03-02 08:30:00`. */
export function localDateTime(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')}`;
}

/** Refuses a PDF whose row count is known to be above the limit, before anything is read or written. */
export function assertPdfRowLimit(totalRows: number | undefined, maxRows = DEFAULT_PDF_MAX_ROWS): void {
  if (totalRows !== undefined && totalRows > maxRows) throw new PdfRowLimitExceeded(maxRows, totalRows);
}

interface BufferedRow {
  cells: string[];
  emphasis: 'subtotal' | 'total' | undefined;
}

/**
 * Writes a report page as PDF: the title, the parameters, when it was generated (in the tenant's time
 * zone), the charts (ECharts SSR → SVG → PDF vector paths and text, no bitmaps) and the table, paginated
 * with its header repeated on every page; subtotal and total rows in bold. All text is set in a CJK font.
 *
 * Bounded: the table's rows are read first, up to `maxRows`; one more is `PdfRowLimitExceeded` before a
 * byte is written (the source is closed). A PDF of 20,000 rows is a few hundred pages, already past what
 * a person reads; the xlsx export streams any size.
 */
export async function writePdf(report: PdfReport, out: Writable, options: PdfOptions = {}): Promise<WriteSummary> {
  const session = new OutputSession(out, options.signal);
  try {
    const locale = options.locale ?? 'zh-CN';
    const text = words[locale];
    const maxRows = options.maxRows ?? DEFAULT_PDF_MAX_ROWS;
    const fonts = options.fonts ?? defaultPdfFonts;
    checkFont(fonts.regular, 'regular');
    if (fonts.bold) checkFont(fonts.bold, 'bold');
    const timeZone = canonicalTimeZone(report.timeZone);
    if (!timeZone) throw new ExportError('invalid_export', `${JSON.stringify(report.timeZone)} is not an IANA time zone`);
    const table = report.table;
    const plans = table ? table.columns.map(planColumn) : [];
    const layout = table ? headerLayout(table, locale) : { rows: 0, ranges: [] };

    const rows: BufferedRow[] = [];
    if (table) {
      for await (const batch of readBatches(table.rows, session)) {
        if (rows.length + batch.length > maxRows) throw new PdfRowLimitExceeded(maxRows);
        for (const row of batch) {
          const { cells, emphasis } = rowCells(row, table.columns);
          rows.push({ cells: plans.map((plan, i) => shownText(plan, cells[i] ?? null)), emphasis });
        }
        options.onRows?.(rows.length);
      }
    }
    const size = options.size ?? 'A4';
    const landscape = options.orientation ? options.orientation === 'landscape' : plans.length > 6;
    const [pageWidth, pageHeight] = landscape ? [pageSizes[size][1], pageSizes[size][0]] : pageSizes[size];
    const contentWidth = pageWidth - 2 * MARGIN;
    // Each chart is rendered at the page's width in CSS pixels (96 per inch), so that svg-to-pdfkit, which
    // sizes an SVG by its own width and height at 72/96 pt per px, draws it exactly across the page.
    const svgs = (report.charts ?? []).map((chart) => {
      const width = Math.round((contentWidth * 96) / 72);
      const height = Math.round((width * (chart.height ?? 400)) / (chart.width ?? 800));
      return { svg: renderChartSvg(chart.option, { width, height }), height: (height * 72) / 96 };
    });
    session.throwIfStopped();

    const title = labelText(report.title, locale);
    const doc = new PDFDocument({
      size,
      layout: landscape ? 'landscape' : 'portrait',
      margin: MARGIN,
      info: { Title: title, Creator: 'Shuiyun', Producer: 'Shuiyun' },
    });
    doc.registerFont(REGULAR, fonts.regular.path, fonts.regular.family);
    doc.registerFont(BOLD, (fonts.bold ?? fonts.regular).path, (fonts.bold ?? fonts.regular).family);
    const done = session.race(
      new Promise<void>((resolve, reject) => {
        out.once('finish', resolve);
        doc.once('error', reject);
      }),
    );
    // Awaited once the document ends; if drawing fails first, a later stop must not be an unhandled rejection.
    done.catch(() => {});
    doc.pipe(out);

    let pageNumber = 1;
    const footer = () => {
      const label = text.page(pageNumber);
      doc.font(REGULAR).fontSize(7).fillColor('#888888');
      // Drawn without a width, so pdfkit's line wrapper (which may add a page) is not involved.
      doc.text(label, (doc.page.width - doc.widthOfString(label)) / 2, doc.page.height - MARGIN / 2 - 6, { lineBreak: false });
      doc.fillColor('#000000');
    };
    footer();
    const newPage = () => {
      doc.addPage();
      pageNumber += 1;
      footer();
      return MARGIN;
    };
    const bottom = () => pageHeight - MARGIN;

    // Title, when and with what it ran.
    let y = MARGIN;
    doc.font(BOLD).fontSize(16).text(title, MARGIN, y, { width: contentWidth });
    y = doc.y + 4;
    doc.font(REGULAR).fontSize(9).fillColor('#444444');
    const lines = [
      `${text.generatedAt}${text.colon}${localDateTime(report.generatedAt ?? new Date(), timeZone)}（${timeZone}）`,
      ...(report.parameters ?? []).map((p) => `${labelText(p.label, locale)}${text.colon}${p.value}`),
    ];
    for (const line of lines) {
      doc.text(line, MARGIN, y, { width: contentWidth });
      y = doc.y + 1;
    }
    doc.fillColor('#000000');
    y += 8;

    // Charts as vectors: ECharts sets its text in sans-serif; every face maps to the CJK font.
    for (const { svg, height } of svgs) {
      if (y + height > bottom()) y = newPage();
      SVGtoPDF(doc, svg, MARGIN, y, { width: contentWidth, height, fontCallback: (_family, bold) => (bold ? BOLD : REGULAR) });
      y += height + 10;
    }

    if (table) {
      const faces = new TableFaces(doc);
      const widths = tableWidths(faces, plans, layout.ranges, rows, contentWidth);
      const lefts = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((a, b) => a + b, 0));
      const span = (from: number, to: number) => widths.slice(from, to + 1).reduce((a, b) => a + b, 0);
      const cellText = (value: string, x: number, top: number, width: number, height: number, align: 'left' | 'right' | 'center') => {
        if (value === '') return;
        const shown = faces.fit(value, width - 2 * PADDING);
        const room = width - 2 * PADDING - faces.width(shown);
        const left = x + PADDING + (align === 'right' ? room : align === 'center' ? room / 2 : 0);
        doc.text(shown, left, top + (height - BODY_SIZE) / 2 - 1.5, { ...UNSHAPED, lineBreak: false });
      };
      const drawHeader = (top: number) => {
        faces.use(BOLD);
        doc.lineWidth(0.5);
        for (const range of layout.ranges) {
          const x = lefts[range.left]!;
          const w = span(range.left, range.right);
          const rowTop = top + range.top * ROW_HEIGHT;
          const h = (range.bottom - range.top + 1) * ROW_HEIGHT;
          doc.rect(x, rowTop, w, h).fillAndStroke('#eff3f8', '#b7c3d0');
          doc.fillColor('#000000');
          cellText(range.text, x, rowTop, w, h, 'center');
        }
        return top + layout.rows * ROW_HEIGHT;
      };
      const headerHeight = layout.rows * ROW_HEIGHT;
      if (y + headerHeight + ROW_HEIGHT > bottom()) y = newPage();
      y = drawHeader(y);
      for (const row of rows) {
        if (y + ROW_HEIGHT > bottom()) y = drawHeader(newPage());
        if (row.emphasis) doc.rect(MARGIN, y, span(0, widths.length - 1), ROW_HEIGHT).fill('#f5f5f5').fillColor('#000000');
        faces.use(row.emphasis ? BOLD : REGULAR);
        row.cells.forEach((value, i) => cellText(value, lefts[i]!, y, widths[i]!, ROW_HEIGHT, plans[i]!.alignRight ? 'right' : 'left'));
        doc.moveTo(MARGIN, y + ROW_HEIGHT).lineTo(MARGIN + span(0, widths.length - 1), y + ROW_HEIGHT).lineWidth(0.3).stroke('#d9d9d9');
        y += ROW_HEIGHT;
      }
    }

    doc.end();
    await done;
    session.release();
    return { rows: rows.length };
  } catch (error) {
    throw session.fail(error);
  }
}

/**
 * Table text in one of the two faces at the body size. Widths are remembered: a cell is measured to fit
 * and to align, and many cells repeat (dates, names, totals).
 */
class TableFaces {
  private face: typeof REGULAR | typeof BOLD = REGULAR;
  private readonly widths = new Map<string, number>();
  constructor(private readonly doc: PDFKit.PDFDocument) {}

  use(face: typeof REGULAR | typeof BOLD): void {
    this.face = face;
    this.doc.font(face).fontSize(BODY_SIZE);
  }

  width(text: string): number {
    const key = `${this.face === BOLD ? 'b' : 'r'}${text}`;
    let width = this.widths.get(key);
    if (width === undefined) {
      if (this.widths.size >= 100_000) this.widths.clear();
      width = this.doc.widthOfString(text, UNSHAPED);
      this.widths.set(key, width);
    }
    return width;
  }

  /** The text, cut with an ellipsis to fit `width` points. */
  fit(value: string, width: number): string {
    if (this.width(value) <= width) return value;
    const chars = Array.from(value);
    let low = 0;
    let high = chars.length;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (this.width(`${chars.slice(0, mid).join('')}…`) <= width) low = mid;
      else high = mid - 1;
    }
    return `${chars.slice(0, low).join('')}…`;
  }
}

/** Column widths in points: natural widths (header and rows as shown), scaled to fill the page width. */
function tableWidths(faces: TableFaces, plans: readonly ColumnPlan[], ranges: readonly HeaderRange[], rows: readonly BufferedRow[], contentWidth: number): number[] {
  const natural = plans.map((plan) => (plan.column.width !== undefined ? plan.column.width * BODY_SIZE * 0.6 : 0));
  const fixed = plans.map((plan) => plan.column.width !== undefined);
  faces.use(BOLD);
  for (const range of ranges) if (range.left === range.right && !fixed[range.left]) natural[range.left] = Math.max(natural[range.left]!, faces.width(range.text));
  faces.use(REGULAR);
  for (const row of rows.slice(0, 500)) {
    row.cells.forEach((value, i) => {
      if (!fixed[i] && value !== '') natural[i] = Math.max(natural[i]!, faces.width(value));
    });
  }
  const padded = natural.map((w) => Math.min(Math.max(w + 2 * PADDING + 2, 28), contentWidth / 2));
  const total = padded.reduce((a, b) => a + b, 0);
  return padded.map((w) => (w * contentWidth) / total);
}
