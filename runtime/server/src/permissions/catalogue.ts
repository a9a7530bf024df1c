/**
 * Every `resource:action` the platform checks. Roles hold a subset; `resource:*` and `*:*` are
 * wildcards. Routes name one of these next to their path.
 */
export const permissionCatalogue = {
  tenant: ['read', 'create', 'update', 'delete'],
  'org-unit': ['read', 'create', 'update', 'delete'],
  community: ['read', 'create', 'update', 'delete'],
  building: ['read', 'create', 'update', 'delete'],
  user: ['read', 'create', 'update', 'delete'],
  role: ['read', 'create', 'update', 'delete', 'assign'],
  'identity-provider': ['read', 'create', 'update', 'delete'],
  audit: ['read'],
  product: ['read', 'create', 'update', 'delete'],
  device: ['read', 'create', 'update', 'delete', 'transition', 'import', 'export', 'rotate-secret', 'command'],
  'push-endpoint': ['read', 'create', 'update', 'delete'],
  alarm: ['read', 'acknowledge', 'clear'],
  'alarm-rule': ['read', 'create', 'update', 'delete'],
  /** BPMN processes: definitions, instances, messages, incidents. */
  process: ['read', 'deploy', 'start', 'cancel', 'message', 'retry'],
  /** 待办: `read` is one's own and one's groups' tasks, `read-all` every task of the tenant. */
  task: ['read', 'read-all', 'claim', 'assign', 'complete'],
  /** For job workers outside the runtime (an integration service account). */
  job: ['activate', 'complete'],
  /** 报表模板: read and run them; create, update (a new version) and delete them. */
  report: ['read', 'run', 'create', 'update', 'delete'],
  /** 数据集 behind reports; raw-SQL datasets are saved by platform administrators only. */
  dataset: ['read', 'create', 'update', 'delete'],
  /** 报表订阅: schedules that run a report on a cron and deliver it in the app and by e-mail; `run` runs one now. */
  'report-schedule': ['read', 'create', 'update', 'delete', 'run'],
  /** 设计器: processes, forms, pages, reports and entity models as drafts (`write`) and published versions (`publish`, roll back). */
  design: ['read', 'write', 'publish'],
  /** The app shell's published pages and dashboards. */
  page: ['read'],
  /** 实体数据: records of the tenant's published entity models. */
  entity: ['read', 'create', 'update', 'delete'],
  /** 领域包: see what is installed; install, disable and enable, uninstall a pack in a tenant. */
  pack: ['read', 'install', 'manage', 'uninstall'],
} as const satisfies Record<string, readonly string[]>;

export type Resource = keyof typeof permissionCatalogue;

export const allPermissions: string[] = Object.entries(permissionCatalogue).flatMap(([resource, actions]) =>
  actions.map((action) => `${resource}:${action}`),
);

/** What a tenant's own administrator may do: everything but creating and deleting tenants. */
export const tenantAdminPermissions = allPermissions.filter((p) => p !== 'tenant:create' && p !== 'tenant:delete');
/**
 * Viewers read everything but the audit trail and the NB-IoT push endpoints: an endpoint's URL code is
 * the CTWing push's credential. Running a report is reading too: viewers run reports.
 */
export const viewerPermissions = allPermissions.filter(
  (p) => (p.endsWith(':read') || p === 'report:run') && p !== 'audit:read' && p !== 'push-endpoint:read',
);

export function isKnownPermission(permission: string): boolean {
  const [resource, action] = permission.split(':');
  if (!resource || !action) return false;
  if (resource === '*') return action === '*';
  const actions = (permissionCatalogue as Record<string, readonly string[]>)[resource];
  return !!actions && (action === '*' || actions.includes(action));
}

/** True when `held` (a role's permission, maybe a wildcard) covers `wanted`. */
export function covers(held: string, wanted: string): boolean {
  const [hr, ha] = held.split(':');
  const [wr, wa] = wanted.split(':');
  return (hr === '*' || hr === wr) && (ha === '*' || ha === wa);
}
