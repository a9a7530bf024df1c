import i18next from 'i18next';
import { useTranslation } from 'react-i18next';

/** The blocks' own words (namespace `blocks`), added to whatever i18next instance the app started. */
const words = {
  'zh-CN': {
    block: {
      chart: '图表',
      kpi: '指标卡',
      table: '数据表',
      'entity-form': '实体表单',
      'task-list': '待办列表',
      'process-start': '发起流程',
      'device-map': '设备地图',
      report: '报表',
      'ext-table': '扩展数据表',
      'ext-form': '扩展表单',
    },
    loading: '加载中…',
    empty: '暂无数据',
    error: '加载失败',
    retry: '重试',
    unknownBlock: '未知的组件类型：{{type}}',
    badConfig: '组件配置无法解析',
    notConfigured: '请先在设计器中配置此组件（{{what}}）',
    templateMissing: '找不到报表模板 {{code}}',
    search: '搜索',
    searchPlaceholder: '输入关键字搜索',
    reset: '重置',
    query: '查询',
    total: '共 {{count}} 条',
    yes: '是',
    no: '否',
    actions: '操作',
    create: '新建',
    edit: '编辑',
    save: '保存',
    saved: '已保存',
    created: '已创建',
    cancel: '取消',
    close: '关闭',
    submit: '提交',
    refresh: '刷新',
    fieldErrors: '请检查以下字段：',
    conflict: '记录已被他人修改，请刷新后再试',
    tasks: {
      title: '我的待办',
      name: '任务',
      process: '流程',
      assignee: '处理人',
      unassigned: '待认领',
      due: '截止',
      created: '创建时间',
      claim: '认领',
      claimed: '已认领',
      open: '办理',
      empty: '没有待办任务',
      noForm: '此任务没有表单，可直接完成。',
      complete: '完成',
      completed: '任务已完成',
      variables: '流程变量',
      mine: '我的',
      candidate: '可认领',
    },
    process: {
      start: '发起',
      started: '已发起流程实例 #{{id}}（{{state}}）',
      viewTasks: '查看待办',
      state: {
        active: '进行中',
        completed: '已完成',
        terminated: '已终止',
        canceled: '已取消',
      },
    },
    devices: {
      title: '设备分布',
      longitude: '经度',
      latitude: '纬度',
      noCoordinates: '没有带经纬度的设备',
      online: '在线',
      offline: '离线',
      repair: '维修中',
      other: '其他',
      shown: '显示 {{shown}} / {{total}} 台',
    },
    report: {
      run: '查询',
      export: '导出',
      exporting: '正在导出…',
      views: { table: '明细', grouped: '分组汇总', pivot: '透视表', chart: '图表' },
      back: '返回',
      drill: '点击钻取',
      total: '合计',
      subtotal: '小计',
      presets: {
        today: '今天',
        yesterday: '昨天',
        last7Days: '最近 7 天',
        last30Days: '最近 30 天',
        thisWeek: '本周',
        thisMonth: '本月',
        lastMonth: '上月',
        thisYear: '今年',
      },
      custom: '自定义',
      all: '全部',
      required: '请填写 {{name}}',
      cached: '缓存结果',
      rows: '{{count}} 行',
    },
    ext: {
      badPath: '接口路径须以 /api/ext/ 开头',
      progress: '进度',
      done: '操作成功',
      confirm: '确定',
      autoRefresh: '每 {{seconds}} 秒自动刷新',
      noAction: '此行缺少 {{path}} 所需的字段',
      submitted: '已提交',
      required: '请填写{{name}}',
      integer: '请输入整数',
      volume: {
        empty: '请输入水量',
        format: '水量格式不正确（例如 12.345 或 1,234.5）',
        negative: '水量不能为负数',
        precision: '水量最多精确到升（立方米最多 3 位小数）',
        preview: '= {{litres}} 升',
        m3: 'm³',
        litres: '升',
        unit: '单位',
      },
      now: '现在',
      pick: '请选择',
      photo: '拍照或选择图片',
      retake: '重拍',
      remove: '移除',
      photoFailed: '无法读取该图片',
      photoAlt: '照片预览',
      locate: '获取当前位置',
      relocate: '重新定位',
      located: '纬度 {{latitude}}，经度 {{longitude}}（误差约 {{accuracy}} 米）',
      noGeolocation: '此设备或浏览器不支持定位',
      locationFailed: '定位失败：{{message}}',
      status: {
        open: '未开始',
        pending: '待处理',
        queued: '排队中',
        running: '运行中',
        settling: '结算中',
        settled: '已结算',
        closed: '已关账',
        done: '已完成',
        completed: '已完成',
        failed: '失败',
        valid: '有效',
        invalid: '无效',
        review: '待复核',
      },
    },
  },
  en: {
    block: {
      chart: 'Chart',
      kpi: 'KPI card',
      table: 'Data table',
      'entity-form': 'Entity form',
      'task-list': 'Task list',
      'process-start': 'Start process',
      'device-map': 'Device map',
      report: 'Report',
      'ext-table': 'Pack table',
      'ext-form': 'Pack form',
    },
    loading: 'Loading…',
    empty: 'No data',
    error: 'Could not load',
    retry: 'Retry',
    unknownBlock: 'Unknown block type: {{type}}',
    badConfig: 'The block configuration cannot be read',
    notConfigured: 'Configure this block in the designer first ({{what}})',
    templateMissing: 'No report template {{code}}',
    search: 'Search',
    searchPlaceholder: 'Search by keyword',
    reset: 'Reset',
    query: 'Search',
    total: '{{count}} in all',
    yes: 'Yes',
    no: 'No',
    actions: 'Actions',
    create: 'New',
    edit: 'Edit',
    save: 'Save',
    saved: 'Saved',
    created: 'Created',
    cancel: 'Cancel',
    close: 'Close',
    submit: 'Submit',
    refresh: 'Refresh',
    fieldErrors: 'Check these fields:',
    conflict: 'Someone else changed this record; reload and try again',
    tasks: {
      title: 'My tasks',
      name: 'Task',
      process: 'Process',
      assignee: 'Assignee',
      unassigned: 'Unclaimed',
      due: 'Due',
      created: 'Created',
      claim: 'Claim',
      claimed: 'Claimed',
      open: 'Open',
      empty: 'No open tasks',
      noForm: 'This task has no form; complete it directly.',
      complete: 'Complete',
      completed: 'Task completed',
      variables: 'Process variables',
      mine: 'Mine',
      candidate: 'To claim',
    },
    process: {
      start: 'Start',
      started: 'Started process instance #{{id}} ({{state}})',
      viewTasks: 'View tasks',
      state: {
        active: 'active',
        completed: 'completed',
        terminated: 'terminated',
        canceled: 'canceled',
      },
    },
    devices: {
      title: 'Devices',
      longitude: 'Longitude',
      latitude: 'Latitude',
      noCoordinates: 'No device has coordinates',
      online: 'Online',
      offline: 'Offline',
      repair: 'Under repair',
      other: 'Other',
      shown: '{{shown}} of {{total}} shown',
    },
    report: {
      run: 'Run',
      export: 'Export',
      exporting: 'Exporting…',
      views: { table: 'Rows', grouped: 'Subtotals', pivot: 'Pivot', chart: 'Chart' },
      back: 'Back',
      drill: 'Click to drill down',
      total: 'Total',
      subtotal: 'Subtotal',
      presets: {
        today: 'Today',
        yesterday: 'Yesterday',
        last7Days: 'Last 7 days',
        last30Days: 'Last 30 days',
        thisWeek: 'This week',
        thisMonth: 'This month',
        lastMonth: 'Last month',
        thisYear: 'This year',
      },
      custom: 'Custom',
      all: 'All',
      required: 'Enter {{name}}',
      cached: 'cached',
      rows: '{{count}} rows',
    },
    ext: {
      badPath: 'The route must start with /api/ext/',
      progress: 'Progress',
      done: 'Done',
      confirm: 'OK',
      autoRefresh: 'Refreshing every {{seconds}} s',
      noAction: 'This row lacks a field {{path}} needs',
      submitted: 'Submitted',
      required: 'Enter {{name}}',
      integer: 'Enter a whole number',
      volume: {
        empty: 'Enter a volume',
        format: 'Not a volume (for example 12.345 or 1,234.5)',
        negative: 'A volume cannot be negative',
        precision: 'A volume is exact to the litre (at most 3 decimals of m³)',
        preview: '= {{litres}} L',
        m3: 'm³',
        litres: 'L',
        unit: 'Unit',
      },
      now: 'Now',
      pick: 'Choose',
      photo: 'Take or choose a photo',
      retake: 'Retake',
      remove: 'Remove',
      photoFailed: 'This image cannot be read',
      photoAlt: 'Photo preview',
      locate: 'Use my location',
      relocate: 'Locate again',
      located: 'Latitude {{latitude}}, longitude {{longitude}} (within about {{accuracy}} m)',
      noGeolocation: 'This device or browser cannot tell its location',
      locationFailed: 'Could not locate: {{message}}',
      status: {
        open: 'Open',
        pending: 'Pending',
        queued: 'Queued',
        running: 'Running',
        settling: 'Settling',
        settled: 'Settled',
        closed: 'Closed',
        done: 'Done',
        completed: 'Completed',
        failed: 'Failed',
        valid: 'Valid',
        invalid: 'Invalid',
        review: 'To review',
      },
    },
  },
} as const;

export const BLOCK_NAMESPACE = 'blocks';

/** Adds the blocks' words to the app's i18next (once it is initialised). */
export function registerBlockWords(): void {
  if (!i18next.isInitialized) return;
  for (const lng of ['zh-CN', 'en'] as const) {
    if (!i18next.hasResourceBundle(lng, BLOCK_NAMESPACE)) i18next.addResourceBundle(lng, BLOCK_NAMESPACE, words[lng], true, false);
  }
}
i18next.on('initialized', registerBlockWords);

export type Locale = 'zh-CN' | 'en';

/** `t` over the blocks' words, and the current locale for bilingual texts from the API. */
export function useBlockText() {
  registerBlockWords();
  const { t, i18n } = useTranslation(BLOCK_NAMESPACE);
  const locale: Locale = i18n.language === 'en' ? 'en' : 'zh-CN';
  return { t, locale };
}

/** A bilingual text (`{'zh-CN', en}`) or plain text in the current locale. */
export function localized(text: unknown, locale: Locale): string {
  if (text == null) return '';
  if (typeof text === 'string' || typeof text === 'number') return String(text);
  if (typeof text === 'object') {
    const record = text as Record<string, unknown>;
    const value = record[locale] ?? record['zh-CN'] ?? record.en;
    return typeof value === 'string' ? value : '';
  }
  return String(text);
}

const pendingBundles: { namespace: string; words: Record<Locale, Record<string, unknown>> }[] = [];

/** Adds another part's words (a namespace of its own) to the kit's i18next, now or once it starts. */
export function registerWords(namespace: string, bundle: Record<Locale, Record<string, unknown>>): void {
  if (!i18next.isInitialized) {
    pendingBundles.push({ namespace, words: bundle });
    return;
  }
  for (const lng of ['zh-CN', 'en'] as const) {
    if (!i18next.hasResourceBundle(lng, namespace)) i18next.addResourceBundle(lng, namespace, bundle[lng], true, false);
  }
}
i18next.on('initialized', () => {
  for (const pending of pendingBundles.splice(0)) registerWords(pending.namespace, pending.words);
});
