import { deviceCommands, devices, products, queryRows, type ThingParameter, type ThingService, type Tx } from '@shuiyun/db';
import { AppError, type ErrorDetail, idParams, pageQuery } from '@shuiyun/http';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { isPolledProduct } from '../devices/modbus-settings.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { commandCodecs } from './command-codecs.js';
import type { DeviceCommandRow, DeviceCommands } from './device-commands.js';

const tags = ['Device commands 下行指令'];
const statuses = ['queued', 'sent', 'acknowledged', 'failed', 'expired'] as const;
const open = ['queued', 'sent'] as const;

/** How long the API waits for the hand-over to the transport before answering with what it has. */
const DELIVERY_WAIT_MS = 2_000;
const DEFAULT_EXPIRY_SECONDS = 900;

const commandView = z.object({
  id: z.number(),
  tenantId: z.number(),
  tenantPath: z.string(),
  deviceId: z.number(),
  service: z.string(),
  params: z.record(z.string(), z.unknown()),
  serial: z.number().describe('0–255; CJ/T 188 SER, echoed in the meter’s reply'),
  payloadHex: z.string().describe('the downlink exactly as published, hex'),
  pushEndpointId: z.number().nullable().describe('the push endpoint whose NB-IoT platform API carried the command'),
  platformCommandId: z.string().nullable().describe('the platform’s id of the command (CTWing commandId, OneNET uuid)'),
  status: z.enum(statuses),
  reply: z.record(z.string(), z.unknown()).nullable(),
  failureReason: z.string().nullable(),
  orgPath: z.string().nullable(),
  createdBy: z.number().nullable(),
  queuedAt: z.string(),
  sentAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  expiresAt: z.string(),
  updatedAt: z.string(),
});

const commandBody = z.strictObject({
  service: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a service identifier of the product’s thing model'),
  params: z.record(z.string().max(64), z.unknown()).default({}),
  /** Unanswered by then (or never delivered): expired. */
  expiresInSeconds: z.number().int().min(10).max(7 * 24 * 3600).default(DEFAULT_EXPIRY_SECONDS),
});

const invalid = (path: string, message: string): ErrorDetail => ({ path, message });

/** Checks `params` against the service's declared inputs: every input given, of its type and range, nothing else. */
function checkParams(service: ThingService, params: Record<string, unknown>): ErrorDetail[] {
  const inputs = service.inputs ?? [];
  const problems: ErrorDetail[] = [];
  for (const key of Object.keys(params)) {
    if (!inputs.some((input) => input.identifier === key)) {
      problems.push(invalid(`body.params.${key}`, `service ${service.identifier} takes no parameter ${key}${inputs.length ? `; it takes ${inputs.map((i) => i.identifier).join(', ')}` : ''}`));
    }
  }
  for (const input of inputs) {
    const problem = checkValue(input, params[input.identifier]);
    if (problem) problems.push(invalid(`body.params.${input.identifier}`, problem));
  }
  return problems;
}

function checkValue(input: ThingParameter, value: unknown): string | null {
  if (value === undefined) return `required (${input.dataType})`;
  const inRange = (n: number) =>
    (input.min !== undefined && n < input.min) || (input.max !== undefined && n > input.max) ? `must be between ${input.min ?? '-∞'} and ${input.max ?? '∞'}` : null;
  switch (input.dataType) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? inRange(value) : 'must be a whole number';
    case 'decimal': {
      const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
      if (typeof text !== 'string' || !/^-?[0-9]+(\.[0-9]+)?$/.test(text)) return 'must be a decimal number';
      if (input.scale !== undefined && (text.split('.')[1]?.length ?? 0) > input.scale) return `at most ${input.scale} decimal places`;
      return inRange(Number(text));
    }
    case 'bool':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum':
      return input.enumValues?.some((v) => v.value === value) ? null : `must be one of ${input.enumValues?.map((v) => JSON.stringify(v.value)).join(', ')}`;
    case 'text':
      return typeof value === 'string' && value.length <= 256 ? null : 'must be text of at most 256 characters';
  }
}

async function loadCommand(tx: Tx, id: number): Promise<DeviceCommandRow> {
  const [row] = await tx.select().from(deviceCommands).where(eq(deviceCommands.id, id));
  if (!row) throw new AppError('not_found');
  return row;
}

/** Serials of the device's open commands are distinct; the next one follows the device's last command. */
async function nextSerial(tx: Tx, deviceId: number, taken: Set<number>): Promise<number> {
  const [last] = await tx
    .select({ serial: deviceCommands.serial })
    .from(deviceCommands)
    .where(eq(deviceCommands.deviceId, deviceId))
    .orderBy(desc(deviceCommands.id))
    .limit(1);
  let serial = last ? (last.serial + 1) % 256 : 0;
  while (taken.has(serial)) serial = (serial + 1) % 256;
  return serial;
}

export interface CommandRequest {
  service: string;
  params: Record<string, unknown>;
  expiresInSeconds: number;
}

/**
 * Queues a command for a device in service, in the caller's transaction: checks the service against the
 * product's thing model and codec, refuses a second open command of the same service, encodes the payload.
 * Answers the row and the device that carries it (its concentrator, for a meter behind one); hand both to
 * `DeviceCommands.queued` once the transaction commits.
 */
export async function queueCommand(tx: Tx, deviceId: number, body: CommandRequest, userId: number | null): Promise<{ command: DeviceCommandRow; carrier: number }> {
  // Locked, so two submissions for one device take turns: the second sees the first one open.
  const [device] = await tx.select().from(devices).where(eq(devices.id, deviceId)).for('no key update');
  if (!device) throw new AppError('not_found');
  if (device.state !== 'in_service') {
    throw new AppError('conflict', { details: [invalid('params.id', `device ${device.meterNumber} is ${device.state}; commands go to devices in service`)] });
  }
  const [product] = await tx.select().from(products).where(eq(products.id, device.productId));
  if (!product) throw new AppError('not_found');
  const service = product.thingModel.services.find((s) => s.identifier === body.service);
  if (!service) {
    const offered = product.thingModel.services.map((s) => s.identifier);
    throw new AppError('validation_failed', {
      details: [invalid('body.service', `product ${product.code} has no service ${body.service}${offered.length ? `; its services: ${offered.join(', ')}` : ''}`)],
    });
  }
  const problems = checkParams(service, body.params);
  if (problems.length > 0) throw new AppError('validation_failed', { details: problems });
  const codec = commandCodecs[product.codec];
  if (!codec || (codec.services && !codec.services.includes(body.service))) {
    const can = codec?.services ? `; it sends ${codec.services.join(', ')}` : '';
    throw new AppError('validation_failed', { details: [invalid('body.service', `codec ${product.codec} cannot send service ${body.service}${can}`)] });
  }
  // Commands go out over MQTT (to the device or its concentrator), or as Modbus writes to a device the platform polls;
  // a CoAP device fetches its own, and one behind CTWing/OneNET gets them through the platform's API.
  if (!['mqtt', 'coap', 'http-push'].includes(product.transport) && device.gatewayId === null && !isPolledProduct(product)) {
    throw new AppError('conflict', {
      details: [
        invalid('params.id', `product ${product.code} reaches the platform over ${product.transport}; commands go out over MQTT, to the device or its concentrator, or over Modbus TCP to a polled device, CoAP or an NB-IoT platform`),
      ],
    });
  }
  const pending = await tx
    .select({ id: deviceCommands.id, service: deviceCommands.service, serial: deviceCommands.serial })
    .from(deviceCommands)
    .where(and(eq(deviceCommands.deviceId, device.id), inArray(deviceCommands.status, [...open])));
  const same = pending.find((p) => p.service === body.service);
  if (same) {
    throw new AppError('conflict', { details: [invalid('body.service', `command ${same.id} (${body.service}) is still open for this device`)] });
  }
  const serial = await nextSerial(tx, device.id, new Set(pending.map((p) => p.serial)));
  const [{ id }] = (await queryRows<{ id: number }>(tx, sql`select nextval('device_commands_id_seq')::int as id`)) as [{ id: number }];
  const encoded = codec.encode({ id, deviceKey: device.deviceKey, codecSettings: product.codecSettings, service: body.service, params: body.params, serial });
  if (!encoded.ok) throw new AppError('conflict', { details: [invalid('body.service', encoded.reason)] });
  const [row] = await tx
    .insert(deviceCommands)
    .values({
      id,
      tenantId: device.tenantId,
      tenantPath: device.tenantPath,
      deviceId: device.id,
      service: body.service,
      params: body.params,
      serial,
      payloadHex: Buffer.from(encoded.payload).toString('hex').toUpperCase(),
      orgPath: device.orgPath,
      createdBy: userId,
      expiresAt: new Date(Date.now() + body.expiresInSeconds * 1000),
    })
    .returning();
  return { command: row!, carrier: device.gatewayId ?? device.id };
}

/**
 * 下行指令: queue a command for a device (a service of its product's thing model), list a device's
 * commands, read one. Delivery and replies: see DeviceCommands.
 */
export function deviceCommandRoutes(commands: DeviceCommands | undefined) {
  return [
    route({
      method: 'post',
      path: '/api/devices/:id/commands',
      permission: 'device:command',
      summary:
        'Queue a command for a device in service: a service of its product’s thing model (valve_open, valve_close, read_now…), with its parameters. ' +
        'Answers 202 with the command once it is handed to the device’s downlink, or still queued when the device cannot be reached now ' +
        '(it goes out when the device next connects or reports). A CoAP device fetches its commands after it reports (they stay queued until then); ' +
        'one behind CTWing/OneNET gets them through the platform’s API (sent once the platform took them). A Modbus device the platform polls answers the write at once, so its command ' +
        'usually comes back acknowledged or failed. One open command per device and service: a second is 409.',
      tags,
      params: idParams,
      body: commandBody,
      status: 202,
      response: commandView,
      handler: async ({ params, body }, ctx) => {
        const { command, carrier } = await ctx.tx((tx) => queueCommand(tx, params.id, body, ctx.principal().userId));
        if (!commands) return command;
        await Promise.race([commands.queued(command, carrier), new Promise((resolve) => setTimeout(resolve, DELIVERY_WAIT_MS).unref())]);
        return ctx.tx((tx) => loadCommand(tx, command.id));
      },
    }),
    route({
      method: 'get',
      path: '/api/devices/:id/commands',
      permission: 'device:read',
      summary: 'The device’s commands, newest first',
      tags,
      params: idParams,
      query: pageQuery.extend({ status: z.enum(statuses).optional() }),
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          const [device] = await tx.select({ id: devices.id }).from(devices).where(eq(devices.id, params.id));
          if (!device) throw new AppError('not_found');
          const where = and(eq(deviceCommands.deviceId, device.id), query.status ? eq(deviceCommands.status, query.status) : undefined);
          return listPage(tx, deviceCommands, where, [desc(deviceCommands.id)], query);
        }),
    }),
    route({
      method: 'get',
      path: '/api/device-commands/:id',
      permission: 'device:read',
      summary: 'Read one device command: where it stands, and what the device answered',
      tags,
      params: idParams,
      response: commandView,
      handler: ({ params }, ctx) => ctx.tx((tx) => loadCommand(tx, params.id)),
    }),
  ];
}
