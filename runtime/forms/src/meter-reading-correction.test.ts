import { describe, expect, test } from 'vitest';
import { compileForm } from './index.js';
import { codes, loadFormFixture } from './testing/fixtures.js';

const form = compileForm(loadFormFixture('meter-reading-correction'));

/** The reading under correction, as the billing process hands it to the task. */
const task = {
  original: { reading: '1243.560', readAt: '2025-05-31T09:12+08:00' },
  billedVolume: 9,
};

const correction = {
  reading: { value: '1234.560' },
  correctionVolume: '-2.5',
  refundAmount: -12.35,
  reasonCategory: 'misread',
  reason: '抄表员误将 1234 抄成 1243，已现场复核',
  evidence: ['photo', 'field_check'],
};

describe('meter reading correction form', () => {
  test('a correction is accepted with its decimals exactly as submitted', () => {
    const result = form.validate(correction, task);
    expect(result).toEqual({
      ok: true,
      values: {
        // read-only: the task's original reading, untouched
        original: { reading: '1243.560', readAt: '2025-05-31T09:12+08:00' },
        ...correction,
        // computed on the server
        needsReview: false,
      },
    });
    // The corrected volume stays the submitted decimal text, trailing zero included.
    expect(result.ok && (result.values.reading as { value: unknown }).value).toBe('1234.560');
  });

  test('more decimals than decimalDigits are refused, for decimal strings and JSON numbers alike', () => {
    const result = form.validate({ ...correction, reading: { value: '1234.5601' }, refundAmount: 1.234 }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'reading.value',
          code: 'decimalDigits',
          message: {
            'zh-CN': '「更正后读数 (m³)」最多保留 3 位小数',
            en: '"更正后读数 (m³)" must have at most 3 decimal digits.',
          },
          params: { decimalDigits: 3 },
        },
        {
          field: 'refundAmount',
          code: 'decimalDigits',
          message: {
            'zh-CN': '「退补金额 (元)」最多保留 2 位小数',
            en: '"退补金额 (元)" must have at most 2 decimal digits.',
          },
          params: { decimalDigits: 2 },
        },
      ],
    });
    // Trailing zeros are not extra precision (form-js counts 1.230 as two decimals).
    expect(form.validate({ ...correction, refundAmount: 12.3, reading: { value: '1234.5600' } }, task)).toMatchObject({
      ok: true,
      values: { reading: { value: '1234.5600' }, refundAmount: 12.3 },
    });
  });

  test('the reason is required, and blanks do not count as a reason', () => {
    const { reason: _reason, ...withoutReason } = correction;
    expect(codes(form.validate(withoutReason, task))).toEqual([['reason', 'required']]);
    expect(codes(form.validate({ ...correction, reason: '   \n ' }, task))).toEqual([['reason', 'required']]);
    expect(codes(form.validate({ ...correction, reason: '抄错了' }, task))).toEqual([['reason', 'minLength']]);
    expect(codes(form.validate({ ...correction, reason: '误'.repeat(501) }, task))).toEqual([['reason', 'maxLength']]);
  });

  test('numbers: a serializeToString field takes numeric text or a JSON number and stores text', () => {
    expect(form.validate({ ...correction, reading: { value: 1234.5 } }, task)).toMatchObject({
      ok: true,
      values: { reading: { value: '1234.5' } },
    });
    const result = form.validate(
      { ...correction, reading: { value: '1,5' }, correctionVolume: '1e3', refundAmount: '12.30' },
      task,
    );
    expect(codes(result)).toEqual([
      ['reading.value', 'type'],
      ['correctionVolume', 'type'],
      ['refundAmount', 'type'],
    ]);
    expect(result.ok === false && result.issues.map((issue) => issue.message.en)).toEqual([
      '"更正后读数 (m³)" must be a number or a numeric string.',
      '"估算更正水量 (m³，按 0.5 递增)" must be a number or a numeric string.',
      '"退补金额 (元)" must be a number.',
    ]);
  });

  test('an integer beyond what a JSON number holds exactly is refused rather than rounded', () => {
    // What JSON.parse makes of an HTTP body carrying 20 digits: the nearest double, silently.
    const body = JSON.parse('{"refundAmount": 12345678901234567890}') as { refundAmount: number };
    const result = form.validate({ ...correction, ...body }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'refundAmount',
          code: 'type',
          message: {
            'zh-CN': '「退补金额 (元)」的数值过大，无法精确表示，请以字符串提交',
            en: '"退补金额 (元)" is too large to be exact as a JSON number; submit it as a string.',
          },
        },
      ],
    });
  });

  test('min and max are compared as decimals, and a FEEL bound is read from the task variables', () => {
    const result = form.validate(
      { ...correction, reading: { value: '-0.001' }, correctionVolume: '-9.5', refundAmount: 100000.01 },
      task,
    );
    expect(codes(result)).toEqual([
      ['reading.value', 'min'],
      ['correctionVolume', 'min'],
      ['refundAmount', 'max'],
    ]);
    expect(result.ok === false && result.issues.map((issue) => [issue.message['zh-CN'], issue.params])).toEqual([
      ['「更正后读数 (m³)」不能小于 0', { min: '0' }],
      ['「估算更正水量 (m³，按 0.5 递增)」不能小于 -9', { min: '-9' }],
      ['「退补金额 (元)」不能大于 100000', { max: '100000' }],
    ]);
    expect(form.validate({ ...correction, reading: { value: '99999.999' }, correctionVolume: '-9' }, task).ok).toBe(true);
    // Without the billed volume the FEEL bound has no value and, as in form-js, is not enforced.
    expect(form.validate({ ...correction, correctionVolume: '-100' }, { original: task.original }).ok).toBe(true);
  });

  test('the correction volume moves in steps of 0.5 m³', () => {
    const result = form.validate({ ...correction, correctionVolume: '-3.2' }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'correctionVolume',
          code: 'increment',
          message: {
            'zh-CN': '「估算更正水量 (m³，按 0.5 递增)」必须是 0.5 的整数倍，最接近的有效值为 -3.5 和 -3',
            en: '"估算更正水量 (m³，按 0.5 递增)" must be a multiple of 0.5; the nearest valid values are -3.5 and -3.',
          },
          params: { increment: '0.5' },
        },
      ],
    });
  });

  test('evidence is a required checklist of known options without repeats', () => {
    expect(codes(form.validate({ ...correction, evidence: [] }, task))).toEqual([['evidence', 'required']]);
    expect(codes(form.validate({ ...correction, evidence: ['photo', 'selfie', 'photo'] }, task))).toEqual([
      ['evidence', 'option'],
      ['evidence', 'duplicate'],
    ]);
    expect(codes(form.validate({ ...correction, evidence: 'photo' }, task))).toEqual([['evidence', 'type']]);
  });

  test('the original reading cannot be rewritten through the submission', () => {
    const result = form.validate({ ...correction, original: { reading: '0.000', readAt: '2025-01-01T00:00+08:00' } }, task);
    expect(result).toMatchObject({ ok: true, values: { original: task.original } });
  });

  test('needsReview is computed by the server whatever the client claims', () => {
    const estimated = form.validate({ ...correction, reasonCategory: 'estimated', needsReview: false }, task);
    expect(estimated).toMatchObject({ ok: true, values: { needsReview: true } });
    const misread = form.validate({ ...correction, needsReview: true }, task);
    expect(misread).toMatchObject({ ok: true, values: { needsReview: false } });
  });

  test('a scalar where the form keeps an object is one type issue, not a cascade', () => {
    const result = form.validate({ ...correction, reading: 1234.56 }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'reading',
          code: 'type',
          message: { 'zh-CN': '「reading」应为对象', en: '"reading" must be an object.' },
        },
      ],
    });
  });
});
