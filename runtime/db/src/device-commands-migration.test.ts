import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { upgradeWithRoles } from './testing/migrations.js';
import { drivers } from './testing/postgres.js';

describe.each(drivers)('upgrading to device commands on %s', (driver) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('gives existing built-in administrators device:command, viewers and other roles nothing; the table arrives under the tenant rules', async () => {
    const { database, roles } = await upgradeWithRoles(
      driver,
      { before: '0011_device_commands', through: '0012_device_commands_security', roles: [
        { code: 'admin', permissions: ['device:read', 'device:transition'], builtin: true },
        { code: 'viewer', permissions: ['device:read'], builtin: true },
        { code: 'valve-crew', permissions: ['device:read'], builtin: false },
      ] },
      cleanup,
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
