/**
 * What the designer makes and packs ship, as data: the kinds of artifact and the shape of each kind's
 * content that the runtime checks on publish. One definition serves the runtime's API, the designer and
 * the pack manifest (`definePack`).
 */
import { z } from 'zod';

/** The kinds of artifact the designer makes, in the order its menu shows them. */
export const artifactKinds = ['process', 'form', 'page', 'report', 'entity'] as const;
export type ArtifactKind = (typeof artifactKinds)[number];

/** Artifact codes: what a process id, a form id, a report template code or a page key is made of. */
export const artifactCode = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{1,63}$/, 'lower-case letters, digits, _ and -, 2 to 64, starting with a letter');

const bilingual = z.strictObject({ 'zh-CN': z.string().trim().min(1).max(200), en: z.string().trim().min(1).max(200) });

export const processContent = z.strictObject({ xml: z.string().min(1).max(2_000_000) });
export const formContent = z.strictObject({ schema: z.record(z.string(), z.unknown()) });

export const pageContent = z.strictObject({
  kind: z.enum(['page', 'dashboard']),
  route: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -, at most 63'),
  title: bilingual,
  menu: z.strictObject({ show: z.boolean(), order: z.number().int().min(0).max(10_000), icon: z.string().max(64).optional() }),
  html: z.string().max(1_000_000),
  css: z.string().max(500_000),
  project: z.record(z.string(), z.unknown()).optional(),
});
export type PageContent = z.infer<typeof pageContent>;

export const entityFieldTypes = ['string', 'text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'enum', 'reference'] as const;
export type EntityFieldType = (typeof entityFieldTypes)[number];

const fieldName = z.string().regex(/^[a-z][A-Za-z0-9]{0,62}$/, 'camelCase: a lower-case letter, then letters and digits');

export const entityField = z
  .strictObject({
    name: fieldName,
    label: bilingual,
    type: z.enum(entityFieldTypes),
    required: z.boolean().optional(),
    unique: z.boolean().optional(),
    options: z.array(z.strictObject({ value: z.string().min(1).max(100), label: bilingual })).max(500).optional(),
    reference: artifactCode.optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    maxLength: z.number().int().min(1).max(100_000).optional(),
    pattern: z.string().max(500).optional(),
    scale: z.number().int().min(0).max(12).optional(),
  })
  .superRefine((field, ctx) => {
    if (field.type === 'enum' && !field.options?.length) ctx.addIssue({ code: 'custom', path: ['options'], message: 'an enum field lists its options' });
    if (field.type === 'reference' && !field.reference) ctx.addIssue({ code: 'custom', path: ['reference'], message: 'a reference field names the entity it points to' });
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) ctx.addIssue({ code: 'custom', path: ['min'], message: 'min is above max' });
    if (field.pattern !== undefined) {
      try {
        new RegExp(field.pattern, 'u');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a regular expression: ${(error as Error).message}` });
      }
    }
    if (field.options) {
      const seen = new Set<string>();
      field.options.forEach((option, i) => {
        if (seen.has(option.value)) ctx.addIssue({ code: 'custom', path: ['options', i, 'value'], message: `option ${option.value} is listed twice` });
        seen.add(option.value);
      });
    }
  });
export type EntityField = z.infer<typeof entityField>;

export const entityContent = z
  .strictObject({
    label: bilingual,
    fields: z.array(entityField).min(1).max(200),
    indexes: z.array(z.strictObject({ fields: z.array(fieldName).min(1).max(8), unique: z.boolean().optional() })).max(20).optional(),
    titleField: fieldName.optional(),
    /**
     * A Formily JSON Schema (Ant Design components) that replaces the form generated from the fields: the
     * consultant starts from the generated one (`GET /api/entities/:code/schema?generated=true`) and edits it.
     */
    form: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((model, ctx) => {
    const names = new Set<string>();
    model.fields.forEach((field, i) => {
      if (names.has(field.name)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `field ${field.name} is defined twice` });
      names.add(field.name);
    });
    (model.indexes ?? []).forEach((index, i) =>
      index.fields.forEach((name, j) => {
        if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['indexes', i, 'fields', j], message: `no field ${name}` });
      }),
    );
    if (model.titleField && !names.has(model.titleField)) ctx.addIssue({ code: 'custom', path: ['titleField'], message: `no field ${model.titleField}` });
  });
export type EntityContent = z.infer<typeof entityContent>;


/** The content checks' own messages in Chinese, by their English text (zod's built-in ones come from its zh-CN locale). */
const zhCN: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^lower-case letters, digits, _ and -, 2 to 64, starting with a letter$/, () => '只能用小写字母、数字、_ 和 -，2 到 64 位，以字母开头'],
  [/^lower-case letters, digits and -, at most 63$/, () => '只能用小写字母、数字和 -，最多 63 位'],
  [/^camelCase: a lower-case letter, then letters and digits$/, () => '驼峰式：小写字母开头，后接字母和数字'],
  [/^an enum field lists its options$/, () => '枚举字段需要列出选项'],
  [/^a reference field names the entity it points to$/, () => '引用字段需要指明所引用的实体'],
  [/^min is above max$/, () => '最小值大于最大值'],
  [/^not a regular expression: (.*)$/s, (m) => `不是合法的正则表达式：${m[1]}`],
  [/^option (.+) is listed twice$/, (m) => `选项 ${m[1]} 重复`],
  [/^field (.+) is defined twice$/, (m) => `字段 ${m[1]} 重复定义`],
  [/^no field (.+)$/, (m) => `没有字段 ${m[1]}`],
];

/** A content check's message in the caller's language (the checks themselves speak English). */
export function contentMessage(message: string, locale: 'zh-CN' | 'en'): string {
  if (locale === 'en') return message;
  for (const [pattern, text] of zhCN) {
    const match = message.match(pattern);
    if (match) return text(match);
  }
  return message;
}
