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
