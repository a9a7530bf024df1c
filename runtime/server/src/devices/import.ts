import { buildings, communities, type DeviceState, deviceStateHistory, devices, type ModbusConnection, products, type Tx } from '@shuiyun/db';
import { AppError, type ErrorDetail, type Locale } from '@shuiyun/http';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { TargetTenant } from '../http/scoped-queries.js';
import { columnOf, headerOf, ledgerColumns, type LedgerKey, type LedgerRow } from './columns.js';
import { type Actor, deviceField, normaliseDeviceKey, type ProductRow } from './device-service.js';
import { type ImportErrorCode, importMessages } from './import-messages.js';
import { connectionField, connectionProblem, DEFAULT_MODBUS_PORT, DEFAULT_POLL_SECONDS } from './modbus-settings.js';
import { readCsv, readXlsx, type LedgerFormat, type SheetRow } from './ledger-file.js';
import { deviceStates, stateLabels } from './lifecycle.js';

/** One file holds at most this many devices: a county's meters go in a few files, each one transaction. */
export const MAX_IMPORT_ROWS = 50_000;
/** The report lists this many problems at most; a file with more is wrong throughout. */
const MAX_REPORTED_ERRORS = 1_000;
const CHUNK = 500;

/** A problem with one cell (or the file), with the row number a person sees in Excel. */
export interface ImportRowError extends ErrorDetail {
  row: number;
  column: string | null;
  code: ImportErrorCode;
  message: string;
}

export interface ImportReport {
  dryRun: boolean;
  /** Data rows in the file. */
  rows: number;
  /** Devices written: 0 on a dry run. */
  created: number;
}

/** The file's rows, or the whole-file error that stops the import before any row is looked at. */
export async function readLedger(bytes: Uint8Array, format: LedgerFormat, locale: Locale): Promise<SheetRow[]> {
  const result = format === 'csv' ? readCsv(bytes, MAX_IMPORT_ROWS) : await readXlsx(bytes, MAX_IMPORT_ROWS);
  if (!result.ok) {
    const code = result.reason === 'too_many_rows' ? 'too_many_rows' : 'unreadable_file';
    throw reject([fileError(code, locale, { detail: result.detail, max: MAX_IMPORT_ROWS })]);
  }
  if (result.rows.length < 2) throw reject([fileError('empty_file', locale, {})]);
  return result.rows;
}

function fileError(code: ImportErrorCode, locale: Locale, params: Record<string, string | number>): ImportRowError {
  return { row: 0, column: null, path: 'file', code, message: importMessages[code][locale](params as never) };
}

function reject(errors: ImportRowError[]): AppError {
  const sorted = [...errors].sort((a, b) => a.row - b.row);
  return new AppError('import_rejected', { details: sorted.slice(0, MAX_REPORTED_ERRORS) });
}

const columnName = (key: LedgerKey, locale: Locale) => (locale === 'zh-CN' ? headerOf(key) : ledgerColumns.find((c) => c.key === key)!.aliases[0]);

/** Maps header cells onto ledger columns; unknown, repeated and missing columns stop the import. */
function mapHeader(header: SheetRow, locale: Locale): { columns: (LedgerKey | undefined)[]; errors: ImportRowError[] } {
  const errors: ImportRowError[] = [];
  const seen = new Set<LedgerKey>();
  const columns = header.cells.map((cell) => {
    if (cell === '') return undefined;
    const key = columnOf(cell);
    const at = { row: header.row, column: cell, path: `rows.${header.row}` };
    if (!key) errors.push({ ...at, code: 'unknown_column', message: importMessages.unknown_column[locale]({ value: cell }) });
    else if (seen.has(key)) errors.push({ ...at, code: 'duplicate_column', message: importMessages.duplicate_column[locale]({ value: cell }) });
    else {
      seen.add(key);
      return key;
    }
    return undefined;
  });
  for (const column of ledgerColumns) {
    if (column.required && !seen.has(column.key)) {
      const name = columnName(column.key, locale);
      errors.push({ row: header.row, column: name, path: `rows.${header.row}`, code: 'missing_column', message: importMessages.missing_column[locale]({ column: name }) });
    }
  }
  return { columns, errors };
}

/** 2024-03-05, and the 2024/3/5 or 2024.3.5 that Chinese spreadsheets write. */
function isoDate(text: string): string {
  const m = /^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$/.exec(text);
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : text;
}

/** A whole number typed in a cell, through the JSON API's rule for the field. */
const wholeNumber = (rule: z.ZodNumber) =>
  z
    .string()
    .regex(/^[0-9]{1,9}$/, 'a whole number')
    .transform(Number)
    .pipe(rule);

const stateByName = new Map<string, DeviceState>(
  deviceStates.flatMap((s) => [s, stateLabels[s]['zh-CN'], stateLabels[s].en].map((name) => [name.toLowerCase(), s] as const)),
);

interface ValidRow {
  row: number;
  meterNumber: string;
  deviceKey: string;
  product: ProductRow;
  communityId: number | null;
  buildingId: number | null;
  orgPath: string | null;
  accountRef: string | null;
  dmaCode: string | null;
  installDate: string | null;
  latitude: string | null;
  longitude: string | null;
  state: DeviceState;
  connection: ModbusConnection | null;
}

/**
 * Checks every row of the file against the tenant's products, communities, buildings and devices, and
 * writes the devices only when no row has a problem, in the caller's transaction: all or nothing.
 */
export async function importLedger(
  tx: Tx,
  sheet: SheetRow[],
  options: { tenant: TargetTenant; dryRun: boolean; locale: Locale; actor: Actor },
): Promise<ImportReport> {
  const { tenant, locale } = options;
  const [header, ...data] = sheet as [SheetRow, ...SheetRow[]];
  const mapped = mapHeader(header, locale);
  if (mapped.errors.length) throw reject(mapped.errors);

  const records = data.map(({ row, cells }) => {
    const record = Object.fromEntries(ledgerColumns.map((c) => [c.key, ''])) as LedgerRow;
    mapped.columns.forEach((key, i) => {
      if (key) record[key] = cells[i] ?? '';
    });
    return { row, record };
  });

  const productByCode = new Map((await tx.select().from(products).where(eq(products.tenantId, tenant.id))).map((p) => [p.code, p]));
  const communityByCode = new Map(
    (await tx.select().from(communities).where(eq(communities.tenantId, tenant.id))).map((c) => [c.code, c]),
  );
  const namedCommunities = [...new Set(records.map((r) => communityByCode.get(r.record.community)?.id).filter((id): id is number => id !== undefined))];
  const buildingByKey = new Map<string, typeof buildings.$inferSelect>();
  for (let i = 0; i < namedCommunities.length; i += CHUNK) {
    const rows = await tx
      .select()
      .from(buildings)
      .where(and(eq(buildings.tenantId, tenant.id), inArray(buildings.communityId, namedCommunities.slice(i, i + CHUNK))));
    for (const b of rows) buildingByKey.set(`${b.communityId}/${b.code}`, b);
  }

  const errors: ImportRowError[] = [];
  const valid: ValidRow[] = [];
  for (const { row, record } of records) {
    const problems: ImportRowError[] = [];
    const problem = (key: LedgerKey | null, code: ImportErrorCode, params: Record<string, string | number> = {}) => {
      const column = key ? columnName(key, locale) : null;
      problems.push({ row, column, path: key ? `rows.${row}.${key}` : `rows.${row}`, code, message: importMessages[code][locale]({ column: column ?? '', ...params } as never) });
    };
    /** A field through the same schema as the JSON API; null when empty and optional. */
    const field = <T>(key: LedgerKey, schema: z.ZodType<T>, required: boolean, text = record[key]): T | null => {
      if (text === '') {
        if (required) problem(key, 'required');
        return null;
      }
      const parsed = schema.safeParse(text);
      if (parsed.success) return parsed.data;
      problem(key, 'invalid_value', { value: text, hint: parsed.error.issues[0]?.message ?? '' });
      return null;
    };

    const meterNumber = field('meterNumber', deviceField.meterNumber, true);
    let deviceKey = field('deviceKey', deviceField.deviceKey, true);
    let product: ProductRow | undefined;
    if (record.product === '') problem('product', 'required');
    else if (!(product = productByCode.get(record.product))) problem('product', 'unknown_product', { value: record.product });
    if (product && deviceKey !== null) {
      const normalised = normaliseDeviceKey(product, deviceKey);
      if (normalised.ok) deviceKey = normalised.key;
      else {
        problem('deviceKey', 'invalid_value', { value: deviceKey, hint: normalised.message });
        deviceKey = null;
      }
    }
    let community: typeof communities.$inferSelect | undefined;
    if (record.community !== '' && !(community = communityByCode.get(record.community))) problem('community', 'unknown_community', { value: record.community });
    let building: typeof buildings.$inferSelect | undefined;
    if (record.building !== '') {
      if (record.community === '') problem('building', 'building_without_community');
      else if (community && !(building = buildingByKey.get(`${community.id}/${record.building}`))) {
        problem('building', 'unknown_building', { value: record.building, community: record.community });
      }
    }
    const accountRef = field('accountRef', deviceField.accountRef, false);
    const dmaCode = field('dmaCode', deviceField.dmaCode, false);
    const installDate = field('installDate', deviceField.installDate, false, isoDate(record.installDate));
    const latitude = field('latitude', deviceField.latitude, false);
    const longitude = field('longitude', deviceField.longitude, false);
    if ((record.latitude === '') !== (record.longitude === '')) problem(record.latitude === '' ? 'latitude' : 'longitude', 'coordinates_incomplete');
    const beforeConnection = problems.length;
    const modbusHost = field('modbusHost', connectionField.host, false);
    const modbusPort = field('modbusPort', wholeNumber(connectionField.port), false);
    const modbusUnit = field('modbusUnit', wholeNumber(connectionField.unitId), modbusHost !== null);
    const pollInterval = field('pollInterval', wholeNumber(connectionField.intervalSeconds), false);
    let connection: ModbusConnection | null = null;
    if (record.modbusHost === '' && (record.modbusPort !== '' || record.modbusUnit !== '' || record.pollInterval !== '')) problem('modbusHost', 'connection_incomplete');
    else if (modbusHost !== null && modbusUnit !== null) {
      connection = { host: modbusHost, port: modbusPort ?? DEFAULT_MODBUS_PORT, unitId: modbusUnit, intervalSeconds: pollInterval ?? DEFAULT_POLL_SECONDS };
    }
    // Against the product only when the connection cells themselves are fine, so one mistake is not reported twice.
    if (product && problems.length === beforeConnection) {
      const mismatch = connectionProblem(product, connection, locale);
      if (mismatch) problem('modbusHost', mismatch.code, { product: product.code, transport: product.transport, codec: product.codec });
    }
    let state: DeviceState = 'installed';
    if (record.state !== '') {
      const known = stateByName.get(record.state.toLowerCase());
      if (known) state = known;
      else problem('state', 'unknown_state', { value: record.state, allowed: deviceStates.map((s) => stateLabels[s][locale]).join(locale === 'zh-CN' ? '、' : ', ') });
    }

    if (problems.length) errors.push(...problems);
    else {
      valid.push({
        row,
        meterNumber: meterNumber!,
        deviceKey: deviceKey!,
        product: product!,
        communityId: community?.id ?? null,
        buildingId: building?.id ?? null,
        orgPath: community?.orgPath ?? null,
        accountRef,
        dmaCode,
        installDate,
        latitude,
        longitude,
        state,
        connection,
      });
    }
  }

  errors.push(...duplicatesInFile(valid, locale), ...(await alreadyRegistered(tx, tenant.id, valid, locale)));
  if (errors.length) throw reject(errors);
  if (options.dryRun) return { dryRun: true, rows: records.length, created: 0 };

  const t = { tenantId: tenant.id, tenantPath: tenant.path };
  for (let i = 0; i < valid.length; i += CHUNK) {
    const chunk = valid.slice(i, i + CHUNK);
    const created = await tx
      .insert(devices)
      .values(
        chunk.map((v) => ({
          ...t,
          productId: v.product.id,
          meterNumber: v.meterNumber,
          deviceKey: v.deviceKey,
          accountRef: v.accountRef,
          communityId: v.communityId,
          buildingId: v.buildingId,
          orgPath: v.orgPath,
          dmaCode: v.dmaCode,
          installDate: v.installDate,
          latitude: v.latitude,
          longitude: v.longitude,
          state: v.state,
          connection: v.connection,
          createdBy: options.actor.userId,
        })),
      )
      .returning({ id: devices.id });
    await tx.insert(deviceStateHistory).values(
      created.map((d, j) => ({
        ...t,
        deviceId: d.id,
        fromState: null,
        toState: chunk[j]!.state,
        note: `imported (row ${chunk[j]!.row})`,
        actorId: options.actor.userId,
        actorName: options.actor.userName,
      })),
    );
  }
  return { dryRun: false, rows: records.length, created: valid.length };
}

/** A meter number or device key given twice in one file: every repeat names the row it repeats. */
function duplicatesInFile(rows: ValidRow[], locale: Locale): ImportRowError[] {
  const errors: ImportRowError[] = [];
  for (const key of ['meterNumber', 'deviceKey'] as const) {
    const first = new Map<string, number>();
    for (const r of rows) {
      const seen = first.get(r[key]);
      const column = columnName(key, locale);
      if (seen === undefined) first.set(r[key], r.row);
      else errors.push({ row: r.row, column, path: `rows.${r.row}.${key}`, code: 'duplicate_in_file', message: importMessages.duplicate_in_file[locale]({ column, value: r[key], first: seen }) });
    }
  }
  return errors;
}

/** Rows whose meter number or device key a device of the tenant already has. */
async function alreadyRegistered(tx: Tx, tenantId: number, rows: ValidRow[], locale: Locale): Promise<ImportRowError[]> {
  const errors: ImportRowError[] = [];
  for (const key of ['meterNumber', 'deviceKey'] as const) {
    const column = devices[key];
    const taken = new Set<string>();
    const values = [...new Set(rows.map((r) => r[key]))];
    for (let i = 0; i < values.length; i += CHUNK) {
      const found = await tx
        .select({ value: column })
        .from(devices)
        .where(and(eq(devices.tenantId, tenantId), inArray(column, values.slice(i, i + CHUNK))));
      for (const f of found) taken.add(f.value);
    }
    const name = columnName(key, locale);
    for (const r of rows) {
      if (taken.has(r[key])) {
        errors.push({ row: r.row, column: name, path: `rows.${r.row}.${key}`, code: 'already_registered', message: importMessages.already_registered[locale]({ column: name, value: r[key] }) });
      }
    }
  }
  return errors;
}
