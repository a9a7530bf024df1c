import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/** Why the designer's API refused something, in the caller's language (they travel in an AppError's details). */
export const designMessages = {
  code_taken: {
    'zh-CN': (p) => `该租户已有编码为「${p.code}」的${p.kind}`,
    en: (p) => `This tenant already has a ${p.kind} with the code ${p.code}`,
  },
  stale_revision: {
    'zh-CN': (p) => `草稿已被他人保存（当前修订 ${p.current}，你的修订 ${p.given}）；请重新加载后再改`,
    en: (p) => `Someone else saved the draft (revision ${p.current}; yours is ${p.given}); reload it and make your change again`,
  },
  one_process: {
    'zh-CN': (p) => `一个流程制品只能包含一个流程，这里有 ${p.count} 个`,
    en: (p) => `A process artifact holds exactly one process; this one has ${p.count}`,
  },
  process_id: {
    'zh-CN': (p) => `流程 ID 是「${p.id}」，应与制品编码「${p.code}」一致`,
    en: (p) => `The process id is ${p.id}; it must be the artifact's code ${p.code}`,
  },
  form_unknown: {
    'zh-CN': (p) => `用户任务「${p.task}」引用的表单「${p.formId}」尚未发布；请先发布该表单`,
    en: (p) => `The user task ${p.task} shows the form ${p.formId}, which is not published yet; publish the form first`,
  },
  route_taken: {
    'zh-CN': (p) => `路由「${p.route}」已被页面「${p.code}」使用`,
    en: (p) => `The route ${p.route} is already used by the page ${p.code}`,
  },
  entity_unknown: {
    'zh-CN': (p) => `引用的实体「${p.code}」尚未发布`,
    en: (p) => `The referenced entity ${p.code} is not published`,
  },
  record_misfit: {
    'zh-CN': (p) => `记录 ${p.id} 的字段「${p.field}」不符合新模型：${p.reason}`,
    en: (p) => `Record ${p.id}, field ${p.field}, does not fit the new model: ${p.reason}`,
  },
  records_misfit: {
    'zh-CN': (p) => `已有 ${p.count} 条记录不符合新模型；请先修改这些记录或放宽规则`,
    en: (p) => `${p.count} existing records do not fit the new model; change them or relax the rule first`,
  },
  version_unknown: {
    'zh-CN': (p) => `没有第 ${p.version} 版`,
    en: (p) => `There is no version ${p.version}`,
  },
  nothing_published: {
    'zh-CN': () => '尚未发布任何版本',
    en: () => 'Nothing is published yet',
  },
  published_cannot_delete: {
    'zh-CN': () => '已发布的制品不能删除（运行中的流程、页面和数据依赖它）',
    en: () => 'A published artifact cannot be deleted: running processes, pages and data depend on it',
  },
  entity_not_published: {
    'zh-CN': (p) => `实体「${p.code}」不存在或尚未发布`,
    en: (p) => `There is no published entity ${p.code}`,
  },
  unique_taken: {
    'zh-CN': (p) => `「${p.fields}」为「${p.value}」的记录已存在（记录 ${p.id}）`,
    en: (p) => `A record with ${p.fields} = ${p.value} already exists (record ${p.id})`,
  },
  reference_missing: {
    'zh-CN': (p) => `引用的「${p.entity}」记录 ${p.id} 不存在`,
    en: (p) => `There is no ${p.entity} record ${p.id}`,
  },
  unknown_filter: {
    'zh-CN': (p) => `没有字段「${p.field}」`,
    en: (p) => `There is no field ${p.field}`,
  },
  bad_filter: {
    'zh-CN': (p) => `字段「${p.field}」的筛选值应为${p.expected}`,
    en: (p) => `The filter on ${p.field} must be ${p.expected}`,
  },
  no_pack_offer: {
    'zh-CN': () => '领域包没有为它提供新版本的内容',
    en: () => 'No newer pack version is offered for it',
  },
  page_unknown: {
    'zh-CN': (p) => `没有已发布的页面「${p.route}」`,
    en: (p) => `There is no published page ${p.route}`,
  },
} satisfies Record<string, Record<Locale, Text>>;

export type DesignMessage = keyof typeof designMessages;

export const designMessage = (code: DesignMessage, locale: Locale, params: Params = {}): string => designMessages[code][locale](params);

export const kindNames: Record<string, Record<Locale, string>> = {
  process: { 'zh-CN': '流程', en: 'process' },
  form: { 'zh-CN': '表单', en: 'form' },
  page: { 'zh-CN': '页面', en: 'page' },
  report: { 'zh-CN': '报表', en: 'report' },
  entity: { 'zh-CN': '实体模型', en: 'entity model' },
};
