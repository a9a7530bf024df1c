/** The readings part's own permissions (the pack prefixes them `metering.`). */
const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

export const READ = 'metering.reading:read';
export const ENTER = 'metering.reading:enter';
export const IMPORT = 'metering.reading:import';
export const REVIEW = 'metering.reading:review';
export const SWAP = 'metering.swap:create';

export const readingPermissions = [
  { name: READ, label: l('查看抄表记录、导入批次、换表记录和抄表册', 'View readings, import batches, meter swaps and reading books') },
  { name: ENTER, label: l('人工抄表（录入读数）', 'Enter hand readings') },
  { name: IMPORT, label: l('集中器批量导入读数', 'Import concentrator reading files') },
  { name: REVIEW, label: l('复核异常读数', 'Review flagged readings') },
  { name: SWAP, label: l('登记换表', 'Record meter swaps') },
];
