import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/** Why a schedule was refused on save, or why a run failed, in the caller's (or the owner's) language. */
export const scheduleMessages = {
  cron_invalid: {
    'zh-CN': (p) => `cron 表达式无效（五段：分 时 日 月 周）：${p.detail}`,
    en: (p) => `Not a valid cron expression (five fields: minute hour day-of-month month day-of-week): ${p.detail}`,
  },
  cron_never_fires: {
    'zh-CN': (p) => `cron 表达式「${p.cron}」永远不会触发（例如 2 月 30 日），请改为存在的日期`,
    en: (p) => `The cron expression ${p.cron} never fires (like 30 February); choose a date that exists`,
  },
  time_zone_invalid: {
    'zh-CN': (p) => `未知的时区「${p.timeZone}」，请使用 IANA 时区名，例如 Asia/Shanghai`,
    en: (p) => `Unknown time zone ${p.timeZone}; use an IANA name such as Asia/Shanghai`,
  },
  template_not_visible: {
    'zh-CN': (p) => `报表模板 ${p.id} 不存在或不可见`,
    en: (p) => `There is no report template ${p.id} you can see`,
  },
  recipient_unknown: {
    'zh-CN': (p) => `用户 ${p.id} 不存在，或不属于该订阅所在的租户`,
    en: (p) => `There is no user ${p.id} in the schedule's tenant`,
  },
  recipients_missing: {
    'zh-CN': () => '至少需要一个接收人（站内用户或邮箱）',
    en: () => 'Name at least one recipient (a user or an e-mail address)',
  },
  smtp_not_configured: {
    'zh-CN': () => '未配置邮件服务器（SMTP_URL），不能添加邮件接收人；请只选择站内用户，或请管理员配置 SMTP_URL',
    en: () => 'E-mail is not configured on this server (SMTP_URL): e-mail recipients cannot be added; choose users, or ask the administrator to set SMTP_URL',
  },
  owner_missing: {
    'zh-CN': () => '订阅的所有者已被删除，报表未运行；请由有权限的用户重新保存该订阅',
    en: () => 'The schedule’s owner was deleted, so the report did not run; have a user with the rights save the schedule again',
  },
  owner_disabled: {
    'zh-CN': (p) => `订阅的所有者 ${p.user} 已停用，报表未运行`,
    en: (p) => `The schedule’s owner ${p.user} is disabled, so the report did not run`,
  },
  owner_cannot_run: {
    'zh-CN': (p) => `订阅的所有者 ${p.user} 已没有运行报表的权限（report:run），报表未运行`,
    en: (p) => `The schedule’s owner ${p.user} no longer holds report:run, so the report did not run`,
  },
  email_failed: {
    'zh-CN': (p) => `邮件发送失败：${p.detail}`,
    en: (p) => `Sending the e-mail failed: ${p.detail}`,
  },
  notification_title: {
    'zh-CN': (p) => `报表订阅「${p.name}」已生成`,
    en: (p) => `Scheduled report “${p.name}” is ready`,
  },
  notification_body: {
    'zh-CN': (p) => `报表「${p.report}」共 ${p.rows} 行，已导出为 ${p.format} 文件「${p.file}」。`,
    en: (p) => `The report “${p.report}” has ${p.rows} rows, exported as the ${p.format} file ${p.file}.`,
  },
  email_subject: {
    'zh-CN': (p) => `【水云】报表订阅：${p.name}`,
    en: (p) => `[Shuiyun] Scheduled report: ${p.name}`,
  },
  email_text: {
    'zh-CN': (p) => `您好：\n\n报表「${p.report}」（订阅「${p.name}」）共 ${p.rows} 行，见附件 ${p.file}。\n\n—— 水云`,
    en: (p) => `Hello,\n\nthe report “${p.report}” (schedule “${p.name}”) has ${p.rows} rows; it is attached as ${p.file}.\n\n— Shuiyun`,
  },
} satisfies Record<string, Record<Locale, Text>>;

export type ScheduleMessage = keyof typeof scheduleMessages;

export const scheduleMessage = (code: ScheduleMessage, locale: Locale, params: Params = {}): string => scheduleMessages[code][locale](params);

/** Both languages at once, for what is stored for readers of either (notification titles). */
export const bilingual = (code: ScheduleMessage, params: Params = {}) => ({ 'zh-CN': scheduleMessage(code, 'zh-CN', params), en: scheduleMessage(code, 'en', params) });
