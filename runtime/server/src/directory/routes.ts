import { buildings, communities, identityProviders, orgUnits, queryRows, roles, tenants } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { requireReference } from '../http/scoped-queries.js';
import { tenantCrudRoutes } from './tenant-crud.js';

const code = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore; at most 64');
const name = z.string().trim().min(1).max(100);
const id = z.number().int().positive();
const stamp = { id: z.number(), tenantId: z.number(), tenantPath: z.string(), createdAt: z.string(), updatedAt: z.string() };

const orgUnitRoutes = tenantCrudRoutes({
  resource: 'org-unit',
  path: '/api/org-units',
  tags: ['Organisation 组织机构'],
  noun: 'org unit (机构/营业所)',
  table: orgUnits,
  create: z.strictObject({
    tenantId: id.optional(),
    parentId: id.optional(),
    code,
    name,
    kind: z.enum(['department', 'office']).default('department'),
  }),
  update: z.strictObject({ code: code.optional(), name: name.optional(), kind: z.enum(['department', 'office']).optional() }),
  view: z.object({ ...stamp, parentId: z.number().nullable(), path: z.string(), code: z.string(), name: z.string(), kind: z.string() }),
  search: [orgUnits.name, orgUnits.code],
  idFilters: { tenantId: { column: orgUnits.tenantId, table: tenants }, parentId: { column: orgUnits.parentId, table: orgUnits } },
  orderBy: [orgUnits.path],
  prepareCreate: async (tx, body, tenant) => {
    const parent = body.parentId ? await requireReference(tx, orgUnits, body.parentId, tenant.id, 'parentId') : undefined;
    const [next] = await queryRows<{ id: string }>(tx, sql`select nextval('org_units_id_seq')::text as id`);
    const newId = Number(next!.id);
    return { id: newId, parentId: parent?.id ?? null, path: parent ? `${parent.path}.${newId}` : String(newId), code: body.code, name: body.name, kind: body.kind };
  },
  prepareUpdate: async (_tx, body) => body,
});

const communityRoutes = tenantCrudRoutes({
  resource: 'community',
  path: '/api/communities',
  tags: ['Communities 小区'],
  noun: 'community (小区)',
  table: communities,
  create: z.strictObject({ tenantId: id.optional(), orgUnitId: id.optional(), code, name, address: z.string().trim().max(200).optional() }),
  update: z.strictObject({
    orgUnitId: id.nullable().optional(),
    code: code.optional(),
    name: name.optional(),
    address: z.string().trim().max(200).nullable().optional(),
  }),
  view: z.object({ ...stamp, orgUnitId: z.number().nullable(), code: z.string(), name: z.string(), address: z.string().nullable() }),
  search: [communities.name, communities.code, communities.address],
  idFilters: { tenantId: { column: communities.tenantId, table: tenants }, orgUnitId: { column: communities.orgUnitId, table: orgUnits } },
  orderBy: [communities.tenantPath, communities.code],
  prepareCreate: async (tx, body, tenant) => {
    const org = body.orgUnitId ? await requireReference(tx, orgUnits, body.orgUnitId, tenant.id, 'orgUnitId') : undefined;
    return { orgUnitId: org?.id ?? null, orgPath: org?.path ?? null, code: body.code, name: body.name, address: body.address ?? null };
  },
  prepareUpdate: async (tx, body, current) => {
    if (body.orgUnitId === undefined) return body;
    const org = body.orgUnitId ? await requireReference(tx, orgUnits, body.orgUnitId, current.tenantId, 'orgUnitId') : undefined;
    // Buildings inherit the community's org path, so the org data scope keeps covering them.
    await tx.update(buildings).set({ orgPath: org?.path ?? null }).where(eq(buildings.communityId, current.id));
    return { ...body, orgPath: org?.path ?? null };
  },
});

const buildingRoutes = tenantCrudRoutes({
  resource: 'building',
  path: '/api/buildings',
  tags: ['Communities 小区'],
  noun: 'building (楼栋)',
  table: buildings,
  create: z.strictObject({ communityId: id, code, name }),
  update: z.strictObject({ code: code.optional(), name: name.optional() }),
  view: z.object({ ...stamp, communityId: z.number(), code: z.string(), name: z.string() }),
  search: [buildings.name, buildings.code],
  idFilters: { tenantId: { column: buildings.tenantId, table: tenants }, communityId: { column: buildings.communityId, table: communities } },
  orderBy: [buildings.communityId, buildings.code],
  tenantOf: async (tx, body) => {
    const [community] = await tx.select({ tenantId: communities.tenantId }).from(communities).where(eq(communities.id, body.communityId));
    if (!community) throw new AppError('invalid_reference', { details: [{ path: 'body.communityId', message: `no such community: ${body.communityId}` }] });
    return community.tenantId;
  },
  prepareCreate: async (tx, body, tenant) => {
    const community = await requireReference(tx, communities, body.communityId, tenant.id, 'communityId');
    return { communityId: community.id, orgPath: community.orgPath, code: body.code, name: body.name };
  },
  prepareUpdate: async (_tx, body) => body,
});

const identityProviderRoutes = tenantCrudRoutes({
  resource: 'identity-provider',
  path: '/api/identity-providers',
  tags: ['Identity 身份'],
  noun: 'OpenID Connect provider',
  table: identityProviders,
  create: z.strictObject({
    tenantId: id.optional(),
    code: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
    name,
    issuer: z.url(),
    clientId: z.string().min(1).max(200),
    clientSecret: z.string().min(1).max(500).optional(),
    scopes: z.string().max(200).optional(),
    autoProvision: z.boolean().optional(),
    defaultRoleId: id.optional(),
    enabled: z.boolean().optional(),
  }),
  update: z.strictObject({
    name: name.optional(),
    issuer: z.url().optional(),
    clientId: z.string().min(1).max(200).optional(),
    clientSecret: z.string().min(1).max(500).nullable().optional(),
    scopes: z.string().max(200).optional(),
    autoProvision: z.boolean().optional(),
    defaultRoleId: id.nullable().optional(),
    enabled: z.boolean().optional(),
  }),
  view: z.object({ ...stamp, code: z.string(), name: z.string(), issuer: z.string(), clientId: z.string(), hasClientSecret: z.boolean() }),
  search: [identityProviders.name, identityProviders.code],
  idFilters: { tenantId: { column: identityProviders.tenantId, table: tenants } },
  orderBy: [identityProviders.code],
  prepareCreate: async (tx, body, tenant) => {
    if (body.defaultRoleId) await requireReference(tx, roles, body.defaultRoleId, tenant.id, 'defaultRoleId');
    return { ...body, tenantId: undefined };
  },
  prepareUpdate: async (tx, body, current) => {
    if (body.defaultRoleId) await requireReference(tx, roles, body.defaultRoleId, current.tenantId, 'defaultRoleId');
    return body;
  },
  present: ({ clientSecret, ...row }) => ({ ...row, hasClientSecret: clientSecret !== null }),
});

export const directoryRoutes = [...orgUnitRoutes, ...communityRoutes, ...buildingRoutes, ...identityProviderRoutes];
