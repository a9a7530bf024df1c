import type { Locale } from '@shuiyun/http';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

const statusWords: Record<Locale, Record<string, string>> = {
  'zh-CN': { queued: '排队中', running: '导出中', succeeded: '已完成', failed: '已失败', cancelled: '已取消' },
  en: { queued: 'queued', running: 'running', succeeded: 'finished', failed: 'failed', cancelled: 'cancelled' },
};

const word = (locale: Locale, status: string | number | undefined) => statusWords[locale][String(status)] ?? String(status);

/** Why an export job answers as it does (refusals in details, and the `error` a job ends with), in the caller's language. */
export const exportJobMessages = {
  export_not_ready: {
    'zh-CN': (p) => `导出任务 ${p.id} 尚未完成（${word('zh-CN', p.status)}），完成后才能下载`,
    en: (p) => `Export ${p.id} is not finished yet (${word('en', p.status)}); download it once it has succeeded`,
  },
  export_not_downloadable: {
    'zh-CN': (p) => `导出任务 ${p.id} ${word('zh-CN', p.status)}，没有可下载的文件`,
    en: (p) => `Export ${p.id} ${word('en', p.status)}: there is no file to download`,
  },
  export_expired: {
    'zh-CN': (p) => `导出任务 ${p.id} 的文件已过期删除，请重新导出`,
    en: (p) => `The file of export ${p.id} has expired and was deleted; export again`,
  },
  export_file_missing: {
    'zh-CN': (p) => `导出任务 ${p.id} 的文件不在本服务器上`,
    en: (p) => `The file of export ${p.id} is not on this server`,
  },
  export_not_cancellable: {
    'zh-CN': (p) => `导出任务 ${p.id} ${word('zh-CN', p.status)}，不能再取消`,
    en: (p) => `Export ${p.id} has already ${word('en', p.status)}; it cannot be cancelled`,
  },
  export_scope_all: {
    'zh-CN': () => '查看他人的导出任务需要 report:update 权限',
    en: () => 'Listing other people’s exports needs report:update',
  },
  export_limit: {
    'zh-CN': (p) => `您已有 ${p.limit} 个导出任务在排队或进行中，请等待其完成或取消后再提交`,
    en: (p) => `You already have ${p.limit} exports queued or running; wait for one to finish or cancel one first`,
  },
  export_cancelled: {
    'zh-CN': () => '导出已取消，文件未保留',
    en: () => 'The export was cancelled; no file was kept',
  },
  export_interrupted: {
    'zh-CN': () => '导出中断：运行时在导出期间停止，文件未保留；请重新导出',
    en: () => 'The export was interrupted: the runtime stopped while it was under way, and no file was kept; export again',
  },
  export_cannot_run: {
    'zh-CN': () => '提交导出的用户已没有运行报表的权限（report:run）',
    en: () => 'The user who asked for this export no longer holds report:run',
  },
  export_failed: {
    'zh-CN': () => '导出意外失败，请稍后重试或联系管理员',
    en: () => 'The export failed unexpectedly; try again later or ask the administrator',
  },
} satisfies Record<string, Record<Locale, Text>>;

export type ExportJobMessage = keyof typeof exportJobMessages;

export const exportJobMessage = (code: ExportJobMessage, locale: Locale, params: Params = {}): string => exportJobMessages[code][locale](params);
