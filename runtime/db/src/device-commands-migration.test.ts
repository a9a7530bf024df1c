import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationsSlice, rawDatabase } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to device commands on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives existing built-in administrators device:command, viewers and other roles nothing; the table arrives under the tenant rules', async () => {
    const before = migrationsSlice({ before: '0011_device_commands' });
    cleanup.push(before.remove);
    const upgraded = migrationsSlice({ through: '0012_device_commands_security' });
    cleanup.push(upgraded.remove);
    const database = await rawDatabase(driver);
    cleanup.push(() => database.close());
    await database.migrate(before.folder);

    await database.rows(sql`insert into tenants (id, path, code, name, kind, settings) values
      (1, '1', 'platform', 'p', 'platform', '{}'), (2, '1.2', 'county', 'c', 'company', '{}')`);
    await database.rows(sql`insert into roles (tenant_id, tenant_path, code, name, permissions, builtin) values
      (1, '1', 'admin', 'a', '{*:*}', true),
      (2, '1.2', 'admin', 'a', '{device:read,device:transition}', true),
      (2, '1.2', 'viewer', 'v', '{device:read}', true),
      (2, '1.2', 'valve-crew', 'x', '{device:read}', false)`);

    await database.migrate(upgraded.folder);
    const roles = await database.rows<{ tenant_id: number; code: string; permissions: string[] }>(
      sql`select tenant_id::int, code, permissions from roles order by tenant_id, code`,
    );
    expect(roles).toEqual([
      { tenant_id: 1, code: 'admin', permissions: ['*:*'] },
      { tenant_id: 2, code: 'admin', permissions: ['device:command', 'device:read', 'device:transition'] },
      { tenant_id: 2, code: 'valve-crew', permissions: ['device:read'] },
      { tenant_id: 2, code: 'viewer', permissions: ['device:read'] },
    ]);

    const [product] = await database.rows<{ id: string }>(sql`insert into products (tenant_id, tenant_path, code, name, kind, transport, codec, thing_model)
      values (2, '1.2', 'P', 'p', 'remote-read-meter', 'mqtt', 'cjt188', '{"properties":[],"events":[],"services":[]}') returning id::text`);
    const [device] = await database.rows<{ id: string }>(sql`insert into devices (tenant_id, tenant_path, product_id, meter_number, device_key)
      values (2, '1.2', ${product!.id}, 'M1', '10000000000001') returning id::text`);
    const command = (tenantPath: string, service: string, serial: number, status = 'queued') =>
      database.rows(sql`insert into device_commands (tenant_id, tenant_path, device_id, service, serial, payload_hex, status, expires_at)
        values (2, ${tenantPath}::ltree, ${device!.id}, ${service}, ${serial}, 'FE', ${status}, now())`);
    // A tenant_id that is not the tenant_path's tenant, a serial that does not fit SER, an unknown status.
    await expect(command('1', 'valve_close', 1)).rejects.toThrow();
    await expect(command('1.2', 'valve_close', 256)).rejects.toThrow();
    await expect(command('1.2', 'valve_close', 1, 'lost')).rejects.toThrow();
    // One open command per device and service, open serials distinct; closed ones do not count.
    await command('1.2', 'valve_close', 1);
    await expect(command('1.2', 'valve_close', 2)).rejects.toThrow();
    await expect(command('1.2', 'valve_open', 1)).rejects.toThrow();
    await command('1.2', 'valve_close', 1, 'expired');
    await command('1.2', 'valve_open', 2);

    const [grants] = await database.rows<Record<string, boolean>>(sql`select
      has_table_privilege('shuiyun_app', 'device_commands', 'SELECT') as "select",
      has_table_privilege('shuiyun_app', 'device_commands', 'UPDATE') as "update",
      has_table_privilege('shuiyun_app', 'device_commands', 'DELETE') as "delete"`);
    expect(grants).toEqual({ select: true, update: true, delete: false });
  });
});
