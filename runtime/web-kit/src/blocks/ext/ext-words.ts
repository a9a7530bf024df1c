/**
 * The words of the pack blocks' newer inputs (money, lookup, file, the form's result), in a namespace of
 * their own beside the blocks' (`blocks`).
 */
import { useTranslation } from 'react-i18next';
import { registerWords, useBlockText } from '../words.js';

export const EXT_NAMESPACE = 'blocks-ext';

const words = {
  'zh-CN': {
    money: {
      empty: '请输入金额',
      format: '金额格式不正确（例如 12.34 或 1,234.5）',
      negative: '金额不能为负数',
      precision: '金额最多精确到分（最多 2 位小数）',
      unit: '元',
    },
    lookup: {
      placeholder: '输入关键字搜索',
      searching: '搜索中…',
      none: '没有匹配的记录',
      change: '更换',
      failed: '搜索失败：{{message}}',
      detailFailed: '无法读取详情：{{message}}',
      badPath: '查询接口路径须以 /api/ext/ 开头',
      results: '搜索结果',
    },
    file: {
      choose: '选择文件',
      replace: '重新选择',
      chosen: '{{name}}（{{lines}} 行，{{size}}）',
      tooLarge: '文件过大（最多 {{max}}）',
      binary: '不是文本文件（请选择 CSV 或 TXT 文件）',
      unreadable: '无法读取该文件',
    },
    result: '办理结果',
    selectFirst: '请先在本页选择一条记录',
  },
  en: {
    money: {
      empty: 'Enter an amount',
      format: 'Not an amount (for example 12.34 or 1,234.5)',
      negative: 'An amount cannot be negative',
      precision: 'An amount is exact to the fen (at most 2 decimals)',
      unit: 'yuan',
    },
    lookup: {
      placeholder: 'Type to search',
      searching: 'Searching…',
      none: 'Nothing matches',
      change: 'Change',
      failed: 'Search failed: {{message}}',
      detailFailed: 'Could not read the details: {{message}}',
      badPath: 'The search route must start with /api/ext/',
      results: 'Search results',
    },
    file: {
      choose: 'Choose a file',
      replace: 'Choose another',
      chosen: '{{name}} ({{lines}} lines, {{size}})',
      tooLarge: 'The file is too large (at most {{max}})',
      binary: 'Not a text file (choose a CSV or TXT file)',
      unreadable: 'This file cannot be read',
    },
    result: 'Result',
    selectFirst: 'Pick a record on this page first',
  },
};

registerWords(EXT_NAMESPACE, words);

/** `tx` over these words, `t` over the blocks' words, and the locale. */
export function useExtText() {
  const { t, locale } = useBlockText();
  const { t: tx } = useTranslation(EXT_NAMESPACE);
  return { t, tx, locale };
}

/** A byte count as people read it: `512 B`, `12.3 KB`, `5.0 MB`. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
