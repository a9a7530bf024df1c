import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/**
 * Why the report API refused something that is not a ReportError of the engine (who may save what, which
 * version or dataset a template names), in the caller's language. They travel in an AppError's details.
 */
export const reportMessages = {
  raw_sql_platform_only: {
    'zh-CN': () => '只有平台管理员（平台租户的用户）可以保存含 SQL 的数据集；请改用数据表、视图或分析库构建数据集',
    en: () => 'Only platform administrators (users of the platform tenant) may save datasets with SQL of their own; build the dataset on a table, a view or the analytics store instead',
  },
  credential_relation: {
    'zh-CN': (p) => `数据集不能读取保存登录凭据的表「${p.relation}」`,
    en: (p) => `A dataset may not read ${p.relation}: it holds sign-in credentials`,
  },
  credential_column: {
    'zh-CN': (p) => `数据集不能读取凭据列「${p.column}」`,
    en: (p) => `A dataset may not read the credential column ${p.column}`,
  },
  code_taken: {
    'zh-CN': (p) => `该租户已有编码为「${p.code}」的${p.noun === 'dataset' ? '数据集' : '报表模板'}（第 ${p.version} 版）；保存新版本请用 PUT ${p.path}/${p.id}`,
    en: (p) => `This tenant already has a ${p.noun} ${p.code} (version ${p.version}); save a new version with PUT ${p.path}/${p.id}`,
  },
  code_changed: {
    'zh-CN': (p) => `编码不能修改：应为「${p.code}」`,
    en: (p) => `The code cannot change: it is ${p.code}`,
  },
  dataset_unknown: {
    'zh-CN': (p) => `该租户没有编码为「${p.code}」的数据集，内置数据集中也没有`,
    en: (p) => `There is no dataset ${p.code} in this tenant nor among the built-in datasets`,
  },
  dataset_version_unknown: {
    'zh-CN': (p) => `数据集「${p.code}」没有第 ${p.version} 版`,
    en: (p) => `The dataset ${p.code} has no version ${p.version}`,
  },
  dataset_in_use: {
    'zh-CN': (p) => `报表模板「${p.templates}」仍在使用该数据集`,
    en: (p) => `The report templates ${p.templates} still use this dataset`,
  },
  template_unknown: {
    'zh-CN': (p) => `没有编码为「${p.code}」的报表模板`,
    en: (p) => `There is no report template ${p.code}`,
  },
  dataset_not_visible: {
    'zh-CN': (p) => `数据集 ${p.id} 不存在或不可见`,
    en: (p) => `There is no dataset ${p.id} you can see`,
  },
  template_not_visible: {
    'zh-CN': (p) => `报表模板 ${p.id} 不存在或不可见`,
    en: (p) => `There is no report template ${p.id} you can see`,
  },
} satisfies Record<string, Record<Locale, Text>>;

export type ReportMessage = keyof typeof reportMessages;

export const reportMessage = (code: ReportMessage, locale: Locale, params: Params = {}): string => reportMessages[code][locale](params);
