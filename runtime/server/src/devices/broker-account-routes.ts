import { devices, products, type Tx } from '@shuiyun/db';
import { AppError, idParams, type Locale } from '@shuiyun/http';
import { and, asc, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { route, type RuntimeRoute } from '../http/route.js';
import { type BrokerAccountState, brokerAccountStates, type BrokerCredentials, type BrokerDevice, type IssueOutcome, issueOutcomes } from '../iot/broker-credentials.js';
import { type DeviceRow, newMqttSecret, type ProductRow } from './device-service.js';

const tags = ['Devices 设备'];

type Params = Record<string, string | number>;

/** Why a broker-account request was refused, in the caller's language. */
const messages = {
  unmanaged: {
    'zh-CN': () => '本运行时不向外部 MQTT 代理下发设备凭据（未设置 MQTT_DYNSEC_USERNAME）',
    en: () => 'This runtime does not provision device credentials to an external MQTT broker (MQTT_DYNSEC_USERNAME is unset)',
  },
  not_mqtt: {
    'zh-CN': (p: Params) => `产品「${p.product}」的设备不登录 MQTT 代理（传输方式 ${p.transport}），没有代理账号`,
    en: (p: Params) => `Devices of product ${p.product} do not sign in to an MQTT broker (transport ${p.transport}): they have no broker account`,
  },
  unreachable: {
    'zh-CN': () => '外部 MQTT 代理暂时无法访问，无法判断哪些设备账号缺失；请稍后重试，或以 scope=all 为全部设备重新签发密钥',
    en: () => 'The external MQTT broker cannot be reached, so which device accounts are missing is unknown; retry later, or issue new secrets to every device with scope=all',
  },
} satisfies Record<string, Record<Locale, (p: Params) => string>>;

const refusal = (code: 'conflict' | 'not_ready', path: string, message: keyof typeof messages, locale: Locale, params: Params = {}) =>
  new AppError(code, { details: [{ path, code: message, message: messages[message][locale](params) }] });

/** The registry's side of a device, as the broker provisioning names it. */
export const brokerDevice = (device: Pick<DeviceRow, 'id' | 'deviceKey' | 'tenantPath' | 'meterNumber'>): BrokerDevice => ({
  id: device.id,
  deviceKey: device.deviceKey,
  tenantPath: device.tenantPath,
  meterNumber: device.meterNumber,
});

/**
 * After the commit that issued a device secret: the external broker learns it, when this runtime provisions
 * broker credentials and the device signs in to an MQTT broker. Null otherwise (the embedded broker and the
 * CoAP transport ask the registry itself).
 */
export async function provisionIssued(
  broker: BrokerCredentials | undefined,
  product: Pick<ProductRow, 'transport'>,
  device: DeviceRow,
  issued: { secret: string; hash: string } | null,
): Promise<IssueOutcome | null> {
  if (!broker || !issued || product.transport !== 'mqtt') return null;
  return broker.issued(brokerDevice(device), issued.secret, issued.hash);
}

/** Shown beside a freshly issued secret in the API's answers. */
export const brokerAccountOutcome = z
  .enum(issueOutcomes)
  .nullable()
  .describe(
    'whether the external MQTT broker took the secret: provisioned, pending (unreachable: retried until it is), conflict (the key is another device’s or account’s there), superseded, failed; null when this runtime does not provision broker credentials or the device is not an MQTT device',
  );

/** States a rotation mends: the broker lacks the device's current secret. */
const MENDED_BY_ROTATION: readonly BrokerAccountState[] = ['missing', 'stale', 'none', 'disabled'];

async function deviceWithProduct(tx: Tx, id: number) {
  const [row] = await tx.select({ device: devices, product: products }).from(devices).innerJoin(products, eq(products.id, devices.productId)).where(eq(devices.id, id));
  if (!row) throw new AppError('not_found');
  return row;
}

/**
 * A device's account on the external broker, and rotation in bulk: the way to give the broker devices whose
 * secrets the platform never had in plaintext (registered before provisioning ran, imported from a ledger,
 * or issued while a node restarted) — the registry keeps only digests, so a new secret is the only one the
 * broker can be given.
 */
export function brokerAccountRoutes(brokerCredentials: () => BrokerCredentials | undefined): RuntimeRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/devices/:id/broker-account',
      permission: 'device:read',
      summary:
        'Whether the external MQTT broker (Mosquitto dynamic security) accepts the device’s current secret: provisioned, pending, missing or stale (rotate the secret), disabled, conflict, none, unavailable, not_applicable, unmanaged',
      tags,
      params: idParams,
      response: z.object({ deviceId: z.number(), username: z.string(), state: z.enum(brokerAccountStates) }),
      handler: async ({ params }, ctx) => {
        // The record first: another tenant's device is a 404 whether or not a broker is configured.
        const { device, product } = await ctx.tx((tx) => deviceWithProduct(tx, params.id));
        const broker = brokerCredentials();
        const state: BrokerAccountState = product.transport !== 'mqtt' ? 'not_applicable' : broker ? await broker.state(device, product.transport) : 'unmanaged';
        return { deviceId: device.id, username: device.deviceKey, state };
      },
    }),
    route({
      method: 'post',
      path: '/api/products/:id/rotate-device-secrets',
      permission: 'device:rotate-secret',
      summary:
        'Issue new secrets to the product’s devices (not retired) whose account on the external MQTT broker lacks their current secret (scope=unprovisioned, the default) or to all of them (scope=all), and give them to the broker; ' +
        'each secret is shown this once. At most `limit` devices per call; `remaining` says how many more a further call would take. Devices whose key another account holds there (conflict) or whose secret is on its way (pending) are listed as skipped.',
      tags,
      params: idParams,
      query: z.object({
        scope: z.enum(['unprovisioned', 'all']).default('unprovisioned'),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
      response: z.object({
        items: z.array(z.object({ id: z.number(), meterNumber: z.string(), username: z.string(), secret: z.string(), rotatedAt: z.string(), brokerAccount: brokerAccountOutcome })),
        skipped: z.array(z.object({ id: z.number(), meterNumber: z.string(), state: z.enum(brokerAccountStates) })),
        remaining: z.number(),
      }),
      handler: async ({ params, query }, ctx) => {
        const { product, live } = await ctx.tx(async (tx) => {
          const [product] = await tx.select().from(products).where(eq(products.id, params.id));
          if (!product) throw new AppError('not_found');
          const live = await tx
            .select()
            .from(devices)
            .where(and(eq(devices.productId, product.id), ne(devices.state, 'retired')))
            .orderBy(asc(devices.id));
          return { product, live };
        });
        if (product.transport !== 'mqtt') throw refusal('conflict', 'params.id', 'not_mqtt', ctx.locale, { product: product.code, transport: product.transport });
        const broker = brokerCredentials();
        if (!broker) throw refusal('conflict', 'params.id', 'unmanaged', ctx.locale);

        let wanted = live;
        const skipped: { id: number; meterNumber: string; state: BrokerAccountState }[] = [];
        if (query.scope === 'unprovisioned') {
          const states = await broker.states(live, () => product.transport);
          if ([...states.values()].includes('unavailable')) throw refusal('not_ready', 'query.scope', 'unreachable', ctx.locale);
          wanted = live.filter((device) => {
            const state = states.get(device.id)!;
            if (MENDED_BY_ROTATION.includes(state)) return true;
            if (state !== 'provisioned') skipped.push({ id: device.id, meterNumber: device.meterNumber, state });
            return false;
          });
        }
        const chosen = wanted.slice(0, query.limit);
        const fresh = new Map<number, { secret: string; hash: string }>();
        for (const device of chosen) fresh.set(device.id, await newMqttSecret());
        const rotatedAt = new Date();
        const rotated = await ctx.tx(async (tx) => {
          const rows: DeviceRow[] = [];
          for (const device of chosen) {
            // Retired meanwhile: it keeps no credentials.
            const [row] = await tx
              .update(devices)
              .set({ mqttSecretHash: fresh.get(device.id)!.hash, secretRotatedAt: rotatedAt })
              .where(and(eq(devices.id, device.id), ne(devices.state, 'retired')))
              .returning();
            if (row) rows.push(row);
          }
          return rows;
        });
        const outcomes = await Promise.all(rotated.map((row) => provisionIssued(broker, product, row, fresh.get(row.id)!)));
        return {
          items: rotated.map((row, i) => ({ id: row.id, meterNumber: row.meterNumber, username: row.deviceKey, secret: fresh.get(row.id)!.secret, rotatedAt, brokerAccount: outcomes[i]! })),
          skipped,
          remaining: wanted.length - chosen.length,
        };
      },
    }),
  ];
}
