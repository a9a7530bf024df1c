import { roles, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { inArray } from 'drizzle-orm';
import { covers } from './catalogue.js';
import type { PermissionModel } from './permission-model.js';
import type { Principal } from '../identity/tokens.js';

/** Nobody hands out more than they hold: every permission granted must be covered by the caller's own. */
export function assertGrantable(model: PermissionModel, caller: Principal, wanted: readonly string[], field: string): void {
  const held = model.permissionsOf(caller.userId, caller.tenantId);
  const missing = wanted.filter((w) => !held.some((h) => covers(h, w)));
  if (missing.length) {
    throw new AppError('forbidden', { details: missing.map((m) => ({ path: field, message: `cannot grant ${m}` })) });
  }
}

/** Checks roles to be assigned to a user of `tenantId`: visible, of that tenant, and grantable by the caller. */
export async function loadAssignableRoles(tx: Tx, model: PermissionModel, caller: Principal, tenantId: number, roleIds: number[]) {
  if (roleIds.length === 0) return [];
  const found = await tx.select().from(roles).where(inArray(roles.id, roleIds));
  const bad = roleIds.filter((id) => !found.some((r) => r.id === id && r.tenantId === tenantId));
  if (bad.length) {
    throw new AppError('invalid_reference', { details: bad.map((id) => ({ path: 'body.roleIds', message: `no such role in the user's tenant: ${id}` })) });
  }
  assertGrantable(model, caller, found.flatMap((r) => r.permissions), 'body.roleIds');
  return found;
}
