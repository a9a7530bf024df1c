import { describe, expect, test } from 'vitest';
import { compileForm } from './index.js';
import { codes, loadFormFixture } from './testing/fixtures.js';

// 10:00 in Shanghai on 10 June 2025.
const now = () => new Date('2025-06-10T02:00:00Z');
const form = compileForm(loadFormFixture('meter-repair-dispatch'), { now });

/** What the task was opened with: the work order and the teams the dispatcher may pick from. */
const task = {
  workOrderNo: 'WX-2025-000123',
  meterNo: '3301202405',
  repairTeams: [
    { label: '东区维修班', value: 'team-east' },
    { label: '西区维修班', value: 'team-west' },
  ],
};

const dispatch = {
  workOrderNo: 'WX-2025-000123',
  meterNo: '3301202405',
  faultType: 'leaking',
  repairTeam: 'team-east',
  priority: 'urgent',
  appointmentDate: '2025-06-11',
  appointmentTime: '09:30+08:00',
  contactPhone: '+8613812345678',
  customerNotified: true,
};

describe('meter repair dispatch form', () => {
  test('a complete dispatch is accepted and yields exactly the form variables', () => {
    expect(form.validate(dispatch, task)).toEqual({ ok: true, values: dispatch });
  });

  test('the "other fault" note is dropped while hidden, and required once "other" is chosen', () => {
    const leaking = form.validate({ ...dispatch, otherFaultDetail: '表箱内有积水' }, task);
    expect(leaking).toEqual({ ok: true, values: dispatch });

    const other = form.validate({ ...dispatch, faultType: 'other' }, task);
    expect(other).toEqual({
      ok: false,
      issues: [
        {
          field: 'otherFaultDetail',
          code: 'required',
          message: { 'zh-CN': '「其他故障说明」为必填项', en: '"其他故障说明" is required.' },
        },
      ],
    });

    const tooShort = form.validate({ ...dispatch, faultType: 'other', otherFaultDetail: ' 表坏 ' }, task);
    expect(codes(tooShort)).toEqual([['otherFaultDetail', 'minLength']]);

    const described = form.validate({ ...dispatch, faultType: 'other', otherFaultDetail: '表前阀门被施工方挖断' }, task);
    expect(described).toEqual({
      ok: true,
      values: { ...dispatch, faultType: 'other', otherFaultDetail: '表前阀门被施工方挖断' },
    });
  });

  test('every problem of a bad submission is listed, field by field, in form order', () => {
    const result = form.validate(
      {
        meterNo: '33-0120',
        faultType: 'exploded',
        repairTeam: 'team-north',
        appointmentDate: '2025-06-31',
        appointmentTime: '09:30',
        contactPhone: '138 1234 5678',
        customerNotified: 'yes',
      },
      task,
    );
    expect(codes(result)).toEqual([
      ['meterNo', 'pattern'],
      ['faultType', 'option'],
      ['repairTeam', 'option'],
      ['priority', 'required'],
      ['appointmentDate', 'format'],
      ['appointmentTime', 'format'],
      ['contactPhone', 'phone'],
      ['customerNotified', 'type'],
    ]);
    expect(result.ok === false && result.issues[5]).toEqual({
      field: 'appointmentTime',
      code: 'format',
      message: {
        'zh-CN': '「预约时间」的格式应为 HH:mm±hh:mm，且必须是有效的日期/时间',
        en: '"预约时间" must be a valid date/time written as HH:mm±hh:mm.',
      },
      params: { format: 'HH:mm±hh:mm' },
    });
  });

  test('the customer must have been notified: an unchecked required checkbox is refused', () => {
    expect(codes(form.validate({ ...dispatch, customerNotified: false }, task))).toEqual([
      ['customerNotified', 'required'],
    ]);
  });

  test('a variable that is not a form field is refused, as Tasklist never submits one', () => {
    const result = form.validate({ ...dispatch, approved: true }, task);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          field: 'approved',
          code: 'unknown_field',
          message: {
            'zh-CN': '「approved」不是此表单的字段，提交被拒绝',
            en: '"approved" is not a field of this form and cannot be submitted.',
          },
        },
      ],
    });
  });

  test('the work order number is read-only: a changed value is ignored and the task keeps its own', () => {
    const result = form.validate({ ...dispatch, workOrderNo: 'WX-FORGED-1' }, task);
    expect(result).toEqual({ ok: true, values: { ...dispatch, workOrderNo: 'WX-2025-000123' } });
  });

  test('repair teams come from the task variables, never from the submission', () => {
    const smuggled = form.validate(
      { ...dispatch, repairTeam: 'team-ghost', repairTeams: [{ label: '幽灵班组', value: 'team-ghost' }] },
      task,
    );
    expect(codes(smuggled)).toEqual([
      ['repairTeam', 'option'],
      ['repairTeams', 'unknown_field'],
    ]);

    // Without the list in the task's variables the team cannot be checked here, so it is not.
    const { repairTeams: _teams, ...withoutTeams } = task;
    expect(form.validate({ ...dispatch, repairTeam: 'team-ghost' }, withoutTeams)).toEqual({
      ok: true,
      values: { ...dispatch, repairTeam: 'team-ghost' },
    });
  });

  test('an appointment in the past is refused by the tenant calendar, not by UTC', () => {
    const yesterday = form.validate({ ...dispatch, appointmentDate: '2025-06-09' }, task);
    expect(yesterday).toEqual({
      ok: false,
      issues: [
        {
          field: 'appointmentDate',
          code: 'pastDate',
          message: {
            'zh-CN': '「预约上门日期」不能早于今天（2025-06-10）',
            en: '"预约上门日期" must not be before today (2025-06-10).',
          },
          params: { today: '2025-06-10' },
        },
      ],
    });
    expect(form.validate({ ...dispatch, appointmentDate: '2025-06-10' }, task).ok).toBe(true);

    // 01:00 on 10 June in Shanghai is still 9 June in UTC; the utility's day has already turned.
    const earlyMorning = compileForm(loadFormFixture('meter-repair-dispatch'), {
      now: () => new Date('2025-06-09T17:00:00Z'),
    });
    expect(codes(earlyMorning.validate({ ...dispatch, appointmentDate: '2025-06-09' }, task))).toEqual([
      ['appointmentDate', 'pastDate'],
    ]);
    const inUtc = compileForm(loadFormFixture('meter-repair-dispatch'), {
      timeZone: 'UTC',
      now: () => new Date('2025-06-09T17:00:00Z'),
    });
    expect(inUtc.validate({ ...dispatch, appointmentDate: '2025-06-09' }, task).ok).toBe(true);
  });

  test('phone numbers are international as in form-js: +86 or 0086, not a bare mobile number', () => {
    expect(form.validate({ ...dispatch, contactPhone: '008613812345678' }, task).ok).toBe(true);
    expect(codes(form.validate({ ...dispatch, contactPhone: '13812345678' }, task))).toEqual([['contactPhone', 'phone']]);
    // Optional: a blank phone is fine and stored as submitted.
    expect(form.validate({ ...dispatch, contactPhone: '' }, task)).toEqual({
      ok: true,
      values: { ...dispatch, contactPhone: '' },
    });
  });
});
