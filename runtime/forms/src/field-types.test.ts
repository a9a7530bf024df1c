import { describe, expect, test } from 'vitest';
import { compileForm } from './index.js';
import { codes, formOf } from './testing/fixtures.js';

const field = (extra: Record<string, unknown>) => compileForm(formOf([{ id: 'Field_x', ...extra }]));

describe('text fields', () => {
  test('email addresses follow the HTML definition form-js uses', () => {
    const form = field({ type: 'textfield', key: 'email', label: '电子邮箱', validate: { validationType: 'email' } });
    expect(form.validate({ email: 'billing@hzwater.com.cn' }).ok).toBe(true);
    expect(form.validate({ email: 'billing@hzwater' }).ok).toBe(true);
    expect(form.validate({ email: 'billing at hzwater.com.cn' })).toEqual({
      ok: false,
      issues: [
        {
          field: 'email',
          code: 'email',
          message: { 'zh-CN': '「电子邮箱」不是有效的电子邮箱地址', en: '"电子邮箱" must be a valid email address.' },
        },
      ],
    });
  });

  test('a pattern is searched, not anchored, exactly like the form tested it in the browser', () => {
    const form = field({ type: 'textfield', key: 'code', validate: { pattern: '\\d{3}' } });
    expect(form.validate({ code: 'DMA-123-北' }).ok).toBe(true);
    expect(codes(form.validate({ code: 'DMA-12' }))).toEqual([['code', 'pattern']]);
  });

  test('length limits count the trimmed text; several rule failures are all reported', () => {
    const form = field({
      type: 'textfield',
      key: 'account',
      validate: { minLength: 8, maxLength: '=maxAccountLength', pattern: '^[0-9]+$' },
    });
    expect(codes(form.validate({ account: '  12ab  ' }, { maxAccountLength: 12 }))).toEqual([
      ['account', 'minLength'],
      ['account', 'pattern'],
    ]);
    expect(codes(form.validate({ account: '1234567890123' }, { maxAccountLength: 12 }))).toEqual([
      ['account', 'maxLength'],
    ]);
  });

  test('a number where text belongs is a type issue', () => {
    expect(codes(field({ type: 'textarea', key: 'note' }).validate({ note: 42 }))).toEqual([['note', 'type']]);
  });
});

describe('number fields', () => {
  test('without serializeToString only JSON numbers are taken, and they stay numbers', () => {
    const form = field({ type: 'number', key: 'floors', decimalDigits: 0 });
    expect(form.validate({ floors: 6 })).toEqual({ ok: true, values: { floors: 6 } });
    expect(codes(form.validate({ floors: '6' }))).toEqual([['floors', 'type']]);
    expect(codes(form.validate({ floors: 6.5 }))).toEqual([['floors', 'decimalDigits']]);
    expect(form.validate({ floors: 6.5 }).ok === false && form.validate({ floors: 6.5 })).toMatchObject({
      issues: [{ message: { 'zh-CN': '「floors」必须是整数', en: '"floors" must be a whole number.' } }],
    });
  });

  test('increments are exact decimals: 0.3 is a multiple of 0.1 though 0.3 % 0.1 is not 0 in floats', () => {
    expect(0.3 % 0.1).not.toBe(0);
    const form = field({ type: 'number', key: 'pressure', increment: 0.1 });
    expect(form.validate({ pressure: 0.3 }).ok).toBe(true);
    expect(codes(form.validate({ pressure: 0.35 }))).toEqual([['pressure', 'increment']]);
  });

  test('a blank number is stored as null, and null clears an optional value', () => {
    const form = field({ type: 'number', key: 'leak', serializeToString: true });
    expect(form.validate({ leak: '' })).toEqual({ ok: true, values: { leak: null } });
    expect(form.validate({ leak: null })).toEqual({ ok: true, values: { leak: null } });
    expect(form.validate({})).toEqual({ ok: true, values: {} });
  });

  test('bounds may be FEEL over the data, including other fields of the same submission', () => {
    const form = compileForm(
      formOf([
        { type: 'number', id: 'Field_prev', key: 'previous', serializeToString: true },
        { type: 'number', id: 'Field_cur', key: 'current', serializeToString: true, validate: { min: '=previous' } },
      ]),
    );
    expect(codes(form.validate({ previous: 120.5, current: '120.4' }))).toEqual([['current', 'min']]);
    expect(form.validate({ previous: 120.5, current: '120.5' }).ok).toBe(true);
  });
});

describe('choices', () => {
  test('options are compared by value and type: 1 is not "1"', () => {
    const form = field({
      type: 'radio',
      key: 'tier',
      values: [
        { label: '第一阶梯', value: 1 },
        { label: '第二阶梯', value: 2 },
      ],
    });
    expect(form.validate({ tier: 2 })).toEqual({ ok: true, values: { tier: 2 } });
    expect(codes(form.validate({ tier: '2' }))).toEqual([['tier', 'option']]);
  });

  test('a taglist with static options', () => {
    const form = field({
      type: 'taglist',
      key: 'tags',
      values: [
        { label: '大用户', value: 'large' },
        { label: '低保户', value: 'subsidy' },
      ],
    });
    expect(form.validate({ tags: ['subsidy'] }).ok).toBe(true);
    expect(codes(form.validate({ tags: ['vip'] }))).toEqual([['tags', 'option']]);
  });

  test('options from an expression that cannot be evaluated here are not checked', () => {
    const form = field({ type: 'select', key: 'dma', valuesExpression: '=dmaCatalog[district = currentDistrict][1].options' });
    // The catalog is not among the task's variables: the expression yields null and the choice stands.
    expect(form.validate({ dma: 'DMA-07' })).toEqual({ ok: true, values: { dma: 'DMA-07' } });
    const catalog = { currentDistrict: 'east', dmaCatalog: [{ district: 'east', options: ['DMA-01', 'DMA-02'] }] };
    expect(codes(form.validate({ dma: 'DMA-07' }, catalog))).toEqual([['dma', 'option']]);
    expect(form.validate({ dma: 'DMA-02' }, catalog).ok).toBe(true);
  });

  test('options from an expression that yields a list are checked', () => {
    const form = field({ type: 'select', key: 'dma', valuesExpression: '=dmaOptions' });
    expect(codes(form.validate({ dma: 'DMA-07' }, { dmaOptions: [{ label: '一区', value: 'DMA-01' }] }))).toEqual([
      ['dma', 'option'],
    ]);
  });

  test('a checkbox takes true or false only', () => {
    const form = field({ type: 'checkbox', key: 'sealIntact' });
    expect(form.validate({ sealIntact: false })).toEqual({ ok: true, values: { sealIntact: false } });
    expect(codes(form.validate({ sealIntact: 'true' }))).toEqual([['sealIntact', 'type']]);
  });
});

describe('date and time fields', () => {
  test.each([
    ['date', undefined, '2024-02-29', true],
    ['date', undefined, '2023-02-29', false],
    ['date', undefined, '2024-2-9', false],
    ['time', undefined, '07:05', true],
    ['time', undefined, '07:05Z', false],
    ['time', 'no_timezone', '24:00', false],
    ['time', 'utc_normalized', '23:30Z', true],
    ['time', 'utc_normalized', '23:30', false],
    ['time', 'utc_offset', '23:30+08:00', true],
    ['time', 'utc_offset', '23:30+8', false],
    ['datetime', 'no_timezone', '2025-06-10T07:05', true],
    ['datetime', 'utc_normalized', '2025-06-10T07:05Z', true],
    ['datetime', 'utc_offset', '2025-06-10T07:05Z', false],
  ])('%s (%s): %s accepted: %s', (subtype, format, value, accepted) => {
    const form = field({ type: 'datetime', key: 'at', subtype, ...(format && { timeSerializingFormat: format }) });
    expect(form.validate({ at: value }).ok).toBe(accepted);
  });

  test('a datetime names itself by its date label in messages', () => {
    const form = field({ type: 'datetime', key: 'at', subtype: 'date', dateLabel: '停水日期' });
    expect(form.validate({ at: 20250610 })).toMatchObject({
      ok: false,
      issues: [{ field: 'at', code: 'type', message: { 'zh-CN': '「停水日期」应为文本' } }],
    });
  });
});

describe('read-only, disabled and hidden fields', () => {
  const form = compileForm(
    formOf([
      { type: 'select', id: 'Field_s', key: 'status', values: ['open', 'closed'] },
      { type: 'textfield', id: 'Field_a', key: 'account', disabled: true, validate: { required: true } },
      { type: 'textfield', id: 'Field_r', key: 'resolution', readonly: '=status = "closed"' },
      {
        type: 'group',
        id: 'Group_m',
        path: 'meter',
        conditional: { hide: '=status = "closed"' },
        components: [{ type: 'textfield', id: 'Field_n', key: 'no', validate: { required: true } }],
      },
    ]),
  );

  test('a disabled field is neither validated nor taken from the submission', () => {
    expect(form.validate({ status: 'open', account: 'HACK', meter: { no: 'M1' } }, { account: 'HZ-0001' })).toEqual({
      ok: true,
      values: { status: 'open', account: 'HZ-0001', meter: { no: 'M1' } },
    });
    expect(form.validate({ status: 'open', meter: { no: 'M1' } }, {})).toEqual({
      ok: true,
      values: { status: 'open', meter: { no: 'M1' } },
    });
  });

  test('readonly as a FEEL expression follows the data', () => {
    expect(form.validate({ status: 'open', resolution: '已修复', meter: { no: 'M1' } }, { resolution: '' })).toMatchObject({
      values: { resolution: '已修复' },
    });
    expect(form.validate({ status: 'closed', resolution: '改写' }, { resolution: '已修复' })).toEqual({
      ok: true,
      values: { status: 'closed', resolution: '已修复' },
    });
  });

  test('a hidden group drops its fields and their required rules; a scalar in its place is ignored too', () => {
    expect(form.validate({ status: 'closed', meter: { no: '' } })).toEqual({ ok: true, values: { status: 'closed' } });
    expect(codes(form.validate({ status: 'open' }))).toEqual([['meter.no', 'required']]);
    expect(codes(form.validate({ status: 'open', meter: { no: 'M1', brand: '宁波水表' } }))).toEqual([
      ['meter.brand', 'unknown_field'],
    ]);
  });
});

describe('containers and presentation', () => {
  test('presentation components bind no values', () => {
    const form = compileForm(
      formOf([
        { type: 'text', id: 'Field_t', text: '# 停水通知' },
        { type: 'html', id: 'Field_h', content: '<b>注意</b>' },
        { type: 'image', id: 'Field_i', source: 'https://example.com/valve.png', alt: '阀门' },
        { type: 'iframe', id: 'Field_f', url: 'https://gis.example.com', height: 300 },
        { type: 'table', id: 'Field_tb', dataSource: '=history', columns: [{ label: '月份', key: 'month' }] },
        { type: 'spacer', id: 'Field_sp', height: 30 },
        { type: 'separator', id: 'Field_se' },
        { type: 'button', id: 'Field_b', action: 'submit', label: '提交' },
      ]),
    );
    expect(form.fields).toEqual([]);
    expect(form.validate({})).toEqual({ ok: true, values: {} });
    expect(codes(form.validate({ history: [] }))).toEqual([['history', 'unknown_field']]);
  });

  test('nested dynamic lists see their item as `this` and the enclosing item as `parent`', () => {
    const form = compileForm(
      formOf([
        {
          type: 'dynamiclist',
          id: 'List_zones',
          label: '分区',
          path: 'zones',
          components: [
            { type: 'select', id: 'Field_kind', key: 'kind', values: ['residential', 'commercial'] },
            {
              type: 'dynamiclist',
              id: 'List_meters',
              label: '水表',
              path: 'meters',
              components: [
                { type: 'textfield', id: 'Field_no', key: 'meterNo', validate: { required: true } },
                {
                  type: 'textfield',
                  id: 'Field_license',
                  key: 'businessLicense',
                  conditional: { hide: '=parent.kind != "commercial"' },
                  validate: { required: true },
                },
              ],
            },
          ],
        },
      ]),
    );
    const result = form.validate({
      zones: [
        { kind: 'residential', meters: [{ meterNo: 'R1', businessLicense: 'dropped' }] },
        { kind: 'commercial', meters: [{ meterNo: 'C1', businessLicense: '91330100MA' }, { meterNo: '' }] },
      ],
    });
    expect(codes(result)).toEqual([
      ['zones.1.meters.1.meterNo', 'required'],
      ['zones.1.meters.1.businessLicense', 'required'],
    ]);
    expect(
      form.validate({
        zones: [
          { kind: 'residential', meters: [{ meterNo: 'R1', businessLicense: 'dropped' }] },
          { kind: 'commercial', meters: [{ meterNo: 'C1', businessLicense: '91330100MA' }] },
        ],
      }),
    ).toEqual({
      ok: true,
      values: {
        zones: [
          { kind: 'residential', meters: [{ meterNo: 'R1' }] },
          { kind: 'commercial', meters: [{ meterNo: 'C1', businessLicense: '91330100MA' }] },
        ],
      },
    });
  });

  test('a submission that is not an object is refused as a whole', () => {
    const form = field({ type: 'textfield', key: 'note' });
    expect(form.validate([] as unknown as Record<string, unknown>)).toEqual({
      ok: false,
      issues: [
        {
          field: '',
          code: 'type',
          message: { 'zh-CN': '提交的表单数据应为对象', en: 'The submitted form variables must be an object.' },
        },
      ],
    });
  });
});
