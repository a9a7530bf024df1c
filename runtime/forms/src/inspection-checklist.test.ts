import { describe, expect, test } from 'vitest';
import { compileForm } from './index.js';
import { codes, loadFormFixture } from './testing/fixtures.js';

const form = compileForm(loadFormFixture('inspection-checklist'));

const task = {
  routeName: '城东 DN300 主干管 A 线',
  staff: [
    { label: '张伟', value: 'u-zhangwei' },
    { label: '李娜', value: 'u-lina' },
  ],
};

const valve = { pointId: 'VA-0101', facility: 'valve', result: 'ok', photoTaken: true };
const hydrant = {
  pointId: 'HY-0102',
  facility: 'hydrant',
  result: 'defect',
  defectType: 'blocked',
  leakRate: 2.5,
  defectNote: '出水口被杂物堵塞，已清理，需复查',
  photoTaken: true,
};

const record = {
  inspectedAt: '2025-06-10T09:30+08:00',
  inspectors: ['u-zhangwei', 'u-lina'],
  checkpoints: [valve, hydrant],
  remarks: '',
};

describe('pipe inspection checklist form', () => {
  test('a round with a defect is accepted; the defect fields of a sound point are dropped', () => {
    const result = form.validate(
      { ...record, routeName: '改过的路线', checkpoints: [{ ...valve, defectType: 'leaking', defectNote: '无' }, hydrant] },
      task,
    );
    expect(result).toEqual({
      ok: true,
      values: { ...record, routeName: '城东 DN300 主干管 A 线' },
    });
  });

  test('issues inside the list name the item by its index', () => {
    const result = form.validate(
      {
        ...record,
        checkpoints: [
          { pointId: 'va-101', facility: 'valve', result: 'defect', defectType: 'blocked', leakRate: -1.25 },
          { facility: 'tower', result: 'ok' },
        ],
      },
      task,
    );
    expect(codes(result)).toEqual([
      ['checkpoints.0.pointId', 'pattern'],
      ['checkpoints.0.defectType', 'option'],
      ['checkpoints.0.leakRate', 'decimalDigits'],
      ['checkpoints.0.leakRate', 'min'],
      ['checkpoints.0.defectNote', 'required'],
      ['checkpoints.1.pointId', 'required'],
      ['checkpoints.1.facility', 'option'],
    ]);
    expect(result.ok === false && result.issues[1]!.message).toEqual({
      'zh-CN': '「缺陷类型」的值 "blocked" 不在可选项中',
      en: '"缺陷类型": "blocked" is not one of the options.',
    });
  });

  test('defect types depend on the facility of the same item (valuesExpression over `this`)', () => {
    const blockedValve = { ...hydrant, facility: 'valve' };
    expect(codes(form.validate({ ...record, checkpoints: [hydrant, blockedValve] }, task))).toEqual([
      ['checkpoints.1.defectType', 'option'],
    ]);
  });

  test('the round needs between 1 and 50 checkpoints', () => {
    const none = form.validate({ ...record, checkpoints: [] }, task);
    expect(none).toEqual({
      ok: false,
      issues: [
        {
          field: 'checkpoints',
          code: 'minItems',
          message: { 'zh-CN': '「巡检点」至少需要 1 项', en: '"巡检点" needs at least 1 item.' },
          params: { minItems: 1 },
        },
      ],
    });
    const { checkpoints: _points, ...withoutList } = record;
    expect(codes(form.validate(withoutList, task))).toEqual([['checkpoints', 'minItems']]);
    const tooMany = Array.from({ length: 51 }, (_, index) => ({
      ...valve,
      pointId: `VA-${String(index).padStart(4, '0')}`,
    }));
    expect(codes(form.validate({ ...record, checkpoints: tooMany }, task))).toEqual([['checkpoints', 'maxItems']]);
  });

  test('a list that is not a list, or an item that is not an object, is a type issue', () => {
    expect(codes(form.validate({ ...record, checkpoints: valve }, task))).toEqual([['checkpoints', 'type']]);
    expect(codes(form.validate({ ...record, checkpoints: [valve, 'HY-0102'] }, task))).toEqual([
      ['checkpoints.1', 'type'],
    ]);
  });

  test('keys in an item that no field binds are refused with their full path', () => {
    const result = form.validate({ ...record, checkpoints: [valve, { ...hydrant, gps: [120.1, 30.2] }] }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'checkpoints.1.gps',
          code: 'unknown_field',
          message: {
            'zh-CN': '「checkpoints.1.gps」不是此表单的字段，提交被拒绝',
            en: '"checkpoints.1.gps" is not a field of this form and cannot be submitted.',
          },
        },
      ],
    });
  });

  test('inspectors are picked from the task staff list; at least one is required', () => {
    expect(codes(form.validate({ ...record, inspectors: [] }, task))).toEqual([['inspectors', 'required']]);
    expect(codes(form.validate({ ...record, inspectors: ['u-zhangwei', 'u-intruder'] }, task))).toEqual([
      ['inspectors', 'option'],
    ]);
  });

  test('the inspection time is a form-js date-time with UTC offset', () => {
    for (const bad of ['2025-06-10T09:30:00+08:00', '2025-02-30T09:30+08:00', '2025-06-10 09:30', '2025-06-10T09:30']) {
      expect(codes(form.validate({ ...record, inspectedAt: bad }, task))).toEqual([['inspectedAt', 'format']]);
    }
    expect(form.validate({ ...record, inspectedAt: '2025-06-10T23:45-05:00' }, task).ok).toBe(true);
  });
});
