import { queryRows, roles, type TenantKind, type TenantSettings, tenants, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { eq, sql } from 'drizzle-orm';
import { tenantAdminPermissions, viewerPermissions } from '../permissions/catalogue.js';

export type TenantRow = typeof tenants.$inferSelect;

/** Which kind of tenant may hang under which: the 集团 → 水司 → 营业所 ladder. */
const allowedParents: Record<TenantKind, (TenantKind | null)[]> = {
  platform: [null],
  group: ['platform'],
  company: ['platform', 'group'],
  site: ['company'],
};

export const defaultSettings: TenantSettings = { timeZone: 'Asia/Shanghai', locale: 'zh-CN', brandingName: null };

export interface NewTenant {
  parentId: number | null;
  code: string;
  name: string;
  kind: TenantKind;
  settings?: Partial<TenantSettings> | undefined;
}

/**
 * Creates a tenant under a parent the transaction can see, with its two built-in roles (管理员, 只读).
 * Inside a tenant transaction, row-level security makes a parent outside the caller's subtree invisible.
 */
export async function createTenant(tx: Tx, input: NewTenant): Promise<TenantRow> {
  let parent: TenantRow | undefined;
  if (input.parentId !== null) {
    [parent] = await tx.select().from(tenants).where(eq(tenants.id, input.parentId));
    if (!parent) throw new AppError('forbidden_tenant', { details: [{ path: 'body.parentId', message: 'parent tenant not visible' }] });
  }
  if (!allowedParents[input.kind].includes(parent?.kind ?? null)) {
    throw new AppError('validation_failed', {
      details: [{ path: 'body.kind', message: `a ${input.kind} cannot be created under ${parent?.kind ?? 'the root'}` }],
    });
  }
  const [next] = await queryRows<{ id: string }>(tx, sql`select nextval('tenants_id_seq')::text as id`);
  const id = Number(next!.id);
  const [row] = await tx
    .insert(tenants)
    .values({
      id,
      parentId: parent?.id ?? null,
      path: parent ? `${parent.path}.${id}` : String(id),
      code: input.code,
      name: input.name,
      kind: input.kind,
      settings: { ...defaultSettings, ...(parent ? parent.settings : {}), ...input.settings },
    })
    .returning();
  const tenant = row!;
  await tx.insert(roles).values([
    {
      tenantId: tenant.id,
      tenantPath: tenant.path,
      code: 'admin',
      name: '管理员',
      description: 'Administrator of this tenant and everything under it',
      permissions: tenant.kind === 'platform' ? ['*:*'] : tenantAdminPermissions,
      dataScope: 'tenant',
      builtin: true,
    },
    {
      tenantId: tenant.id,
      tenantPath: tenant.path,
      code: 'viewer',
      name: '只读',
      description: 'Reads everything in this tenant',
      permissions: viewerPermissions,
      dataScope: 'tenant',
      builtin: true,
    },
  ]);
  return tenant;
}

