import { milliToDecimal } from '@shuiyun/analytics';
import { devices, products, type Tx } from '@shuiyun/db';
import { AppError, idParams } from '@shuiyun/http';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { isPolledProduct } from '../devices/modbus-settings.js';
import { route } from '../http/route.js';
import type { ModbusPolling } from './modbus-polling.js';

const tags = ['Devices 设备'];

const statusView = z.object({
  deviceId: z.number(),
  deviceKey: z.string(),
  polled: z.boolean().describe('whether the platform polls the device at all (a device of a product with codec modbus); false leaves the rest empty'),
  connection: z.object({ host: z.string(), port: z.number(), unitId: z.number(), intervalSeconds: z.number() }).nullable(),
  polledHere: z.boolean().describe('false when Modbus polling is off on this node, or another runtime node polls (the holder of the polling lock)'),
  online: z.boolean().nullable().describe('null until the first poll since the poller (re)started has an outcome'),
  consecutiveFailures: z.number(),
  polls: z.number(),
  lastPolledAt: z.string().nullable(),
  lastAnsweredAt: z.string().nullable(),
  lastError: z.string().nullable(),
  reads: z.array(z.object({ function: z.string(), address: z.number(), length: z.number() })).describe('the requests one poll makes'),
});

/** The device, if the caller may see it, with whether the platform polls it. */
async function deviceWithProduct(tx: Tx, id: number) {
  const [row] = await tx
    .select({ device: devices, product: { code: products.code, transport: products.transport, codec: products.codec } })
    .from(devices)
    .innerJoin(products, eq(products.id, devices.productId))
    .where(eq(devices.id, id));
  if (!row) throw new AppError('not_found');
  return { ...row, polled: isPolledProduct(row.product) && row.device.connection !== null };
}

/** The device, if the caller may see it: 409 unless the platform polls it. */
async function polledDevice(tx: Tx, id: number) {
  const { device, product, polled } = await deviceWithProduct(tx, id);
  if (!polled) {
    throw new AppError('conflict', { details: [{ path: 'params.id', message: `device ${device.meterNumber} is not polled over Modbus TCP (product ${product.code}: ${product.transport}, ${product.codec})` }] });
  }
  return device;
}

const iso = (at: Date | undefined) => at?.toISOString() ?? null;

/**
 * Where a Modbus device's polling stands (online, failures in a row, last error), and a poll on demand.
 * The status lives with the poller, in the memory of the node that polls: another node answers
 * `polledHere: false` (the device's online state and last contact are in the device record on every node).
 */
export function modbusRoutes(polling: () => ModbusPolling | undefined) {
  return [
    route({
      method: 'get',
      path: '/api/devices/:id/modbus-status',
      permission: 'device:read',
      summary: 'Modbus polling status of a device: online, failed polls in a row, last error, last poll, and the requests one poll makes',
      tags,
      params: idParams,
      response: statusView,
      handler: async ({ params }, ctx) => {
        const { device, polled } = await ctx.tx((tx) => deviceWithProduct(tx, params.id));
        const status = polled ? polling()?.status(device.id) : undefined;
        return {
          deviceId: device.id,
          deviceKey: device.deviceKey,
          polled,
          connection: device.connection,
          polledHere: status !== undefined,
          online: status?.online ?? null,
          consecutiveFailures: status?.consecutiveFailures ?? 0,
          polls: status?.polls ?? 0,
          lastPolledAt: iso(status?.lastPolledAt),
          lastAnsweredAt: iso(status?.lastAnsweredAt),
          lastError: status?.lastError ?? null,
          reads: status?.reads ?? [],
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/devices/:id/modbus-read',
      permission: 'device:command',
      summary:
        'Read now (立即抄表): polls a Modbus device at once, in turn with its scheduled polls; its readings are stored as any poll’s. ' +
        'Answers with what the device answered. 409 on a node that does not poll the device: queue a read_now command instead, which the polling node carries out.',
      tags,
      params: idParams,
      response: z.object({
        ok: z.boolean(),
        unreachable: z.boolean(),
        error: z.string().nullable(),
        readings: z.array(z.object({ metric: z.string(), at: z.string(), value: z.string() })),
      }),
      handler: async ({ params }, ctx) => {
        const device = await ctx.tx((tx) => polledDevice(tx, params.id));
        const poll = polling()?.pollNow(device.id);
        if (!poll) {
          throw new AppError('conflict', { details: [{ path: 'params.id', message: 'this runtime node does not poll the device (Modbus polling is off here, or another node polls)' }] });
        }
        const outcome = await poll;
        if (!outcome.ok) return { ok: false, unreachable: outcome.unreachable, error: outcome.error.message, readings: [] };
        return {
          ok: true,
          unreachable: false,
          error: null,
          readings: outcome.readings.map((r) => ({ metric: r.metric, at: r.at.toISOString(), value: milliToDecimal(r.milli) })),
        };
      },
    }),
  ];
}
