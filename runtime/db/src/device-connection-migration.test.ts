import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from './connect.js';
import { asSystem, inTenant, queryRows } from './tenant-scope.js';
import { migrationsFolder, migrationsSlice, rawDatabase } from './testing/migrations.js';
import { drivers, testDatabase } from './testing/postgres.js';

const REGISTRY_CHANNEL = 'shuiyun_device_registry';

describe.each(drivers)('device connections (0016) on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('adds a nullable connection to existing devices, which keep every other value', async () => {
    const before = migrationsSlice({ before: '0016_device_modbus_connection' });
    cleanup.push(before.remove);
    const database = await rawDatabase(driver);
    cleanup.push(() => database.close());
    await database.migrate(before.folder);
    await database.rows(sql`insert into tenants (id, path, code, name, kind, settings) values (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`);
    const [product] = await database.rows<{ id: string }>(sql`insert into products (tenant_id, tenant_path, code, name, kind, transport, codec, thing_model)
      values (2, '1.2', 'P', 'p', 'flow-meter', 'modbus', 'modbus', '{"properties":[],"events":[],"services":[]}') returning id::text`);
    await database.rows(sql`insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key) values (2, '1.2', ${product!.id}, 'M1', 'mb-1')`);
    await database.migrate(migrationsFolder);
    expect(await database.rows(sql`select meter_number, device_key, connection from devices`)).toEqual([{ meter_number: 'M1', device_key: 'mb-1', connection: null }]);
    await database.rows(sql`update devices set connection = '{"host":"192.0.2.10","port":502,"unitId":7,"intervalSeconds":900}'`);
    expect(await database.rows(sql`select connection from devices`)).toEqual([{ connection: { host: '192.0.2.10', port: 502, unitId: 7, intervalSeconds: 900 } }]);
  });

  describe('registry news', () => {
    let database: Database;
    const heard: string[] = [];
    const tenantScope = { tenantPath: '1.2' };

    /** Waits until `count` notifications have arrived in all, then a moment more for any that should not have. */
    async function heardAfter(count: number): Promise<string[]> {
      for (let waited = 0; heard.length < count && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      return [...heard];
    }

    it('tells every node when a device or product changes what a poller reads, once per statement, and not on contact bookkeeping', async () => {
      database = await testDatabase(driver);
      cleanup.push(() => database.close());
      await database.subscribe(REGISTRY_CHANNEL, (payload) => heard.push(payload));
      await asSystem(database.db, (tx) =>
        tx.execute(sql`insert into tenants (id, path, code, name, kind, settings) values (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`),
      );
      expect(await heardAfter(0)).toEqual([]);

      // The application role writes under row-level security; the trigger still notifies.
      const [product] = await inTenant(database.db, tenantScope, (tx) =>
        queryRows<{ id: number }>(tx, sql`insert into products (tenant_id, tenant_path, code, name, kind, transport, codec, thing_model)
          values (2, '1.2', 'P', 'p', 'flow-meter', 'modbus', 'modbus', '{"properties":[],"events":[],"services":[]}') returning id::int as id`),
      );
      expect(await heardAfter(1)).toEqual(['products']);
      // Three devices in one statement: one notification.
      await inTenant(database.db, tenantScope, (tx) =>
        tx.execute(sql`insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key)
          select 2, '1.2', ${product!.id}, 'M' || n, 'mb-' || n from generate_series(1, 3) n`),
      );
      expect(await heardAfter(2)).toEqual(['products', 'devices']);

      // Contact bookkeeping and other fields change all the time: silence. The connection change after them is heard, alone.
      await asSystem(database.db, (tx) => tx.execute(sql`update devices set online = true, online_changed_at = now(), last_seen_at = now()`));
      await inTenant(database.db, tenantScope, (tx) => tx.execute(sql`update devices set account_ref = 'HU-1', updated_at = now()`));
      await inTenant(database.db, tenantScope, (tx) => tx.execute(sql`update products set name = 'renamed'`));
      await inTenant(database.db, tenantScope, (tx) =>
        tx.execute(sql`update devices set connection = '{"host":"192.0.2.10","port":502,"unitId":1,"intervalSeconds":60}' where meter_number = 'M1'`),
      );
      expect(await heardAfter(3)).toEqual(['products', 'devices', 'devices']);

      // A rolled-back change tells nobody.
      await expect(
        inTenant(database.db, tenantScope, async (tx) => {
          await tx.execute(sql`update devices set state = 'retired'`);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await inTenant(database.db, tenantScope, (tx) => tx.execute(sql`update products set codec_settings = '{"registerMap":{}}'`));
      await inTenant(database.db, tenantScope, (tx) => tx.execute(sql`delete from devices where meter_number = 'M3'`));
      expect(await heardAfter(5)).toEqual(['products', 'devices', 'devices', 'products', 'devices']);
    });
  });
});
