import { asSystem, type Db, roles, userRoles, type DataScope } from '@shuiyun/db';
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';

/**
 * RBAC with domains: a domain is a tenant id, a subject is `user:<id>`, roles are `role:<id>` and
 * hold `resource:action` pairs (either half may be `*`). Which rows a permitted action touches is
 * decided by row-level security (tenant subtree) and the role's data scope.
 */
const MODEL = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && (p.obj == "*" || r.obj == p.obj) && (p.act == "*" || r.act == p.act)
`;

const scopeRank: Record<DataScope, number> = { own: 0, org: 1, tenant: 2 };

interface RoleFacts {
  tenantId: number;
  permissions: string[];
  dataScope: DataScope;
}

/** The permission model held in memory, rebuilt from the roles tables whenever they change. */
export class PermissionModel {
  private constructor(
    private readonly db: Db,
    private enforcer: Enforcer,
    private roleFacts: Map<number, RoleFacts>,
    private rolesOfUser: Map<number, number[]>,
  ) {}

  static async load(db: Db): Promise<PermissionModel> {
    const model = new PermissionModel(db, await newEnforcer(newModelFromString(MODEL)), new Map(), new Map());
    await model.reload();
    return model;
  }

  /** Tells the other runtime nodes that roles or assignments changed; set when the node joins its cluster. */
  announce: (() => Promise<void>) | undefined;

  /** After a committed change to roles or assignments: reload here, then tell the other nodes. */
  async changed(): Promise<void> {
    await this.reload();
    await this.announce?.();
  }

  /** Re-reads roles and assignments. */
  async reload(): Promise<void> {
    const { roleRows, assignmentRows } = await asSystem(this.db, async (tx) => ({
      roleRows: await tx
        .select({ id: roles.id, tenantId: roles.tenantId, permissions: roles.permissions, dataScope: roles.dataScope })
        .from(roles),
      assignmentRows: await tx.select({ userId: userRoles.userId, roleId: userRoles.roleId, tenantId: userRoles.tenantId }).from(userRoles),
    }));
    const enforcer = await newEnforcer(newModelFromString(MODEL));
    const policies = roleRows.flatMap((role) =>
      role.permissions.map((permission) => {
        const [obj = '', act = ''] = permission.split(':');
        return [`role:${role.id}`, String(role.tenantId), obj, act];
      }),
    );
    if (policies.length) await enforcer.addPolicies(policies);
    const groupings = assignmentRows.map((a) => [`user:${a.userId}`, `role:${a.roleId}`, String(a.tenantId)]);
    if (groupings.length) await enforcer.addGroupingPolicies(groupings);
    const roleFacts = new Map(roleRows.map((r) => [r.id, { tenantId: r.tenantId, permissions: r.permissions, dataScope: r.dataScope }]));
    const rolesOfUser = new Map<number, number[]>();
    for (const a of assignmentRows) rolesOfUser.set(a.userId, [...(rolesOfUser.get(a.userId) ?? []), a.roleId]);
    this.enforcer = enforcer;
    this.roleFacts = roleFacts;
    this.rolesOfUser = rolesOfUser;
  }

  /** Whether the user, acting in its home tenant, may perform `resource:action`. */
  can(userId: number, tenantId: number, permission: string): boolean {
    const [obj, act] = permission.split(':');
    return this.enforcer.enforceSync(`user:${userId}`, String(tenantId), obj, act);
  }

  /** The widest data scope among the user's roles in its tenant; null when it holds no role there. */
  dataScopeOf(userId: number, tenantId: number): DataScope | null {
    let best: DataScope | null = null;
    for (const roleId of this.rolesOfUser.get(userId) ?? []) {
      const role = this.roleFacts.get(roleId);
      if (!role || role.tenantId !== tenantId) continue;
      if (best === null || scopeRank[role.dataScope] > scopeRank[best]) best = role.dataScope;
    }
    return best;
  }

  /** The permissions the user holds in its tenant, wildcards as written. */
  permissionsOf(userId: number, tenantId: number): string[] {
    const held = new Set<string>();
    for (const roleId of this.rolesOfUser.get(userId) ?? []) {
      const role = this.roleFacts.get(roleId);
      if (role && role.tenantId === tenantId) role.permissions.forEach((p) => held.add(p));
    }
    return [...held].sort();
  }
}
