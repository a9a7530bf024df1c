import { asSystem, buildings, communities, type Db, devices, products, tenants } from '@shuiyun/db';
import { createFleet, type FleetMember, LiveMeterFleet, type SimulatedMeter } from '@shuiyun/seed-meter-simulator';
import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import { newMqttSecret, recordStep } from '../devices/device-service.js';

const DEMO_TENANT = 'demo-county-a';
const DEMO_PRODUCT = 'DEMO-CJT188-DN20';
const SEED = 20_261_128;

export interface DemoMeterOptions {
  count: number;
  mqttUrl: string;
  reportEveryMs: number;
  logger: Logger;
}

/**
 * The demo utility's live meters: on first use, a CJ/T 188 remote-read meter product and `count`
 * in-service meters spread over the company's buildings; on every start, fresh secrets (only their
 * digests are kept) and a simulated fleet reporting over MQTT, so dashboards have live data.
 */
export async function startDemoMeters(db: Db, options: DemoMeterOptions): Promise<LiveMeterFleet | null> {
  const now = new Date();
  const fleet = createFleet({ seed: SEED, count: options.count, from: new Date(now.getTime() - 30 * 86_400_000), to: now, firstAddress: 30_000_000_000_001n });
  const members = await asSystem(db, async (tx) => {
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.code, DEMO_TENANT));
    if (!tenant) return null; // not the demo utility: nothing to simulate
    let [product] = await tx
      .select()
      .from(products)
      .where(and(eq(products.tenantId, tenant.id), eq(products.code, DEMO_PRODUCT)));
    if (!product) {
      [product] = await tx
        .insert(products)
        .values({
          tenantId: tenant.id,
          tenantPath: tenant.path,
          code: DEMO_PRODUCT,
          name: '远传水表 DN20 (CJ/T 188, 演示)',
          manufacturer: '演示厂商',
          model: 'SIM-188',
          kind: 'remote-read-meter',
          transport: 'mqtt',
          codec: 'cjt188',
          codecSettings: { timeZone: 'Asia/Shanghai', statusLayout: 'valve-bits-0-1' },
          thingModel: { properties: [], events: [], services: [] },
        })
        .returning();
    }
    const places = await tx
      .select({ buildingId: buildings.id, communityId: buildings.communityId, orgPath: communities.orgPath })
      .from(buildings)
      .innerJoin(communities, eq(communities.id, buildings.communityId))
      .where(eq(buildings.tenantId, tenant.id));
    const known = new Set(
      (
        await tx
          .select({ key: devices.deviceKey })
          .from(devices)
          .where(and(eq(devices.tenantId, tenant.id), inArray(devices.deviceKey, fleet.map((m) => m.address))))
      ).map((d) => d.key),
    );
    const issued: FleetMember[] = [];
    for (const [i, meter] of fleet.entries()) {
      const { secret, hash } = await newMqttSecret();
      if (known.has(meter.address)) {
        await tx
          .update(devices)
          .set({ mqttSecretHash: hash, secretRotatedAt: now })
          .where(and(eq(devices.tenantId, tenant.id), eq(devices.deviceKey, meter.address)));
      } else {
        const place = places[i % Math.max(places.length, 1)];
        const [device] = await tx
          .insert(devices)
          .values({
            tenantId: tenant.id,
            tenantPath: tenant.path,
            productId: product!.id,
            meterNumber: `DEMO${meter.address.slice(-6)}`,
            deviceKey: meter.address,
            communityId: place?.communityId ?? null,
            buildingId: place?.buildingId ?? null,
            orgPath: place?.orgPath ?? null,
            installDate: '2026-01-15',
            state: 'in_service',
            mqttSecretHash: hash,
            secretRotatedAt: now,
          })
          .returning();
        await recordStep(tx, device!, null, 'in_service', { userId: null, userName: 'demo seed' }, 'demo meter');
      }
      issued.push({ meter: meter satisfies SimulatedMeter, secret });
    }
    return issued;
  });
  if (!members) return null;
  const live = await LiveMeterFleet.start({ url: options.mqttUrl, members, seed: SEED, reportEveryMs: options.reportEveryMs });
  options.logger.info(`demo meters: ${live.stats.connected} simulated CJ/T 188 meters of ${DEMO_TENANT} report every ${Math.round(options.reportEveryMs / 1000)} s`);
  return live;
}
