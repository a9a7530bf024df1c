import { describe, expect, test } from 'vitest';
import { compileForm, FormSchemaError } from './index.js';
import { formOf, loadFormFixture } from './testing/fixtures.js';

function schemaIssues(schema: unknown) {
  try {
    compileForm(schema);
  } catch (error) {
    expect(error).toBeInstanceOf(FormSchemaError);
    return (error as FormSchemaError).issues;
  }
  throw new Error('the schema was accepted');
}

describe('form schema checks', () => {
  test('a schema with many mistakes is refused with every one of them located', () => {
    const issues = schemaIssues(
      formOf(
        [
          { type: 'textfield', id: 'Field_a', label: '表号' },
          { type: 'textfield', id: 'Field_b', key: 'meter no' },
          { type: 'textfield', id: 'Field_c', key: 'meterNo', validate: { pattern: '[0-9' } },
          { type: 'number', id: 'Field_d', key: 'meterNo' },
          { type: 'textarea', id: 'Field_e', key: 'note', conditional: { hide: '=faultType = ' } },
          { type: 'textarea', id: 'Field_f', key: 'note2', conditional: { hide: 'faultType = "other"' } },
          { type: 'select', id: 'Field_g', key: 'team' },
          { type: 'dynamiclist', id: 'List_h', components: [] },
          { type: 'filepicker', id: 'Field_i', key: 'photos' },
          { type: 'signature', id: 'Field_j', key: 'sign' },
          { type: 'checkbox', id: 'Field_a', key: 'agreed' },
          { type: 'group', id: 'Group_k', path: 'meterNo.detail', components: [] },
          { type: 'number', id: 'Field_l', key: 'amount', decimalDigits: -1, increment: '0' },
          { type: 'number', id: 'Field_m', key: 'volume', validate: { min: 'ten' } },
          { type: 'expression', id: 'Field_n', key: 'total', expression: '=sum(' },
        ],
        12,
      ),
    );
    expect(issues).toEqual([
      { path: 'schemaVersion', reason: expect.stringContaining('schemaVersion 12 is not supported (16–19)') },
      { path: 'components.0.key', reason: expect.stringContaining('expected string') },
      { path: 'components.1.key', reason: 'must be a variable name or a dot-separated path of them' },
      { path: 'components.2.validate.pattern', reason: expect.stringContaining('not a valid regular expression') },
      { path: 'components.3.key', reason: "'meterNo' is already bound to the textfield field at components.2" },
      { path: 'components.4.conditional.hide', reason: expect.stringMatching(/^FEEL syntax error/) },
      { path: 'components.5.conditional.hide', reason: 'must be a FEEL expression starting with "="' },
      { path: 'components.6', reason: 'a select needs options: values, valuesKey or valuesExpression' },
      { path: 'components.7.path', reason: 'a dynamic list needs a path: its items are stored as a list under it' },
      { path: 'components.8.type', reason: 'file uploads in task forms are not supported by Shuiyun yet' },
      { path: 'components.9.type', reason: "unsupported component type 'signature'" },
      { path: 'components.10.id', reason: "id 'Field_a' is already used by components.0" },
      { path: 'components.11.path', reason: "'meterNo' is already bound to the textfield field at components.2" },
      { path: 'components.12.decimalDigits', reason: expect.any(String) },
      { path: 'components.13.validate.min', reason: 'must be a number or a FEEL expression' },
      { path: 'components.14.expression', reason: expect.stringMatching(/^FEEL syntax error/) },
    ]);
  });

  test('the error says what is wrong in its message too', () => {
    const error = (() => {
      try {
        compileForm({ type: 'default', schemaVersion: 18 });
      } catch (caught) {
        return caught as FormSchemaError;
      }
      throw new Error('accepted');
    })();
    expect(error.code).toBe('invalid_form_schema');
    expect(error.issues).toEqual([{ path: 'components', reason: expect.stringContaining('expected array') }]);
    expect(error.message).toMatch(/^Invalid form schema: components: /);
  });

  test('a value path cannot also be a group path or hold a list', () => {
    expect(
      schemaIssues(
        formOf([
          { type: 'group', id: 'Group_a', path: 'reading', components: [{ type: 'number', id: 'Field_a', key: 'value' }] },
          { type: 'textfield', id: 'Field_b', key: 'reading' },
          { type: 'dynamiclist', id: 'List_c', path: 'reading.value', components: [] },
          { type: 'textfield', id: 'Field_d', key: 'reading.note' },
        ]),
      ),
    ).toEqual([
      { path: 'components.1.key', reason: "'reading' is already used as a group path and cannot also hold a value" },
      { path: 'components.2.path', reason: "'reading.value' is already bound to the number field at components.0.components.0" },
    ]);
  });

  test('the same key may sit in a list item and outside it, and two groups may share a path', () => {
    const form = compileForm(
      formOf([
        { type: 'textfield', id: 'Field_a', key: 'note' },
        { type: 'dynamiclist', id: 'List_b', path: 'items', components: [{ type: 'textfield', id: 'Field_c', key: 'note' }] },
        { type: 'group', id: 'Group_d', path: 'meter', components: [{ type: 'textfield', id: 'Field_e', key: 'no' }] },
        { type: 'group', id: 'Group_f', path: 'meter', components: [{ type: 'textfield', id: 'Field_g', key: 'caliber' }] },
      ]),
    );
    expect(form.fields.map((field) => field.path)).toEqual(['note', 'items', 'items[].note', 'meter.no', 'meter.caliber']);
  });

  test('keys cannot reach into object machinery', () => {
    expect(
      schemaIssues(
        formOf([
          { type: 'textfield', id: 'Field_a', key: 'meter.__proto__' },
          { type: 'group', id: 'Group_b', path: 'constructor', components: [] },
        ]),
      ),
    ).toEqual([
      { path: 'components.0.key', reason: 'must not use __proto__, constructor or prototype as a name' },
      { path: 'components.1.path', reason: 'must not use __proto__, constructor or prototype as a name' },
    ]);
  });

  test('not a form at all', () => {
    expect(schemaIssues('{"type":"default"}')).toEqual([{ path: '', reason: expect.stringContaining('expected object') }]);
    expect(schemaIssues({ type: 'bpmn', schemaVersion: 18, components: [] })).toEqual([
      { path: 'type', reason: expect.stringContaining('"default"') },
    ]);
  });

  test('the fixtures compile and list their fields', () => {
    const inspection = compileForm(loadFormFixture('inspection-checklist'));
    expect(inspection).toMatchObject({ id: 'Form_PipeInspection', schemaVersion: 17 });
    expect(inspection.fields.map((field) => [field.path, field.type, field.required, field.conditional])).toEqual([
      ['routeName', 'textfield', false, false],
      ['inspectedAt', 'datetime', true, false],
      ['inspectors', 'taglist', true, false],
      ['checkpoints', 'dynamiclist', true, false],
      ['checkpoints[].pointId', 'textfield', true, false],
      ['checkpoints[].facility', 'select', true, false],
      ['checkpoints[].result', 'radio', true, false],
      ['checkpoints[].defectType', 'select', true, true],
      ['checkpoints[].leakRate', 'number', false, true],
      ['checkpoints[].defectNote', 'textarea', true, true],
      ['checkpoints[].photoTaken', 'checkbox', false, false],
      ['remarks', 'textarea', false, false],
    ]);
    expect(inspection.fields[0]).toEqual({
      id: 'Field_routeName',
      label: '巡检路线',
      type: 'textfield',
      path: 'routeName',
      required: false,
      readonly: true,
      disabled: false,
      conditional: false,
      computed: false,
    });
    expect(compileForm(loadFormFixture('meter-reading-correction')).fields.find((f) => f.computed)).toMatchObject({
      path: 'needsReview',
      type: 'expression',
    });
    expect(compileForm(loadFormFixture('meter-repair-dispatch')).fields).toHaveLength(10);
  });

  test('an unknown time zone is refused when the form is compiled', () => {
    expect(() => compileForm(loadFormFixture('meter-repair-dispatch'), { timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});
