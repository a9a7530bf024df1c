import type { Locale } from '@shuiyun/http';
import { modbusMessages } from './modbus-messages.js';

type Params = Record<string, string | number>;
type Text = (p: Params) => string;

/** Why a row (or the file) of a device import was refused, in the caller's language. */
export const importMessages = {
  unreadable_file: {
    'zh-CN': (p) => `无法读取文件：${p.detail}`,
    en: (p) => `The file cannot be read: ${p.detail}`,
  },
  empty_file: {
    'zh-CN': () => '文件中没有表头或数据行',
    en: () => 'The file has no header or no data rows',
  },
  too_many_rows: {
    'zh-CN': (p) => `一次最多导入 ${p.max} 行`,
    en: (p) => `At most ${p.max} rows can be imported at once`,
  },
  unknown_column: {
    'zh-CN': (p) => `无法识别的列「${p.value}」`,
    en: (p) => `Unknown column "${p.value}"`,
  },
  duplicate_column: {
    'zh-CN': (p) => `列「${p.value}」重复出现`,
    en: (p) => `Column "${p.value}" appears more than once`,
  },
  missing_column: {
    'zh-CN': (p) => `缺少必需的列「${p.column}」`,
    en: (p) => `The required column "${p.column}" is missing`,
  },
  required: {
    'zh-CN': (p) => `「${p.column}」不能为空`,
    en: (p) => `"${p.column}" is required`,
  },
  invalid_value: {
    'zh-CN': (p) => `「${p.column}」的值「${p.value}」格式不正确（${p.hint}）`,
    en: (p) => `"${p.value}" is not a valid ${p.column} (${p.hint})`,
  },
  coordinates_incomplete: {
    'zh-CN': () => '纬度和经度须同时填写或同时留空',
    en: () => 'Latitude and longitude go together: give both or neither',
  },
  unknown_product: {
    'zh-CN': (p) => `产品编码「${p.value}」不存在`,
    en: (p) => `There is no product with code "${p.value}" in this tenant`,
  },
  unknown_community: {
    'zh-CN': (p) => `小区编码「${p.value}」不存在`,
    en: (p) => `There is no community with code "${p.value}" in this tenant`,
  },
  building_without_community: {
    'zh-CN': () => '填写楼栋时须同时填写小区',
    en: () => 'A building needs its community',
  },
  unknown_building: {
    'zh-CN': (p) => `小区「${p.community}」中没有楼栋「${p.value}」`,
    en: (p) => `Community "${p.community}" has no building "${p.value}"`,
  },
  unknown_state: {
    'zh-CN': (p) => `状态「${p.value}」无法识别，可填：${p.allowed}`,
    en: (p) => `Unknown state "${p.value}"; one of: ${p.allowed}`,
  },
  duplicate_in_file: {
    'zh-CN': (p) => `「${p.column}」${p.value} 与第 ${p.first} 行重复`,
    en: (p) => `${p.column} ${p.value} already appears in row ${p.first}`,
  },
  already_registered: {
    'zh-CN': (p) => `「${p.column}」${p.value} 已有设备登记`,
    en: (p) => `A device with ${p.column} ${p.value} is already registered`,
  },
  connection_required: modbusMessages.connection_required,
  connection_not_polled: modbusMessages.connection_not_polled,
  connection_incomplete: modbusMessages.connection_incomplete,
} satisfies Record<string, Record<Locale, Text>>;

export type ImportErrorCode = keyof typeof importMessages;
