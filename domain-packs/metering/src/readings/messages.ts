/**
 * Every refusal and row error of the readings part, in zh-CN and en. A route throws them as a
 * `PackError`; an import collects them per row.
 */
import { PackError } from '@shuiyun/sdk';

export interface Bilingual {
  readonly 'zh-CN': string;
  readonly en: string;
}

const l = (zh: string, en: string): Bilingual => ({ 'zh-CN': zh, en });

/** Why a field of a reading (hand or imported) is refused. */
export const fieldMessages = {
  meter_required: () => l('请填写表号', 'The meter is required'),
  meter_id_bad: (text: string) => l(`水表编号「${text}」不是正整数`, `The meter id "${text}" is not a positive integer`),
  meter_unknown: (meter: string) => l(`水表 ${meter} 不存在`, `There is no meter ${meter}`),
  date_required: () => l('请填写抄表时间', 'The reading time is required'),
  date_bad: (text: string) => l(`抄表时间「${text}」格式不正确，应为 ISO 8601 或 YYYY-MM-DD HH:mm`, `The reading time "${text}" is not ISO 8601 or YYYY-MM-DD HH:mm`),
  date_future: (text: string) => l(`抄表时间 ${text} 晚于当前时间`, `The reading time ${text} is in the future`),
  date_before_install: (installed: string) => l(`抄表时间早于水表安装日期 ${installed}`, `The reading time is before the meter was installed (${installed})`),
  value_required: () => l('请填写读数', 'The reading value is required'),
  value_bad: (text: string) => l(`读数「${text}」不是数字`, `The reading "${text}" is not a number`),
  value_negative: (text: string) => l(`读数 ${text} 不能为负数`, `The reading ${text} must not be negative`),
  value_not_integer: (text: string) => l(`读数 ${text} 必须是整数升`, `The reading ${text} must be a whole number of litres`),
  value_too_large: (text: string) => l(`读数 ${text} 超出范围`, `The reading ${text} is out of range`),
  value_decimals: (text: string) => l(`立方米读数 ${text} 最多保留 3 位小数`, `The reading ${text} m³ has more than 3 decimals`),
  value_ambiguous: () => l('升和立方米读数只能填写一个', 'Give the reading in litres or in m³, not both'),
  duplicate_row: (first: number) => l(`与第 ${first} 行重复（同一水表、同一抄表时间）`, `Repeats row ${first} (same meter, same reading time)`),
  exists: (id: number) => l(`该读数已录入（记录 ${id}）`, `This reading is already recorded (reading ${id})`),
  conflict: (id: number, valueL: string) => l(`该水表同一时间已有不同读数 ${valueL} 升（记录 ${id}）`, `The meter already has a different reading at that time: ${valueL} L (reading ${id})`),
  meter_retired: (meter: string) => l(`水表 ${meter} 已拆除，不能录入读数`, `Meter ${meter} is retired; it takes no readings`),
  meter_swapped: (meter: string, at: string) => l(`水表 ${meter} 已于 ${at} 换下，不能录入之后的读数`, `Meter ${meter} was swapped out at ${at}; it takes no later readings`),
  photo_bad: () => l('照片应为 data:image/… 的 base64 数据或 http(s) 链接', 'The photo must be a data:image/… base64 URL or an http(s) URL'),
  photo_too_large: (maxMb: number) => l(`照片不能超过 ${maxMb} MB`, `The photo must not exceed ${maxMb} MB`),
  latitude_bad: () => l('纬度应为 -90 到 90 之间的数字', 'The latitude must be a number from -90 to 90'),
  longitude_bad: () => l('经度应为 -180 到 180 之间的数字', 'The longitude must be a number from -180 to 180'),
  note_bad: (max: number) => l(`备注应为不超过 ${max} 字的文本`, `The note must be text of at most ${max} characters`),
} as const;

export type FieldCode = keyof typeof fieldMessages;

/** Refusals of whole requests. */
export const requestMessages = {
  body_object: () => l('请求体应为 JSON 对象', 'The request body must be a JSON object'),
  unknown_field: (name: string) => l(`未知字段 ${name}`, `Unknown field ${name}`),
  id_bad: (text: string) => l(`编号「${text}」不是正整数`, `The id "${text}" is not a positive integer`),
  reading_not_found: (id: string) => l(`抄表记录 ${id} 不存在`, `There is no reading ${id}`),
  import_not_found: (id: string) => l(`导入批次 ${id} 不存在`, `There is no import batch ${id}`),
  swap_not_found: (id: string) => l(`换表记录 ${id} 不存在`, `There is no meter swap ${id}`),
  book_not_found: (id: string) => l(`抄表册 ${id} 不存在`, `There is no reading book ${id}`),
  query_bad: (name: string) => l(`查询参数 ${name} 不正确`, `The query parameter ${name} is not valid`),
  status_bad: (text: string) => l(`状态「${text}」不正确`, `"${text}" is not a reading status`),
  source_bad: (text: string) => l(`来源「${text}」不正确`, `"${text}" is not a reading source`),
  page_bad: () => l('页码或每页条数不正确（每页最多 200 条）', 'The page or page size is not valid (at most 200 a page)'),
  range_bad: () => l('开始时间不能晚于结束时间', 'The start must not be after the end'),
  file_name_bad: () => l('请填写文件名（不超过 255 字）', 'The file name is required (at most 255 characters)'),
  format_bad: () => l('文件格式应为 csv 或 xlsx', 'The format must be csv or xlsx'),
  content_bad: () => l('文件内容应为 base64 编码', 'The file content must be base64'),
  content_too_large: (maxMb: number) => l(`文件不能超过 ${maxMb} MB`, `The file must not exceed ${maxMb} MB`),
  file_unreadable: (format: string) => l(`无法读取 ${format} 文件`, `The ${format} file cannot be read`),
  file_empty: () => l('文件中没有数据行', 'The file has no data rows'),
  too_many_rows: (max: number) => l(`文件超过 ${max} 行`, `The file has more than ${max} rows`),
  columns_missing: (names: string) => l(`缺少列：${names}（表头应为 meterNo、readAt、valueL 或 valueM3）`, `Missing columns: ${names} (the header needs meterNo, readAt and valueL or valueM3)`),
  swap_same_meter: () => l('新旧水表不能相同', 'The old and the new meter must differ'),
  swap_again: (meter: string) => l(`水表 ${meter} 已换下，不能再次换表`, `Meter ${meter} has already been swapped out`),
  swap_new_used: (meter: string) => l(`新表 ${meter} 已在其他换表记录中使用`, `The new meter ${meter} is already used by another swap`),
  swap_new_unavailable: (meter: string, status: string) => l(`新表 ${meter} 状态为 ${status}，不能装上`, `The new meter ${meter} is ${status}; it cannot be put in`),
  swap_final_below: (finalL: string, lastL: string) => l(`旧表止码 ${finalL} 升小于最近读数 ${lastL} 升`, `The old meter's final reading ${finalL} L is below its last known reading ${lastL} L`),
  reason_bad: () => l('请填写换表原因（不超过 500 字）', 'The reason is required (at most 500 characters)'),
} as const;

/** A 400 for one field. */
export function invalid(message: Bilingual, path: string): PackError {
  return new PackError('validation_failed', message, path);
}

/** The message of a parser's field error: the codes a parser answers take the offending text or nothing. */
export function parsedMessage(code: FieldCode, text: string): Bilingual {
  return (fieldMessages[code] as (text: string) => Bilingual)(text);
}
