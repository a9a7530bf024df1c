/**
 * The columns of the device ledger file (设备台账), in the order export writes them. Import reads the
 * Chinese header or any English alias, in any order and any letter case, so an export re-imports as is.
 */
export const ledgerColumns = [
  { key: 'meterNumber', header: '表号', aliases: ['meter_number', 'meter number', 'meterNumber'], required: true },
  { key: 'deviceKey', header: '设备标识', aliases: ['device_key', 'device key', 'deviceKey', 'imei'], required: true },
  { key: 'product', header: '产品', aliases: ['product', 'product_code', 'product code'], required: true },
  { key: 'community', header: '小区', aliases: ['community', 'community_code', 'community code'], required: false },
  { key: 'building', header: '楼栋', aliases: ['building', 'building_code', 'building code'], required: false },
  { key: 'accountRef', header: '户号', aliases: ['account_ref', 'account', 'account_number', 'accountRef'], required: false },
  { key: 'dmaCode', header: 'DMA', aliases: ['dma', 'dma_code', 'dmaCode', 'DMA分区'], required: false },
  { key: 'installDate', header: '安装日期', aliases: ['install_date', 'install date', 'installDate'], required: false },
  { key: 'latitude', header: '纬度', aliases: ['lat', 'latitude'], required: false },
  { key: 'longitude', header: '经度', aliases: ['lng', 'lon', 'longitude'], required: false },
  { key: 'state', header: '状态', aliases: ['state', 'status'], required: false },
  // Where the platform polls a device of a Modbus (codec modbus) product; empty for every other device.
  { key: 'modbusHost', header: 'Modbus主机', aliases: ['modbus_host', 'modbus host', 'modbusHost'], required: false },
  { key: 'modbusPort', header: 'Modbus端口', aliases: ['modbus_port', 'modbus port', 'modbusPort'], required: false },
  { key: 'modbusUnit', header: 'Modbus从站号', aliases: ['modbus_unit', 'modbus unit', 'modbusUnit', 'unit_id'], required: false },
  { key: 'pollInterval', header: '轮询间隔(秒)', aliases: ['poll_interval_s', 'poll interval', 'pollIntervalSeconds', '轮询间隔'], required: false },
] as const;

export type LedgerKey = (typeof ledgerColumns)[number]['key'];
export type LedgerRow = Record<LedgerKey, string>;

const byName = new Map<string, LedgerKey>(
  ledgerColumns.flatMap((c) => [c.header, ...c.aliases].map((name) => [name.trim().toLowerCase(), c.key] as const)),
);

/** The ledger column a header cell names, or undefined. */
export function columnOf(header: string): LedgerKey | undefined {
  return byName.get(header.replace(/^\uFEFF/, '').trim().toLowerCase());
}

export const headerOf = (key: LedgerKey) => ledgerColumns.find((c) => c.key === key)!.header;
