import type { AnalyticsStore, QueryParams } from '@shuiyun/analytics';
import { type Db, inTenant, packEvents, queryRows, type Tx } from '@shuiyun/db';
import { AppError, type Locale } from '@shuiyun/http';
import { type Pack, type PackDeviceCommand, type PackDevices, PackError, type PackServices, type PackTenant, type PackTx, type SqlParam } from '@shuiyun/sdk';
import { sql, type SQL } from 'drizzle-orm';
import { queueCommand } from '../iot/command-routes.js';
import type { DeviceCommands } from '../iot/device-commands.js';
import type { PermissionModel } from '../permissions/permission-model.js';
import type { WorkflowEngine } from '../workflow/engine.js';
import { skipLiteral } from './migrations.js';

/** What pack services are built from: the runtime's ports. */
export interface ServiceDeps {
  db: Db;
  analytics?: AnalyticsStore | undefined;
  workflow: WorkflowEngine;
  permissions: PermissionModel;
  /** The IoT downlink, when the runtime runs its IoT part: packs queue device commands through it. */
  commands?: DeviceCommands | undefined;
}

/** Who the services act for: a tenant, and the signed-in user of a route (null for workers and event handlers). */
export interface ServiceScope {
  tenant: PackTenant;
  user: { id: number; username: string } | null;
  locale: Locale;
  /** The request's transaction, when the services serve a route: `transaction` then joins it. */
  tx?: Tx | undefined;
  requestId?: string | undefined;
  progress?: ((done: number, total: number | null) => void) | undefined;
  /** A public route's services: no user, and `can` is always false. */
  anonymous?: boolean;
  /**
   * Work to do once the request's transaction (`tx`) commits, run by whoever commits it (the route);
   * without it, such work waits for its periodic sweep (device commands: the next sweep).
   */
  afterCommit?: (() => void)[] | undefined;
}

/** A Postgres array literal (`{1,2}`, `{"a","b \\"c\\""}`): one bound text value that `$1::bigint[]` or `$1::text[]` casts. */
function arrayLiteral(values: readonly (string | number | bigint | null)[]): string {
  const element = (v: string | number | bigint | null) => (v === null ? 'NULL' : typeof v === 'string' ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : String(v));
  return `{${values.map(element).join(',')}}`;
}

/** A bound value as both drivers take it: exact integers and instants as text, arrays as array literals, objects as JSON. */
function bindable(value: SqlParam): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  // drizzle would spread a JS array into a list of parameters; one array literal keeps `any($1::text[])` and `unnest` working.
  if (Array.isArray(value)) return arrayLiteral(value as (string | number | bigint | null)[]);
  if (value !== null && typeof value === 'object') return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return value;
}

/**
 * `$1`, `$2` … of a statement's text as bound parameters (outside quoted text and comments), so a pack
 * writes plain PostgreSQL and no value is ever pasted into it.
 */
export function boundStatement(text: string, params: readonly SqlParam[]): SQL {
  const chunks: SQL[] = [];
  let start = 0;
  let i = 0;
  const used = new Set<number>();
  while (i < text.length) {
    const skipped = skipLiteral(text, i);
    if (skipped > i) i = skipped;
    else if (text[i] === '$' && /\d/.test(text[i + 1] ?? '')) {
      const digits = /^\d+/.exec(text.slice(i + 1))![0];
      const n = Number(digits);
      if (n < 1 || n > params.length) throw new Error(`the statement uses $${n} but ${params.length} parameter(s) were given`);
      used.add(n);
      chunks.push(sql.raw(text.slice(start, i)), sql`${bindable(params[n - 1]!)}`);
      i += 1 + digits.length;
      start = i;
    } else i++;
  }
  chunks.push(sql.raw(text.slice(start)));
  if (used.size !== params.length) throw new Error(`${params.length} parameter(s) were given but the statement uses ${used.size}`);
  return sql.join(chunks, sql``);
}

/** `int8` and `numeric`: text on both drivers (node-postgres answers strings; PGlite numbers, or bigints past 2^53). */
const EXACT_TYPES = new Set([20, 1700]);

/** A statement's rows with 64-bit integers and numerics as text, whichever driver ran it. */
async function exactRows<T>(tx: Tx, statement: SQL): Promise<T[]> {
  const result = (await tx.execute(statement)) as unknown as { rows: Record<string, unknown>[]; fields?: { name: string; dataTypeID: number }[] };
  const exact = (result.fields ?? []).filter((f) => EXACT_TYPES.has(f.dataTypeID)).map((f) => f.name);
  if (exact.length > 0) {
    for (const row of result.rows) for (const name of exact) if (row[name] !== null && row[name] !== undefined && typeof row[name] !== 'string') row[name] = String(row[name]);
  }
  return result.rows as T[];
}

/** The database transaction behind a pack's transaction, and what to do once it commits. */
const transactions = new WeakMap<PackTx, { tx: Tx; afterCommit: (() => void)[] | undefined }>();

function txOf(deps: ServiceDeps, pack: Pack, scope: ServiceScope, tx: Tx, afterCommit: (() => void)[] | undefined): PackTx {
  const packTx: PackTx = {
    query: <T>(text: string, params: readonly SqlParam[] = []) => exactRows<T>(tx, boundStatement(text, params)),
    emit: async (name, payload) => {
      const declared = pack.events.emits.find((e) => e.name === name);
      if (!declared) throw new Error(`${pack.id} emits ${name}, which its manifest does not declare in events.emits`);
      const checked = declared.payload.safeParse(payload);
      if (!checked.success) throw new Error(`${name}: the payload does not match its schema: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const json = JSON.parse(JSON.stringify(checked.data, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
      await tx.insert(packEvents).values({ tenantId: scope.tenant.id, tenantPath: scope.tenant.path, packId: pack.id, name, payload: json, emittedBy: scope.user?.id ?? null });
      // Consumers on every node hear of it once this commits.
      await tx.execute(sql`select pg_notify('shuiyun_pack_events', ${String(scope.tenant.id)})`);
    },
    startProcess: async (processId, options = {}) => {
      const row = await deps.workflow.startInstance(tx, { tenantId: scope.tenant.id, processId, variables: options.variables ?? {}, businessKey: options.businessKey ?? null, startedBy: scope.user?.id ?? null });
      return String(row.id);
    },
    publishMessage: async (name, options) => {
      await deps.workflow.publishMessage(tx, { tenantId: scope.tenant.id, name, correlationKey: options.correlationKey ?? '', variables: options.variables ?? {}, startedBy: scope.user?.id ?? null });
    },
  };
  transactions.set(packTx, { tx, afterCommit });
  return packTx;
}

const transactionOf = (packTx: PackTx) => {
  const state = transactions.get(packTx);
  if (!state) throw new Error('devices: pass the PackTx your transaction callback was given');
  return state;
};

interface CommandRow {
  id: string;
  device: string;
  service: string;
  status: PackDeviceCommand['status'];
  failure_reason: string | null;
  updated_at: Date | string;
}

const commandOf = (row: CommandRow): PackDeviceCommand => ({
  id: String(row.id),
  device: row.device,
  service: row.service,
  status: row.status,
  failureReason: row.failure_reason,
  updatedAt: new Date(row.updated_at).toISOString(),
});

const commandSelect = `select c.id, d.meter_number as device, c.service, c.status, c.failure_reason, c.updated_at
  from device_commands c join devices d on d.id = c.device_id`;

/** The IoT downlink as a pack sees it: the tenant's devices by meter number or device key (row-level security keeps it to the tenant). */
function packDevices(deps: ServiceDeps & { commands: DeviceCommands }, userId: number | null): PackDevices {
  return {
    async command(packTx, device, service, options = {}) {
      const { tx, afterCommit } = transactionOf(packTx);
      const [found] = await exactRows<{ id: string }>(tx, sql`select id from devices where meter_number = ${device} or device_key = ${device} order by (meter_number = ${device}) desc limit 1`);
      if (!found) throw new PackError('not_found', { 'zh-CN': `没有表号或设备编码为 ${device} 的设备`, en: `no device with the meter number or device key ${device}` }, 'device');
      let queued: Awaited<ReturnType<typeof queueCommand>>;
      try {
        queued = await queueCommand(tx, Number(found.id), { service, params: options.params ?? {}, expiresInSeconds: options.expiresInSeconds ?? 900 }, userId);
      } catch (error) {
        if (error instanceof AppError) {
          const message = error.details?.map((d) => d.message).join('; ') || error.message;
          const code = error.code === 'validation_failed' || error.code === 'not_found' ? error.code : 'conflict';
          throw new PackError(code, { 'zh-CN': `设备 ${device} 不能执行 ${service}：${message}`, en: `device ${device} cannot take ${service}: ${message}` }, 'device');
        }
        throw error;
      }
      const { command, carrier } = queued;
      // Handed to the transport once the command is visible to other connections; else the next sweep sends it.
      afterCommit?.push(() => void deps.commands.queued(command, carrier));
      return commandOf({ id: String(command.id), device, service: command.service, status: command.status, failure_reason: command.failureReason, updated_at: command.updatedAt });
    },
    async commandStatus(packTx, id) {
      if (!/^[0-9]{1,18}$/.test(id)) return null;
      const { tx } = transactionOf(packTx);
      const [row] = await exactRows<CommandRow>(tx, sql.raw(`${commandSelect} where c.id = ${id}`));
      return row ? commandOf(row) : null;
    },
  };
}

/** The platform as a pack's route, worker, seed or event handler gets it, for one tenant. */
export function packServices(deps: ServiceDeps, pack: Pack, scope: ServiceScope): PackServices {
  const unavailable = () => new AppError('not_ready', { details: [{ path: 'analytics', message: 'the analytics store is not configured in this runtime' }] });
  const analyticsScope = { tenantPath: scope.tenant.path };
  return {
    pack: pack.id,
    tenant: scope.tenant,
    user: scope.user,
    locale: scope.locale,
    transaction: async (work) => {
      if (scope.tx) return work(txOf(deps, pack, scope, scope.tx, scope.afterCommit));
      const afterCommit: (() => void)[] = [];
      const result = await inTenant(deps.db, { tenantPath: scope.tenant.path, userId: null, userName: `pack:${pack.id}`, requestId: scope.requestId ?? null }, (tx) =>
        work(txOf(deps, pack, scope, tx, afterCommit)),
      );
      for (const after of afterCommit) after();
      return result;
    },
    analytics: {
      query: async (text, params = {}) => {
        if (!deps.analytics) throw unavailable();
        return deps.analytics.query(analyticsScope, text, params as QueryParams) as never;
      },
      stream: (text, params, batchRows = 10_000) => {
        const store = deps.analytics;
        return {
          async *[Symbol.asyncIterator]() {
            if (!store) throw unavailable();
            let batch: never[] = [];
            for await (const row of store.stream(analyticsScope, text, params as QueryParams)) {
              batch.push(row as never);
              if (batch.length >= batchRows) {
                yield batch;
                batch = [];
              }
            }
            if (batch.length > 0) yield batch;
          },
        };
      },
    },
    ...(deps.commands ? { devices: packDevices({ ...deps, commands: deps.commands }, scope.user?.id ?? null) } : {}),
    can: (permission) => (scope.anonymous ? false : scope.user ? deps.permissions.can(scope.user.id, scope.tenant.id, permission) : true),
    ...(scope.progress ? { progress: scope.progress } : {}),
  };
}

/** A tenant as the services name it, read with the caller's transaction (time zone from its settings). */
export async function tenantOf(tx: Tx, tenantId: number): Promise<PackTenant> {
  const [row] = await queryRows<{ id: string | number; path: string; time_zone: string | null }>(
    tx,
    sql`select id, path::text as path, settings->>'timeZone' as time_zone from tenants where id = ${tenantId}`,
  );
  if (!row) throw new AppError('not_found', { details: [{ path: 'tenantId', message: `no tenant ${tenantId}` }] });
  return { id: Number(row.id), path: row.path, timeZone: row.time_zone ?? 'Asia/Shanghai' };
}
