/** Why a submitted value was refused. Stable machine codes; the text is in `message`. */
export type FormIssueCode =
  | 'required'
  | 'type'
  | 'format'
  | 'min'
  | 'max'
  | 'minLength'
  | 'maxLength'
  | 'pattern'
  | 'email'
  | 'phone'
  | 'decimalDigits'
  | 'increment'
  | 'option'
  | 'duplicate'
  | 'pastDate'
  | 'minItems'
  | 'maxItems'
  | 'unknown_field';

export interface LocalizedText {
  'zh-CN': string;
  en: string;
}

export interface FormIssue {
  /** The data path of the value, dot-separated with list indexes: `reading.value`, `checkpoints.0.result`. */
  field: string;
  code: FormIssueCode;
  message: LocalizedText;
  /** The rule's parameters, for clients that render their own text (`{ min: '0' }`, `{ decimalDigits: 2 }`). */
  params?: Record<string, string | number>;
}

/** The expected value kinds named in `type` messages. */
export type ExpectedKind = 'text' | 'number' | 'numberOrNumericText' | 'boolean' | 'list' | 'object' | 'itemObject';

const kindText: Record<ExpectedKind, LocalizedText> = {
  text: { 'zh-CN': '文本', en: 'a text' },
  number: { 'zh-CN': '数字', en: 'a number' },
  numberOrNumericText: { 'zh-CN': '数字或数字字符串', en: 'a number or a numeric string' },
  boolean: { 'zh-CN': '是/否（布尔值）', en: 'true or false' },
  list: { 'zh-CN': '列表', en: 'a list' },
  object: { 'zh-CN': '对象', en: 'an object' },
  itemObject: { 'zh-CN': '对象（列表中的一项）', en: 'an object (one list item)' },
};

/** How a message names the field: its label when it has a plain one, else its data path. */
export interface FieldName {
  label: string | undefined;
  path: string;
}

function zh(name: FieldName): string {
  return `「${name.label ?? name.path}」`;
}

function en(name: FieldName): string {
  return `"${name.label ?? name.path}"`;
}

export const messages = {
  required: (n: FieldName): LocalizedText => ({ 'zh-CN': `${zh(n)}为必填项`, en: `${en(n)} is required.` }),
  type: (n: FieldName, kind: ExpectedKind): LocalizedText => ({
    'zh-CN': `${zh(n)}应为${kindText[kind]['zh-CN']}`,
    en: `${en(n)} must be ${kindText[kind].en}.`,
  }),
  unsafeInteger: (n: FieldName): LocalizedText => ({
    'zh-CN': `${zh(n)}的数值过大，无法精确表示，请以字符串提交`,
    en: `${en(n)} is too large to be exact as a JSON number; submit it as a string.`,
  }),
  format: (n: FieldName, expected: string): LocalizedText => ({
    'zh-CN': `${zh(n)}的格式应为 ${expected}，且必须是有效的日期/时间`,
    en: `${en(n)} must be a valid date/time written as ${expected}.`,
  }),
  min: (n: FieldName, min: string): LocalizedText => ({
    'zh-CN': `${zh(n)}不能小于 ${min}`,
    en: `${en(n)} must be at least ${min}.`,
  }),
  max: (n: FieldName, max: string): LocalizedText => ({
    'zh-CN': `${zh(n)}不能大于 ${max}`,
    en: `${en(n)} must be at most ${max}.`,
  }),
  minLength: (n: FieldName, min: number): LocalizedText => ({
    'zh-CN': `${zh(n)}至少需要 ${min} 个字符`,
    en: `${en(n)} must have at least ${min} characters.`,
  }),
  maxLength: (n: FieldName, max: number): LocalizedText => ({
    'zh-CN': `${zh(n)}最多 ${max} 个字符`,
    en: `${en(n)} must have at most ${max} characters.`,
  }),
  pattern: (n: FieldName, pattern: string): LocalizedText => ({
    'zh-CN': `${zh(n)}的格式不正确（须匹配 ${pattern}）`,
    en: `${en(n)} must match the pattern ${pattern}.`,
  }),
  email: (n: FieldName): LocalizedText => ({
    'zh-CN': `${zh(n)}不是有效的电子邮箱地址`,
    en: `${en(n)} must be a valid email address.`,
  }),
  phone: (n: FieldName): LocalizedText => ({
    'zh-CN': `${zh(n)}不是有效的国际电话号码（例如 +8613812345678）`,
    en: `${en(n)} must be a valid international phone number (e.g. +8613812345678).`,
  }),
  decimalDigits: (n: FieldName, digits: number): LocalizedText =>
    digits === 0
      ? { 'zh-CN': `${zh(n)}必须是整数`, en: `${en(n)} must be a whole number.` }
      : {
          'zh-CN': `${zh(n)}最多保留 ${digits} 位小数`,
          en: `${en(n)} must have at most ${digits} decimal digit${digits > 1 ? 's' : ''}.`,
        },
  increment: (n: FieldName, step: string, below: string, above: string): LocalizedText => ({
    'zh-CN': `${zh(n)}必须是 ${step} 的整数倍，最接近的有效值为 ${below} 和 ${above}`,
    en: `${en(n)} must be a multiple of ${step}; the nearest valid values are ${below} and ${above}.`,
  }),
  option: (n: FieldName, value: string): LocalizedText => ({
    'zh-CN': `${zh(n)}的值 ${value} 不在可选项中`,
    en: `${en(n)}: ${value} is not one of the options.`,
  }),
  duplicate: (n: FieldName, value: string): LocalizedText => ({
    'zh-CN': `${zh(n)}中的 ${value} 重复选择`,
    en: `${en(n)}: ${value} is selected more than once.`,
  }),
  pastDate: (n: FieldName, today: string): LocalizedText => ({
    'zh-CN': `${zh(n)}不能早于今天（${today}）`,
    en: `${en(n)} must not be before today (${today}).`,
  }),
  minItems: (n: FieldName, min: number): LocalizedText => ({
    'zh-CN': `${zh(n)}至少需要 ${min} 项`,
    en: `${en(n)} needs at least ${min} item${min === 1 ? '' : 's'}.`,
  }),
  maxItems: (n: FieldName, max: number): LocalizedText => ({
    'zh-CN': `${zh(n)}最多 ${max} 项`,
    en: `${en(n)} allows at most ${max} item${max === 1 ? '' : 's'}.`,
  }),
  unknownField: (path: string): LocalizedText => ({
    'zh-CN': `「${path}」不是此表单的字段，提交被拒绝`,
    en: `"${path}" is not a field of this form and cannot be submitted.`,
  }),
};
