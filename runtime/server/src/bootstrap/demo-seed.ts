import { randomBytes } from 'node:crypto';
import { asSystem, buildings, communities, type Db, orgUnits, queryRows, roles, type Tx, userRoles, users } from '@shuiyun/db';
import { adminUsername, demoUtility } from '@shuiyun/seed-demo-utility';
import { and, eq, sql } from 'drizzle-orm';
import { hashPassword } from '../identity/passwords.js';
import { createTenant, type TenantRow } from '../tenancy/tenant-service.js';

export const PLATFORM_TENANT_CODE = 'shuiyun';

export interface SeededAdmin {
  tenantCode: string;
  tenantName: string;
  username: string;
  password: string;
}

function randomPassword(): string {
  // 16 url-safe characters plus a digit and a letter, so the password policy always holds.
  return `${randomBytes(12).toString('base64url')}7a`;
}

const SEED_LOCK = 7_204_312;

/**
 * Seeds the platform tenant and the demo utility into an empty database and returns the admin
 * credentials (one per tenant) exactly once; returns null when the database already has tenants.
 */
export async function seedDemoUtility(db: Db, options: { password?: string | undefined } = {}): Promise<SeededAdmin[] | null> {
  const tenantCodes = [PLATFORM_TENANT_CODE, ...demoUtility.map((t) => t.code)];
  const credentials = await Promise.all(
    tenantCodes.map(async (code) => {
      const password = options.password ?? randomPassword();
      return { code, password, hash: await hashPassword(password) };
    }),
  );
  return asSystem(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
    const [existing] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from tenants`);
    if ((existing?.n ?? 0) > 0) return null;

    const byCode = new Map<string, TenantRow>();
    byCode.set(
      PLATFORM_TENANT_CODE,
      await createTenant(tx, { parentId: null, code: PLATFORM_TENANT_CODE, name: '水云平台', kind: 'platform' }),
    );
    for (const demo of demoUtility) {
      const parent = byCode.get(demo.parent ?? PLATFORM_TENANT_CODE)!;
      const tenant = await createTenant(tx, { parentId: parent.id, code: demo.code, name: demo.name, kind: demo.kind });
      byCode.set(demo.code, tenant);
      await seedDirectory(tx, tenant, demo);
    }

    const admins: SeededAdmin[] = [];
    for (const { code, password, hash } of credentials) {
      const tenant = byCode.get(code)!;
      const username = adminUsername(code);
      const [admin] = await tx
        .insert(users)
        .values({
          tenantId: tenant.id,
          tenantPath: tenant.path,
          username,
          displayName: `${tenant.name}管理员`,
          passwordHash: hash,
          passwordChangedAt: new Date(),
        })
        .returning();
      const [adminRole] = await tx
        .select()
        .from(roles)
        .where(and(eq(roles.tenantId, tenant.id), eq(roles.code, 'admin')));
      await tx.insert(userRoles).values({ userId: admin!.id, roleId: adminRole!.id, tenantId: tenant.id, tenantPath: tenant.path });
      admins.push({ tenantCode: code, tenantName: tenant.name, username, password });
    }
    return admins;
  });
}

async function seedDirectory(tx: Tx, tenant: TenantRow, demo: (typeof demoUtility)[number]): Promise<void> {
  const orgByCode = new Map<string, { id: number; path: string }>();
  for (const unit of demo.orgUnits) {
    const parent = unit.parent ? orgByCode.get(unit.parent) : undefined;
    const [next] = await queryRows<{ id: string }>(tx, sql`select nextval('org_units_id_seq')::text as id`);
    const id = Number(next!.id);
    const path = parent ? `${parent.path}.${id}` : String(id);
    await tx.insert(orgUnits).values({
      id,
      tenantId: tenant.id,
      tenantPath: tenant.path,
      parentId: parent?.id ?? null,
      path,
      code: unit.code,
      name: unit.name,
      kind: unit.kind,
    });
    orgByCode.set(unit.code, { id, path });
  }
  for (const c of demo.communities) {
    const org = orgByCode.get(c.orgUnit)!;
    const [community] = await tx
      .insert(communities)
      .values({ tenantId: tenant.id, tenantPath: tenant.path, orgUnitId: org.id, orgPath: org.path, code: c.code, name: c.name, address: c.address })
      .returning();
    await tx.insert(buildings).values(
      c.buildings.map((b) => ({
        tenantId: tenant.id,
        tenantPath: tenant.path,
        communityId: community!.id,
        orgPath: org.path,
        code: b.code,
        name: b.name,
      })),
    );
  }
}

/** The block printed on first start: the only time the generated passwords are shown. */
export function formatCredentials(admins: SeededAdmin[]): string {
  const width = Math.max(...admins.map((a) => a.username.length));
  const lines = admins.map((a) => `  ${a.username.padEnd(width)}  ${a.password}   ${a.tenantName}`);
  return [
    '',
    '┌─ Shuiyun demo utility seeded: administrator accounts (shown once; store them now) ─',
    ...lines,
    '└─ Sign in: POST /api/auth/login {"username","password"}. Set SHUIYUN_DEMO_PASSWORD before the first start for fixed passwords.',
    '',
  ].join('\n');
}
