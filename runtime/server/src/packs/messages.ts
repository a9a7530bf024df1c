import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/** Why the pack API refused something, in the caller's language. */
export const packMessages = {
  analytics_migrations_unsupported: {
    'zh-CN': (p) => `领域包「${p.id}」带有分析库迁移，本平台版本尚不支持：请改用平台的逻辑表（{{readings}}）`,
    en: (p) => `The pack ${p.id} brings analytics migrations, which this platform does not apply yet: read the platform's logical tables ({{readings}}) instead`,
  },
  migration_missing: {
    'zh-CN': (p) => `数据库已执行领域包「${p.id}」的迁移 ${p.migration}，但新版本中没有它：迁移发布后不能删除`,
    en: (p) => `The database has run migration ${p.migration} of the pack ${p.id}, which this version no longer has: a released migration cannot be removed`,
  },
  migration_changed: {
    'zh-CN': (p) => `领域包「${p.id}」的迁移 ${p.migration} 在执行后被修改：迁移发布后不能修改，请新增一个迁移`,
    en: (p) => `Migration ${p.migration} of the pack ${p.id} changed after it ran: add a new migration instead of editing a released one`,
  },
  migration_failed: { 'zh-CN': (p) => `迁移 ${p.migration} 执行失败：${p.reason}`, en: (p) => `Migration ${p.migration} failed: ${p.reason}` },
  table_not_tenant_scoped: {
    'zh-CN': (p) => `表 ${p.table} 缺少列 ${p.columns}：领域包的每张表都按租户隔离`,
    en: (p) => `The table ${p.table} lacks ${p.columns}: every table of a pack is tenant-scoped`,
  },
  pack_disabled: { 'zh-CN': (p) => `领域包「${p.id}」在该租户已停用`, en: (p) => `The pack ${p.id} is disabled in this tenant` },
  unknown_pack: { 'zh-CN': (p) => `没有领域包「${p.id}」`, en: (p) => `There is no pack ${p.id}` },
  already_installed: {
    'zh-CN': (p) => `该租户已安装领域包「${p.id}」（${p.version}）`,
    en: (p) => `The pack ${p.id} is already installed in this tenant (${p.version})`,
  },
  not_installed: { 'zh-CN': (p) => `该租户未安装领域包「${p.id}」`, en: (p) => `The pack ${p.id} is not installed in this tenant` },
  platform_unsupported: {
    'zh-CN': (p) => `领域包「${p.id}」支持平台版本 ${p.range}，当前平台为 ${p.platform}`,
    en: (p) => `The pack ${p.id} runs on platform ${p.range}; this platform is ${p.platform}`,
  },
  dependency_missing: {
    'zh-CN': (p) => `请先安装领域包「${p.dependency}」（${p.range}）`,
    en: (p) => `Install the pack ${p.dependency} (${p.range}) first`,
  },
  dependency_version: {
    'zh-CN': (p) => `已安装的「${p.dependency}」版本 ${p.version} 不满足 ${p.range}`,
    en: (p) => `The installed ${p.dependency} ${p.version} does not satisfy ${p.range}`,
  },
  required_by: {
    'zh-CN': (p) => `领域包「${p.dependents}」依赖它，请先卸载它们`,
    en: (p) => `The packs ${p.dependents} depend on it; uninstall them first`,
  },
  code_taken: {
    'zh-CN': (p) => `该租户已有编码为「${p.code}」的${p.kind}，与领域包冲突`,
    en: (p) => `This tenant already has a ${p.kind} ${p.code}, which the pack also declares`,
  },
  install_step_failed: {
    'zh-CN': (p) => `安装在「${p.step}」一步失败，未写入任何内容`,
    en: (p) => `The install failed at ${p.step}; nothing was written`,
  },
  up_to_date: {
    'zh-CN': (p) => `该租户的领域包「${p.id}」已是 ${p.version}，没有更新的版本`,
    en: (p) => `The pack ${p.id} is at ${p.version} in this tenant; there is no newer version`,
  },
  already_in_state: { 'zh-CN': (p) => `领域包已是「${p.status}」状态`, en: (p) => `The pack is already ${p.status}` },
} satisfies Record<string, Record<Locale, Text>>;

export type PackMessage = keyof typeof packMessages;
export const packMessage = (code: PackMessage, locale: Locale, params: Params = {}): string => packMessages[code][locale](params);
