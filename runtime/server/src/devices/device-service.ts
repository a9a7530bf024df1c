import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { asSystem, buildings, communities, type Db, type DeviceState, deviceStateHistory, devices, products, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';

export type DeviceRow = typeof devices.$inferSelect;
export type ProductRow = typeof products.$inferSelect;

const code = (max: number) =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${max - 1}}$`), `letters, digits, dot, dash or underscore; at most ${max}`);

/** The fields of a device as typed by a person, shared by the JSON API and the file import. */
export const deviceField = {
  /** 表号 */
  meterNumber: code(32),
  /** IMEI, CJ/T 188 address, or a platform's device id. */
  deviceKey: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits and . _ : -; at most 64'),
  /** 户号 */
  accountRef: code(32),
  dmaCode: code(32),
  installDate: z.iso.date(),
  latitude: coordinate(90),
  longitude: coordinate(180),
};

/** Degrees as an exact decimal string (numeric(9,6) in the database); a JSON number is taken at its written value. */
function coordinate(limit: number) {
  return z
    .union([z.number(), z.string().trim()])
    .transform(String)
    .pipe(z.string().regex(/^-?[0-9]{1,3}(\.[0-9]{1,6})?$/, 'degrees with at most 6 decimals'))
    .refine((v) => Math.abs(Number(v)) <= limit, `between -${limit} and ${limit}`);
}

/**
 * A CJ/T 188 meter is addressed by 7 BCD bytes, written as 14 hex digits (A–F appear in wildcard and
 * vendor addresses); upper case, so the same meter is never registered twice under two spellings.
 */
export function normaliseDeviceKey(product: Pick<ProductRow, 'codec'>, key: string): { ok: true; key: string } | { ok: false; message: string } {
  if (product.codec !== 'cjt188') return { ok: true, key };
  if (!/^[0-9A-Fa-f]{14}$/.test(key)) return { ok: false, message: 'a CJ/T 188 address is 14 hex digits' };
  return { ok: true, key: key.toUpperCase() };
}

export interface Placement {
  communityId: number | null;
  buildingId: number | null;
  orgPath: string | null;
}

/**
 * Where a device hangs in the address hierarchy. A building names its community, so a building alone is
 * enough; both must be of the device's tenant and agree. The device takes the community's org path.
 */
export async function resolvePlacement(tx: Tx, tenantId: number, communityId: number | null, buildingId: number | null): Promise<Placement> {
  const invalid = (field: string, message: string) => new AppError('invalid_reference', { details: [{ path: `body.${field}`, message }] });
  let building: typeof buildings.$inferSelect | undefined;
  if (buildingId !== null) {
    [building] = await tx.select().from(buildings).where(eq(buildings.id, buildingId));
    if (!building || building.tenantId !== tenantId) throw invalid('buildingId', `no such building in this tenant: ${buildingId}`);
    if (communityId !== null && building.communityId !== communityId) throw invalid('buildingId', `building ${buildingId} is not in community ${communityId}`);
  }
  const wanted = communityId ?? building?.communityId ?? null;
  if (wanted === null) return { communityId: null, buildingId: null, orgPath: null };
  const [community] = await tx.select().from(communities).where(eq(communities.id, wanted));
  if (!community || community.tenantId !== tenantId) throw invalid('communityId', `no such community in this tenant: ${wanted}`);
  return { communityId: community.id, buildingId: building?.id ?? null, orgPath: community.orgPath };
}

/** A device as it leaves the server: the secret's hash stays behind. */
export function presentDevice(row: DeviceRow) {
  const { mqttSecretHash, ...rest } = row;
  return { ...rest, hasMqttSecret: mqttSecretHash !== null };
}

export interface MqttCredentials {
  username: string;
  /** Shown once, when issued; only its SHA-256 digest is kept. */
  secret: string;
}

/**
 * 32 random bytes: a machine secret, never typed by a person. With 256 bits of entropy a plain
 * SHA-256 digest is as safe to store as a slow password hash, and it keeps a reconnect storm of
 * thousands of meters from costing seconds of CPU each (argon2 is for people's passwords).
 */
export async function newMqttSecret(): Promise<{ secret: string; hash: string }> {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: secretDigest(secret) };
}

const SECRET_DIGEST_PREFIX = 'sha256:';

export function secretDigest(secret: string): string {
  return SECRET_DIGEST_PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

function secretMatches(stored: string, secret: string): boolean {
  const given = Buffer.from(secretDigest(secret));
  const expected = Buffer.from(stored);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Devices that sign in themselves with a device secret: MQTT (username = key) and CoAP (`?token=`). */
export function signsInWithSecret(product: Pick<ProductRow, 'transport'>): boolean {
  return product.transport === 'mqtt' || product.transport === 'coap';
}

export interface Actor {
  userId: number | null;
  userName: string | null;
}

/** Appends one lifecycle step to the device's history (the first one has no `from`). */
export async function recordStep(tx: Tx, device: Pick<DeviceRow, 'id' | 'tenantId' | 'tenantPath'>, from: DeviceState | null, to: DeviceState, actor: Actor, note: string | null) {
  await tx.insert(deviceStateHistory).values({
    tenantId: device.tenantId,
    tenantPath: device.tenantPath,
    deviceId: device.id,
    fromState: from,
    toState: to,
    note,
    actorId: actor.userId,
    actorName: actor.userName,
  });
}

/**
 * The ingestion pipeline heard from the device at `at`: its last contact moves forward (never back: a
 * redelivered or late message does not make a device look older), and it is online unless it was reported
 * offline after `at`. False when the transaction cannot see the device.
 */
export async function markSeen(tx: Tx, deviceId: number, at: Date): Promise<boolean> {
  const when = sql`${at.toISOString()}::timestamptz`;
  const newer = sql`(${devices.onlineChangedAt} is null or ${when} >= ${devices.onlineChangedAt})`;
  const rows = await tx
    .update(devices)
    .set({
      lastSeenAt: sql`greatest(${devices.lastSeenAt}, ${when})`,
      online: sql`${devices.online} or ${newer}`,
      onlineChangedAt: sql`case when not ${devices.online} and ${newer} then ${when} else ${devices.onlineChangedAt} end`,
    })
    .where(eq(devices.id, deviceId))
    .returning({ id: devices.id });
  return rows.length > 0;
}

/**
 * The device went offline at `at` (a platform's offline report, or the offline rule). A contact or an
 * online report after `at` wins. False when nothing changed.
 */
export async function markOffline(tx: Tx, deviceId: number, at: Date): Promise<boolean> {
  const when = sql`${at.toISOString()}::timestamptz`;
  const rows = await tx
    .update(devices)
    .set({ online: false, onlineChangedAt: when })
    .where(
      and(
        eq(devices.id, deviceId),
        eq(devices.online, true),
        sql`(${devices.lastSeenAt} is null or ${devices.lastSeenAt} <= ${when})`,
        sql`(${devices.onlineChangedAt} is null or ${devices.onlineChangedAt} <= ${when})`,
      ),
    )
    .returning({ id: devices.id });
  return rows.length > 0;
}

/**
 * A registered device as the ingestion path needs it: whose it is and how to decode it. Shaped as
 * `DeviceIdentity` of @shuiyun/iot, so `deviceDirectory` serves as that package's `DeviceDirectory`.
 */
export interface RegisteredDevice {
  deviceId: number;
  deviceKey: string;
  tenantId: number;
  tenantPath: string;
  productId: number;
  /** The product's code: what an alarm rule's product scope names. */
  productKey: string;
  codec: string;
  codecSettings: Record<string, unknown>;
}

/** Devices that may still talk to the platform under `deviceKey`, in every tenant (the transport does not know the tenant yet). */
async function liveDevicesByKey(db: Db, deviceKey: string) {
  const rows = await asSystem(db, (tx) =>
    tx
      .select({
        deviceId: devices.id,
        deviceKey: devices.deviceKey,
        tenantId: devices.tenantId,
        tenantPath: devices.tenantPath,
        productId: devices.productId,
        productKey: products.code,
        codec: products.codec,
        codecSettings: products.codecSettings,
        hash: devices.mqttSecretHash,
      })
      .from(devices)
      .innerJoin(products, eq(products.id, devices.productId))
      .where(and(eq(devices.deviceKey, deviceKey), ne(devices.state, 'retired'))),
  );
  return rows.map(({ hash, ...device }) => ({ device: device satisfies RegisteredDevice, hash }));
}

/**
 * For the MQTT broker's CONNECT: username = device key, password = the device's secret. A device key is
 * unique per tenant only, so every live candidate's hash is tried. A retired device is refused.
 */
export async function authenticateDevice(db: Db, deviceKey: string, secret: string): Promise<RegisteredDevice | null> {
  for (const { device, hash } of await liveDevicesByKey(db, deviceKey)) {
    if (hash && secretMatches(hash, secret)) return device;
  }
  return null;
}

/**
 * The registry as the IoT transports look devices up: by credentials (MQTT), or by key alone for
 * transports whose sender the platform authenticates (CTWing/OneNET push). A key that two tenants
 * both use is ambiguous without credentials: `byKey` then answers null rather than guess a tenant.
 */
export function deviceDirectory(db: Db) {
  return {
    /** A meter registered behind the concentrator `gateway` under `deviceKey`, or null (then its reading is refused). */
    async childOf(gateway: { deviceId: number }, deviceKey: string): Promise<RegisteredDevice | null> {
      const [child] = await asSystem(db, (tx) =>
        tx
          .select({
            deviceId: devices.id,
            deviceKey: devices.deviceKey,
            tenantId: devices.tenantId,
            tenantPath: devices.tenantPath,
            productId: devices.productId,
            productKey: products.code,
            codec: products.codec,
            codecSettings: products.codecSettings,
          })
          .from(devices)
          .innerJoin(products, eq(products.id, devices.productId))
          .where(and(eq(devices.gatewayId, gateway.deviceId), eq(devices.deviceKey, deviceKey), ne(devices.state, 'retired'))),
      );
      return child ?? null;
    },
    authenticate: (deviceKey: string, secret: string) => authenticateDevice(db, deviceKey, secret),
    async byKey(deviceKey: string): Promise<RegisteredDevice | null> {
      const found = await liveDevicesByKey(db, deviceKey);
      return found.length === 1 ? found[0]!.device : null;
    },
  };
}
