/** The readings part's parsers, without a runtime: litres, m³, times, photos, file rows, estimates. */
import { describe, expect, it } from 'vitest';
import { parseHandReading } from './hand.js';
import { checkRows, fileOf } from './imports.js';
import { estimateL, reviewForm, reviewProcessXml } from './review.js';
import { readCsv } from './sheet.js';
import { localText, parseReadingTime } from './time.js';
import { parseCoordinate, parseCubicMetres, parseLitres, parsePhoto, PHOTO_MAX_BYTES } from './values.js';

const SH = 'Asia/Shanghai';

describe('litres and m³', () => {
  it('takes integer litres as digits or a safe integer, never a float', () => {
    expect(parseLitres(123)).toEqual({ ok: true, value: 123n });
    expect(parseLitres('000123')).toEqual({ ok: true, value: 123n });
    expect(parseLitres('123456789012345678')).toEqual({ ok: true, value: 123456789012345678n });
    expect(parseLitres(12.5)).toEqual({ ok: false, code: 'value_not_integer', text: '12.5' });
    expect(parseLitres('12.0')).toEqual({ ok: false, code: 'value_not_integer', text: '12.0' });
    expect(parseLitres(-3)).toEqual({ ok: false, code: 'value_negative', text: '-3' });
    expect(parseLitres('1e3')).toEqual({ ok: false, code: 'value_bad', text: '1e3' });
    expect(parseLitres(2 ** 53)).toMatchObject({ ok: false, code: 'value_too_large' });
    expect(parseLitres('1234567890123456789')).toMatchObject({ ok: false, code: 'value_too_large' });
    expect(parseLitres(undefined)).toMatchObject({ ok: false, code: 'value_required' });
    expect(parseLitres(true)).toMatchObject({ ok: false, code: 'value_bad' });
  });

  it('turns m³ with at most three decimals into exact litres by string arithmetic', () => {
    expect(parseCubicMetres('12.345')).toEqual({ ok: true, value: 12_345n });
    expect(parseCubicMetres('7')).toEqual({ ok: true, value: 7_000n });
    expect(parseCubicMetres('0.5')).toEqual({ ok: true, value: 500n });
    expect(parseCubicMetres(0.1)).toEqual({ ok: true, value: 100n }); // 0.1 as the decimal it prints as
    expect(parseCubicMetres(1234.567)).toEqual({ ok: true, value: 1_234_567n });
    expect(parseCubicMetres('1.2300')).toEqual({ ok: true, value: 1_230n });
    expect(parseCubicMetres('99999999.999')).toEqual({ ok: true, value: 99_999_999_999n });
    expect(parseCubicMetres('1.2345')).toEqual({ ok: false, code: 'value_decimals', text: '1.2345' });
    expect(parseCubicMetres('-1.5')).toEqual({ ok: false, code: 'value_negative', text: '-1.5' });
    expect(parseCubicMetres('12,5')).toEqual({ ok: false, code: 'value_bad', text: '12,5' });
  });
});

describe('reading times', () => {
  it('reads ISO with a zone as given and wall-clock times in the tenant zone', () => {
    expect(parseReadingTime('2025-03-01T08:00:00Z', SH)?.toISOString()).toBe('2025-03-01T08:00:00.000Z');
    expect(parseReadingTime('2025-03-01T08:00+08:00', SH)?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(parseReadingTime('2025-03-01 08:00', SH)?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(parseReadingTime('2025-03-01', SH)?.toISOString()).toBe('2025-02-28T16:00:00.000Z');
    expect(parseReadingTime('2025-03-01 08:00', 'Europe/Berlin')?.toISOString()).toBe('2025-03-01T07:00:00.000Z');
    // Summer time in Berlin: 2025-07-01 08:00 is UTC+2.
    expect(parseReadingTime('2025-07-01 08:00:30.5', 'Europe/Berlin')?.toISOString()).toBe('2025-07-01T06:00:30.500Z');
    for (const bad of ['2025-02-30 08:00', '2025-13-01 08:00', '2025-03-01 24:00', '01/03/2025 08:00', '2025-03-01 08:00+15:00', 'soon']) {
      expect(parseReadingTime(bad, SH), bad).toBeNull();
    }
    expect(localText(new Date('2025-03-01T00:00:00Z'), SH)).toBe('2025-03-01 08:00');
  });
});

describe('photos and coordinates', () => {
  const dataUrl = (bytes: number) => `data:image/jpeg;base64,${Buffer.alloc(bytes, 7).toString('base64')}`;

  it('takes a data URL up to 2 MB decoded, or an http(s) URL', () => {
    expect(parsePhoto(dataUrl(1000))).toMatchObject({ ok: true });
    expect(parsePhoto(dataUrl(PHOTO_MAX_BYTES))).toMatchObject({ ok: true });
    expect(parsePhoto(dataUrl(PHOTO_MAX_BYTES + 1))).toMatchObject({ ok: false, code: 'photo_too_large' });
    expect(parsePhoto('https://files.example.cn/p/1.jpg')).toMatchObject({ ok: true });
    expect(parsePhoto('data:text/plain;base64,aGVsbG8=')).toMatchObject({ ok: false, code: 'photo_bad' });
    expect(parsePhoto('data:image/png;base64,@@@@')).toMatchObject({ ok: false, code: 'photo_bad' });
    expect(parsePhoto('ftp://x/y.jpg')).toMatchObject({ ok: false, code: 'photo_bad' });
    expect(parseCoordinate(30.123456789, 90)).toBe('30.123457');
    expect(parseCoordinate('-120.5', 180)).toBe('-120.500000');
    expect(parseCoordinate(91, 90)).toBeNull();
  });

  it('refuses a hand reading over 2 MB of photo with messages in zh-CN and en', () => {
    const body = { meterId: 1, readAt: '2025-03-01 08:00', valueL: 5, photo: dataUrl(PHOTO_MAX_BYTES + 10) };
    expect(() => parseHandReading(body, SH)).toThrow(expect.objectContaining({ code: 'validation_failed', path: 'body.photo', messages: { 'zh-CN': '照片不能超过 2 MB', en: 'The photo must not exceed 2 MB' } }));
    expect(() => parseHandReading({ ...body, photo: undefined, valueL: 5.5 }, SH)).toThrow(
      expect.objectContaining({ path: 'body.valueL', messages: { 'zh-CN': '读数 5.5 必须是整数升', en: 'The reading 5.5 must be a whole number of litres' } }),
    );
    expect(() => parseHandReading({ ...body, photo: undefined, extra: 1 }, SH)).toThrow(expect.objectContaining({ path: 'body.extra' }));
    const now = new Date('2025-03-01T00:00:00Z');
    expect(() => parseHandReading({ ...body, photo: undefined, readAt: '2025-03-01 09:00' }, SH, now)).toThrow(expect.objectContaining({ path: 'body.readAt', messages: expect.objectContaining({ en: 'The reading time 2025-03-01 09:00 is in the future' }) }));
    expect(parseHandReading({ meterId: '12', readAt: '2025-03-01 08:00', valueL: '000042', latitude: 30.5, longitude: 120.25, note: ' 表盘有雾 ' }, SH, now)).toEqual({
      meterId: 12n,
      at: new Date('2025-03-01T00:00:00Z'),
      valueL: 42n,
      photo: null,
      latitude: '30.500000',
      longitude: '120.250000',
      note: '表盘有雾',
    });
  });
});

describe('import files', () => {
  const csv = (text: string) => {
    const sheet = readCsv(new TextEncoder().encode(text), 100);
    if (!sheet.ok) throw new Error('unreadable');
    return checkRows(sheet.rows, SH, new Date('2026-01-01T00:00:00Z'));
  };

  it('reports every bad field of every row, with its row number, and repeats within the file', () => {
    const checked = csv(
      [
        '表号,抄表时间,读数(m³)',
        'M1,2025-03-01 08:00,12.345',
        ',2025-03-01 08:00,1',
        'M2,2025/03/01,1.2345',
        'M1,2025-03-01T00:00:00Z,12.345',
        'M3,2027-01-01 08:00,-1',
      ].join('\r\n'),
    );
    if ('missing' in checked) throw new Error('header');
    expect(checked.rows.map((r) => ({ row: r.row, valueL: r.valueL, errors: r.errors.map((e) => `${e.field}:${e.code}`) }))).toEqual([
      { row: 2, valueL: 12_345n, errors: [] },
      { row: 3, valueL: 1_000n, errors: ['meterNo:meter_required'] },
      { row: 4, valueL: null, errors: ['readAt:date_bad', 'valueM3:value_decimals'] },
      { row: 5, valueL: 12_345n, errors: ['readAt:duplicate_row'] },
      { row: 6, valueL: null, errors: ['readAt:date_future', 'valueM3:value_negative'] },
    ]);
    expect(checked.rows[3]!.errors[0]!.messages).toEqual({ 'zh-CN': '第 5 行：与第 2 行重复（同一水表、同一抄表时间）', en: 'Row 5: Repeats row 2 (same meter, same reading time)' });
  });

  it('names the missing columns, and checks the upload', () => {
    expect(csv('meterNo,valueL\nM1,5')).toEqual({ missing: ['readAt'] });
    expect(() => fileOf({ fileName: 'a.csv', format: 'txt', content: '' })).toThrow(expect.objectContaining({ path: 'body.format' }));
    expect(() => fileOf({ fileName: 'a.csv', format: 'csv', content: 'not base64!' })).toThrow(expect.objectContaining({ path: 'body.content', messages: { 'zh-CN': '文件内容应为 base64 编码', en: 'The file content must be base64' } }));
    expect(() => fileOf({ fileName: 'a.csv', format: 'csv', content: 'A'.repeat(14_000_000) })).toThrow(expect.objectContaining({ messages: expect.objectContaining({ en: 'The file must not exceed 10 MB' }) }));
    expect(fileOf({ fileName: ' a.csv ', format: 'csv', content: Buffer.from('x').toString('base64') })).toMatchObject({ fileName: 'a.csv', format: 'csv' });
  });
});

describe('review artefacts', () => {
  it('estimates from the base and the average over whole local days, wrapping at the capacity', () => {
    const base = new Date('2025-03-05T01:00:00Z');
    expect(estimateL(604_000n, base, new Date('2025-03-10T01:00:00Z'), 1_000n, null, SH)).toBe(609_000n);
    expect(estimateL(604_000n, base, new Date('2025-03-10T00:59:00Z'), 1_000n, null, SH)).toBe(608_000n);
    expect(estimateL(9_999_000n, base, new Date('2025-03-10T01:00:00Z'), 1_000n, 10_000_000n, SH)).toBe(4_000n);
    expect(estimateL(604_000n, base, new Date('2025-03-10T01:00:00Z'), null, null, SH)).toBe(604_000n);
  });

  it('declares plain BPMN conditions and a form-js form', () => {
    expect(reviewProcessXml).toContain('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=outcome = "approve"</bpmn:conditionExpression>');
    expect(reviewProcessXml).toContain('candidateGroups="metering-reviewer"');
    expect(reviewProcessXml.match(/zeebe:taskDefinition type="metering.apply-review"/g)).toHaveLength(3);
    expect(reviewForm.components.map((c) => (c as { key?: string }).key ?? c.type)).toEqual(['text', 'outcome', 'correctedL', 'comment']);
  });
});
