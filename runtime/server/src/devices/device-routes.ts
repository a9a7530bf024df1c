import { buildings, communities, deviceStateHistory, devices, products, tenants, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { and, asc, eq, ilike, or, type SQL } from 'drizzle-orm';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route, type RuntimeRoute } from '../http/route.js';
import { idFilterConditions, requireReference, resolveTenant } from '../http/scoped-queries.js';
import type { BrokerCredentials } from '../iot/broker-credentials.js';
import { brokerAccountOutcome, brokerDevice, provisionIssued } from './broker-account-routes.js';
import { ledgerColumns } from './columns.js';
import {
  type Actor,
  type DeviceRow,
  deviceField,
  newMqttSecret,
  normaliseDeviceKey,
  presentDevice,
  type ProductRow,
  recordStep,
  resolvePlacement,
  signsInWithSecret,
} from './device-service.js';
import { streamLedger } from './export.js';
import { importLedger, MAX_IMPORT_ROWS, readLedger } from './import.js';
import { type LedgerFormat, mediaTypes } from './ledger-file.js';
import { assertTransition, deviceStates } from './lifecycle.js';
import { connectionProblem, modbusConnectionSchema } from './modbus-settings.js';

const tags = ['Devices 设备'];
const id = z.number().int().positive();

/** Upload limit of one import file: about 100 000 CSV rows, far above MAX_IMPORT_ROWS, well below memory trouble. */
export const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

const deviceView = z.object({
  id: z.number(),
  tenantId: z.number(),
  tenantPath: z.string(),
  productId: z.number(),
  meterNumber: z.string(),
  deviceKey: z.string(),
  accountRef: z.string().nullable(),
  communityId: z.number().nullable(),
  buildingId: z.number().nullable(),
  dmaCode: z.string().nullable(),
  latitude: z.string().nullable().describe('WGS-84 degrees, exact decimal'),
  longitude: z.string().nullable(),
  installDate: z.string().nullable(),
  state: z.enum(deviceStates),
  stateChangedAt: z.string(),
  online: z.boolean(),
  onlineChangedAt: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
  hasMqttSecret: z.boolean(),
  secretRotatedAt: z.string().nullable(),
  connection: z
    .object({ host: z.string(), port: z.number(), unitId: z.number(), intervalSeconds: z.number() })
    .nullable()
    .describe('where the platform polls the device over Modbus TCP; set exactly for devices of a polled (codec modbus) product'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const credentialsView = z.object({ username: z.string(), secret: z.string().describe('shown once; only its hash is stored') });

const coordinatesTogether = (v: { latitude?: unknown; longitude?: unknown }, ctx: z.RefinementCtx) => {
  if ((v.latitude == null) !== (v.longitude == null)) {
    ctx.addIssue({ code: 'custom', path: [v.latitude == null ? 'latitude' : 'longitude'], message: 'latitude and longitude go together' });
  }
};

const deviceCreate = z
  .strictObject({
    productId: id,
    meterNumber: deviceField.meterNumber,
    deviceKey: deviceField.deviceKey,
    accountRef: deviceField.accountRef.optional(),
    communityId: id.optional(),
    buildingId: id.optional(),
    dmaCode: deviceField.dmaCode.optional(),
    latitude: deviceField.latitude.optional(),
    longitude: deviceField.longitude.optional(),
    installDate: deviceField.installDate.optional(),
    /** The concentrator (集中器) the meter reports through. */
    gatewayId: id.optional(),
    /** Required for a device of a product the platform polls over Modbus TCP; refused for any other. */
    connection: modbusConnectionSchema.optional(),
  })
  .superRefine(coordinatesTogether);

const deviceUpdate = z.strictObject({
  productId: id.optional(),
  meterNumber: deviceField.meterNumber.optional(),
  deviceKey: deviceField.deviceKey.optional(),
  accountRef: deviceField.accountRef.nullable().optional(),
  communityId: id.nullable().optional(),
  buildingId: id.nullable().optional(),
  dmaCode: deviceField.dmaCode.nullable().optional(),
  latitude: deviceField.latitude.nullable().optional(),
  longitude: deviceField.longitude.nullable().optional(),
  installDate: deviceField.installDate.nullable().optional(),
  gatewayId: id.nullable().optional(),
  /** Replaces the Modbus connection as a whole; null removes it (a device moving to a product that is not polled). */
  connection: modbusConnectionSchema.nullable().optional(),
});

/** A device's connection must suit its product: a 400 naming `body.connection` when it does not. */
function assertConnection(product: ProductRow, connection: DeviceRow['connection'], ctx: RequestContext): void {
  const problem = connectionProblem(product, connection, ctx.locale);
  if (problem) throw new AppError('validation_failed', { details: [{ path: 'body.connection', ...problem }] });
}

/** A concentrator of the same tenant, named as a meter's gateway. */
async function requireGateway(tx: Tx, gatewayId: number, tenantId: number) {
  const gateway = await requireReference(tx, devices, gatewayId, tenantId, 'gatewayId');
  const [product] = await tx.select({ kind: products.kind }).from(products).where(eq(products.id, gateway.productId));
  if (product?.kind !== 'concentrator') {
    throw new AppError('validation_failed', { details: [{ path: 'body.gatewayId', message: `device ${gatewayId} is not a concentrator` }] });
  }
  return gateway;
}

/** The filters of the list and of the export. */
const deviceFilters = z.object({
  tenantId: z.coerce.number().int().positive().optional(),
  productId: z.coerce.number().int().positive().optional(),
  communityId: z.coerce.number().int().positive().optional(),
  buildingId: z.coerce.number().int().positive().optional(),
  state: z.enum(deviceStates).optional(),
  online: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  dmaCode: z.string().trim().max(32).optional(),
  q: z.string().trim().max(100).optional(),
});

async function filterConditions(tx: Tx, query: z.output<typeof deviceFilters>): Promise<SQL | undefined> {
  const where: (SQL | undefined)[] = await idFilterConditions(tx, query, {
    tenantId: { column: devices.tenantId, table: tenants },
    productId: { column: devices.productId, table: products },
    communityId: { column: devices.communityId, table: communities },
    buildingId: { column: devices.buildingId, table: buildings },
  });
  if (query.state) where.push(eq(devices.state, query.state));
  if (query.online !== undefined) where.push(eq(devices.online, query.online));
  if (query.dmaCode) where.push(eq(devices.dmaCode, query.dmaCode));
  if (query.q) where.push(or(ilike(devices.meterNumber, `%${query.q}%`), ilike(devices.deviceKey, `%${query.q}%`), ilike(devices.accountRef, `%${query.q}%`)));
  return and(...where);
}

async function loadDevice(tx: Tx, deviceId: number, lock = false): Promise<DeviceRow> {
  const query = tx.select().from(devices).where(eq(devices.id, deviceId));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found');
  return row;
}

async function loadProduct(tx: Tx, productId: number): Promise<ProductRow> {
  const [row] = await tx.select().from(products).where(eq(products.id, productId));
  if (!row) throw new AppError('not_found');
  return row;
}

const actorOf = (ctx: RequestContext): Actor => ({ userId: ctx.principal().userId, userName: ctx.principal().username });

function deviceKeyFor(product: ProductRow, key: string): string {
  const normalised = normaliseDeviceKey(product, key);
  if (!normalised.ok) throw new AppError('validation_failed', { details: [{ path: 'body.deviceKey', code: 'custom', message: normalised.message }] });
  return normalised.key;
}

/** A clearer 409 than the unique index's, naming the field; the index still decides under a narrow data scope. */
async function assertUnique(tx: Tx, tenantId: number, fields: { meterNumber?: string; deviceKey?: string }, except?: number) {
  for (const key of ['meterNumber', 'deviceKey'] as const) {
    const value = fields[key];
    if (value === undefined) continue;
    const [taken] = await tx
      .select({ id: devices.id })
      .from(devices)
      .where(and(eq(devices.tenantId, tenantId), eq(devices[key], value)));
    if (taken && taken.id !== except) {
      throw new AppError('duplicate', { details: [{ path: `body.${key}`, message: `device ${taken.id} already has ${key} ${value}` }] });
    }
  }
}

/** Reads the raw upload up to the limit; a larger one is 413 before anything is parsed. */
function readUpload(req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    express.raw({ type: () => true, limit: IMPORT_BODY_LIMIT })(req, res, (error?: unknown) => {
      if (error) reject(error);
      else resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    });
  });
}

/** The file's format: `?format=` for a generic upload, else its media type. */
function uploadFormat(req: Request, format: LedgerFormat | undefined): LedgerFormat {
  if (req.is(mediaTypes.xlsx)) return 'xlsx';
  if (req.is(['text/csv', 'application/csv', 'text/plain'])) return 'csv';
  if (format && req.is('application/octet-stream')) return format;
  throw new AppError('unsupported_media_type', {
    details: [{ path: 'headers.content-type', message: `${mediaTypes.csv} or ${mediaTypes.xlsx}, or application/octet-stream with ?format=csv|xlsx` }],
  });
}

/**
 * The device registry's routes. With an external broker whose credentials this runtime provisions
 * (`brokerCredentials`), every secret the registry issues goes to the broker right after its commit, and
 * a retired, deleted or re-keyed device's account is revoked there (see BrokerCredentials).
 */
export function deviceRoutes(brokerCredentials: () => BrokerCredentials | undefined): RuntimeRoute[] {
  return [
    // Before `/api/devices/:id`, which would otherwise take `export` for an id.
    route({
      method: 'get',
      path: '/api/devices/export',
      permission: 'device:export',
      summary: `Download the device ledger (设备台账) as CSV or XLSX, with the columns import reads: ${ledgerColumns.map((c) => c.header).join(', ')}`,
      tags,
      query: deviceFilters.extend({ format: z.enum(['csv', 'xlsx']).default('csv') }),
      handler: async ({ query }, ctx, _req, res) => {
        // Filters that name invisible records answer 404 before the download starts.
        const where = await ctx.tx((tx) => filterConditions(tx, query));
        await streamLedger(ctx, res, query.format, where);
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/api/devices/import',
      permission: 'device:import',
      summary:
        `Register devices from a CSV or XLSX ledger sent as the raw request body (at most ${IMPORT_BODY_LIMIT / 1024 / 1024} MiB, ${MAX_IMPORT_ROWS} rows). ` +
        'Every row is checked first; any problem rejects the whole file with a per-row report (422 import_rejected) and writes nothing. ' +
        '`dryRun=true` checks without writing.',
      tags,
      query: z.object({
        tenantId: z.coerce.number().int().positive().optional(),
        dryRun: z
          .enum(['true', 'false'])
          .default('false')
          .transform((v) => v === 'true'),
        format: z.enum(['csv', 'xlsx']).optional(),
      }),
      handler: async ({ query }, ctx, req, res) => {
        const format = uploadFormat(req, query.format);
        const bytes = await readUpload(req, res);
        const sheet = await readLedger(bytes, format, ctx.locale);
        return ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, query.tenantId);
          return importLedger(tx, sheet, { tenant, dryRun: query.dryRun, locale: ctx.locale, actor: actorOf(ctx) });
        });
      },
    }),
    route({
      method: 'get',
      path: '/api/devices',
      permission: 'device:read',
      summary: 'List devices (表具), filtered by tenant, product, community, building, DMA, state, online state or a search',
      tags,
      query: pageQuery.extend(deviceFilters.shape),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const page = await listPage(tx, devices, await filterConditions(tx, query), [devices.tenantPath, devices.meterNumber], query);
          return { ...page, items: page.items.map(presentDevice) };
        }),
    }),
    route({
      method: 'get',
      path: '/api/devices/:id',
      permission: 'device:read',
      summary: 'Read one device',
      tags,
      params: idParams,
      response: deviceView,
      handler: ({ params }, ctx) => ctx.tx(async (tx) => presentDevice(await loadDevice(tx, params.id))),
    }),
    route({
      method: 'post',
      path: '/api/devices',
      permission: 'device:create',
      summary:
        'Register a device in the tenant of its product; an MQTT or CoAP device gets its secret, shown this once (and given to the external MQTT broker when this runtime provisions its credentials)',
      tags,
      status: 201,
      body: deviceCreate,
      response: deviceView.extend({ mqttCredentials: credentialsView.nullable(), brokerAccount: brokerAccountOutcome }),
      handler: async ({ body }, ctx) => {
        const created = await ctx.tx(async (tx) => {
          const [product] = await tx.select().from(products).where(eq(products.id, body.productId));
          if (!product) throw new AppError('invalid_reference', { details: [{ path: 'body.productId', message: `no such product: ${body.productId}` }] });
          const tenant = await resolveTenant(tx, ctx, product.tenantId);
          const deviceKey = deviceKeyFor(product, body.deviceKey);
          await assertUnique(tx, tenant.id, { meterNumber: body.meterNumber, deviceKey });
          const placement = await resolvePlacement(tx, tenant.id, body.communityId ?? null, body.buildingId ?? null);
          const gatewayId = body.gatewayId === undefined ? null : (await requireGateway(tx, body.gatewayId, tenant.id)).id;
          assertConnection(product, body.connection ?? null, ctx);
          const credentials = signsInWithSecret(product) ? await newMqttSecret() : null;
          const [row] = await tx
            .insert(devices)
            .values({
              tenantId: tenant.id,
              tenantPath: tenant.path,
              productId: product.id,
              meterNumber: body.meterNumber,
              deviceKey,
              accountRef: body.accountRef ?? null,
              ...placement,
              dmaCode: body.dmaCode ?? null,
              latitude: body.latitude ?? null,
              longitude: body.longitude ?? null,
              installDate: body.installDate ?? null,
              gatewayId,
              connection: body.connection ?? null,
              mqttSecretHash: credentials?.hash ?? null,
              secretRotatedAt: credentials ? new Date() : null,
              createdBy: ctx.principal().userId,
            })
            .returning();
          await recordStep(tx, row!, null, row!.state, actorOf(ctx), null);
          return { row: row!, product, credentials };
        });
        const { row, product, credentials } = created;
        // After the commit: the broker never learns a secret the registry did not keep.
        const brokerAccount = await provisionIssued(brokerCredentials(), product, row, credentials);
        return { ...presentDevice(row), mqttCredentials: credentials ? { username: row.deviceKey, secret: credentials.secret } : null, brokerAccount };
      },
    }),
    route({
      method: 'patch',
      path: '/api/devices/:id',
      permission: 'device:update',
      summary:
        'Change a device’s registration (its state changes through /transition). An MQTT device given a new key (or moved to a product without MQTT) loses its account on the external broker: rotate its secret to give the broker one under the new key',
      tags,
      params: idParams,
      body: deviceUpdate,
      response: deviceView,
      handler: async ({ params, body }, ctx) => {
        const changed = await ctx.tx(async (tx) => {
          const current = await loadDevice(tx, params.id, true);
          const before = await loadProduct(tx, current.productId);
          const product = body.productId ? await requireReference(tx, products, body.productId, current.tenantId, 'productId') : before;
          const changes: Partial<typeof devices.$inferInsert> = { updatedAt: new Date() };
          if (body.productId !== undefined) changes.productId = product.id;
          if (body.meterNumber !== undefined) changes.meterNumber = body.meterNumber;
          // A new product may decode differently: the key it keeps must suit the new codec too.
          if (body.deviceKey !== undefined || body.productId !== undefined) changes.deviceKey = deviceKeyFor(product, body.deviceKey ?? current.deviceKey);
          await assertUnique(tx, current.tenantId, { meterNumber: changes.meterNumber, deviceKey: changes.deviceKey }, current.id);
          if (body.communityId !== undefined || body.buildingId !== undefined) {
            const communityId = body.communityId !== undefined ? body.communityId : current.communityId;
            // Moving to another community leaves the old building behind unless a new one is named.
            const buildingId = body.buildingId !== undefined ? body.buildingId : communityId === current.communityId ? current.buildingId : null;
            Object.assign(changes, await resolvePlacement(tx, current.tenantId, communityId, buildingId));
          }
          for (const key of ['accountRef', 'dmaCode', 'installDate', 'latitude', 'longitude'] as const) {
            if (body[key] !== undefined) changes[key] = body[key];
          }
          if (body.gatewayId !== undefined) {
            if (body.gatewayId === current.id) throw new AppError('validation_failed', { details: [{ path: 'body.gatewayId', message: 'a device cannot be its own concentrator' }] });
            changes.gatewayId = body.gatewayId === null ? null : (await requireGateway(tx, body.gatewayId, current.tenantId)).id;
          }
          // Checked whenever the product or the connection changes: a device moving to a polled product brings its connection along.
          if (body.connection !== undefined) changes.connection = body.connection;
          if (body.connection !== undefined || body.productId !== undefined) {
            assertConnection(product, body.connection !== undefined ? body.connection : current.connection, ctx);
          }
          const latitude = changes.latitude !== undefined ? changes.latitude : current.latitude;
          const longitude = changes.longitude !== undefined ? changes.longitude : current.longitude;
          if ((latitude === null) !== (longitude === null)) {
            throw new AppError('validation_failed', { details: [{ path: 'body', code: 'custom', message: 'latitude and longitude go together' }] });
          }
          const [row] = await tx.update(devices).set(changes).where(eq(devices.id, current.id)).returning();
          return { current, row: row!, signedInBefore: before.transport === 'mqtt', signsInNow: product.transport === 'mqtt' };
        });
        const { current, row, signedInBefore, signsInNow } = changed;
        if (signedInBefore && (!signsInNow || row.deviceKey !== current.deviceKey)) brokerCredentials()?.withdrawn(brokerDevice(current), current.deviceKey);
        return presentDevice(row);
      },
    }),
    route({
      method: 'delete',
      path: '/api/devices/:id',
      permission: 'device:delete',
      summary: 'Delete a device registered by mistake (only while installed; later it is retired instead)',
      tags,
      params: idParams,
      handler: async ({ params }, ctx) => {
        const { device, product } = await ctx.tx(async (tx) => {
          const device = await loadDevice(tx, params.id, true);
          if (device.state !== 'installed') {
            throw new AppError('conflict', { details: [{ path: 'params.id', message: `a device that is ${device.state} keeps its record: retire it instead` }] });
          }
          const product = await loadProduct(tx, device.productId);
          await tx.delete(devices).where(eq(devices.id, device.id));
          return { device, product };
        });
        if (product.transport === 'mqtt') brokerCredentials()?.withdrawn(brokerDevice(device), device.deviceKey);
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/api/devices/:id/transition',
      permission: 'device:transition',
      summary: 'Move a device along its lifecycle: installed → accepted → in_service ⇄ under_repair, → retired',
      tags,
      params: idParams,
      body: z.strictObject({ to: z.enum(deviceStates), note: z.string().trim().min(1).max(500).optional() }),
      response: deviceView,
      handler: async ({ params, body }, ctx) => {
        const { row, product } = await ctx.tx(async (tx) => {
          // Locked, so two clerks pressing the same button at once take one step, and the second is refused.
          const device = await loadDevice(tx, params.id, true);
          assertTransition(device.state, body.to);
          const now = new Date();
          const [row] = await tx
            .update(devices)
            .set({
              state: body.to,
              stateChangedAt: now,
              updatedAt: now,
              // A retired meter never connects again.
              ...(body.to === 'retired' ? { mqttSecretHash: null } : {}),
            })
            .where(eq(devices.id, device.id))
            .returning();
          await recordStep(tx, device, device.state, body.to, actorOf(ctx), body.note ?? null);
          return { row: row!, product: await loadProduct(tx, device.productId) };
        });
        // A retired meter never connects again: the external broker refuses it too (and drops its connections).
        if (body.to === 'retired' && product.transport === 'mqtt') brokerCredentials()?.retired(brokerDevice(row));
        return presentDevice(row);
      },
    }),
    route({
      method: 'get',
      path: '/api/devices/:id/history',
      permission: 'device:read',
      summary: 'The device’s lifecycle history, oldest step first',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const device = await loadDevice(tx, params.id);
          const items = await tx
            .select({
              id: deviceStateHistory.id,
              fromState: deviceStateHistory.fromState,
              toState: deviceStateHistory.toState,
              note: deviceStateHistory.note,
              actorId: deviceStateHistory.actorId,
              actorName: deviceStateHistory.actorName,
              at: deviceStateHistory.at,
            })
            .from(deviceStateHistory)
            .where(eq(deviceStateHistory.deviceId, device.id))
            .orderBy(asc(deviceStateHistory.id));
          return { id: device.id, meterNumber: device.meterNumber, state: device.state, items };
        }),
    }),
    route({
      method: 'post',
      path: '/api/devices/:id/secret',
      permission: 'device:rotate-secret',
      summary:
        'Issue a new device secret (MQTT password, CoAP token) for the device (the old one stops working); shown this once. With an external broker whose credentials this runtime provisions, the broker gets it too (and drops the device’s connections under the old one)',
      tags,
      params: idParams,
      response: credentialsView.extend({ id: z.number(), rotatedAt: z.string(), brokerAccount: brokerAccountOutcome }),
      handler: async ({ params }, ctx) => {
        // Hashing is deliberately slow: done before the transaction, not while holding the row lock.
        const fresh = await newMqttSecret();
        const rotated = await ctx.tx(async (tx) => {
          const device = await loadDevice(tx, params.id, true);
          const product = await loadProduct(tx, device.productId);
          if (!signsInWithSecret(product)) {
            throw new AppError('conflict', { details: [{ path: 'params.id', message: `product ${product.code} has no device secrets (${product.transport}: only MQTT and CoAP devices sign in with one)` }] });
          }
          if (device.state === 'retired') throw new AppError('conflict', { details: [{ path: 'params.id', message: 'a retired device has no credentials' }] });
          const rotatedAt = new Date();
          const [row] = await tx.update(devices).set({ mqttSecretHash: fresh.hash, secretRotatedAt: rotatedAt }).where(eq(devices.id, device.id)).returning();
          return { row: row!, product, rotatedAt };
        });
        const { row, product, rotatedAt } = rotated;
        const brokerAccount = await provisionIssued(brokerCredentials(), product, row, fresh);
        return { id: row.id, username: row.deviceKey, secret: fresh.secret, rotatedAt, brokerAccount };
      },
    }),
  ];
}
