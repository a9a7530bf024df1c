import type { EntityContent, EntityField } from '@shuiyun/web-kit';

export const FIELD_NAME = /^[a-z][A-Za-z0-9]{0,62}$/;


/** Problems keyed by path (`label`, `fields.2.name`, `indexes.0.fields`), as i18n keys with values. */
export type Problems = Map<string, { key: string; values?: Record<string, unknown> }[]>;

function add(problems: Problems, path: string, key: string, values?: Record<string, unknown>) {
  problems.set(path, [...(problems.get(path) ?? []), values ? { key, values } : { key }]);
}

function validRegex(pattern: string) {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/** What the designer can tell before the runtime checks it on publish. */
export function validateEntity(entity: EntityContent): Problems {
  const problems: Problems = new Map();
  if (!entity.label?.['zh-CN']?.trim()) add(problems, 'label.zh-CN', 'entity.v.labelRequired');
  if (!entity.label?.en?.trim()) add(problems, 'label.en', 'entity.v.labelEnRequired');
  if (entity.fields.length === 0) add(problems, 'fields', 'entity.v.noFields');
  const seen = new Map<string, number>();
  entity.fields.forEach((field: EntityField, i) => {
    const at = `fields.${i}`;
    if (!field.name) add(problems, `${at}.name`, 'entity.v.nameRequired');
    else if (!FIELD_NAME.test(field.name)) add(problems, `${at}.name`, 'entity.v.namePattern');
    else if (seen.has(field.name)) add(problems, `${at}.name`, 'entity.v.nameDuplicate', { row: (seen.get(field.name) ?? 0) + 1 });
    else seen.set(field.name, i);
    if (!field.label?.['zh-CN']?.trim()) add(problems, `${at}.label.zh-CN`, 'entity.v.labelRequired');
    if (!field.label?.en?.trim()) add(problems, `${at}.label.en`, 'entity.v.labelEnRequired');
    if (field.type === 'enum') {
      if (!field.options || field.options.length === 0) add(problems, `${at}.options`, 'entity.v.optionsRequired');
      const values = new Set<string>();
      field.options?.forEach((option, j) => {
        if (!option.value || option.value.length > 100) add(problems, `${at}.options.${j}.value`, 'entity.v.optionValue');
        else if (values.has(option.value)) add(problems, `${at}.options.${j}.value`, 'entity.v.optionDuplicate');
        values.add(option.value);
        if (!option.label?.['zh-CN']?.trim()) add(problems, `${at}.options.${j}.label.zh-CN`, 'entity.v.labelRequired');
        if (!option.label?.en?.trim()) add(problems, `${at}.options.${j}.label.en`, 'entity.v.labelEnRequired');
      });
    }
    if (field.type === 'reference' && !field.reference) add(problems, `${at}.reference`, 'entity.v.referenceRequired');
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) add(problems, `${at}.max`, 'entity.v.minMax');
    if (field.maxLength !== undefined && (field.maxLength < 1 || field.maxLength > 100_000 || !Number.isInteger(field.maxLength))) add(problems, `${at}.maxLength`, 'entity.v.maxLength');
    if (field.pattern && !validRegex(field.pattern)) add(problems, `${at}.pattern`, 'entity.v.pattern');
    if (field.type === 'decimal' && field.scale !== undefined && (field.scale < 0 || field.scale > 12 || !Number.isInteger(field.scale))) add(problems, `${at}.scale`, 'entity.v.scale');
  });
  const names = new Set(entity.fields.map((f) => f.name));
  entity.indexes?.forEach((index, i) => {
    if (index.fields.length === 0) add(problems, `indexes.${i}.fields`, 'entity.v.indexEmpty');
    if (index.fields.length > 8) add(problems, `indexes.${i}.fields`, 'entity.v.indexTooMany');
    for (const name of index.fields) if (!names.has(name)) add(problems, `indexes.${i}.fields`, 'entity.v.indexUnknown', { name });
  });
  if (entity.titleField && !names.has(entity.titleField)) add(problems, 'titleField', 'entity.v.titleUnknown', { name: entity.titleField });
  return problems;
}
