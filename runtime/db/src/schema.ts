import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** PostgreSQL `ltree`: tenant and organisation paths such as `1.4.9` (ids from the root down). */
export const ltree = customType<{ data: string }>({
  dataType() {
    return 'ltree';
  },
});

const id = () => bigserial('id', { mode: 'number' }).primaryKey();
const ref = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

/** Columns every tenant-scoped row carries; row-level security filters on `tenant_path`. */
const tenantColumns = () => ({
  tenantId: ref('tenant_id')
    .notNull()
    .references(() => tenants.id),
  tenantPath: ltree('tenant_path').notNull(),
});

export type TenantKind = 'platform' | 'group' | 'company' | 'site';
export interface TenantSettings {
  timeZone: string;
  locale: 'zh-CN' | 'en';
  brandingName: string | null;
}

/** 集团多级管控: platform → group (水投集团) → company (水司) → site (营业所/站点). */
export const tenants = pgTable(
  'tenants',
  {
    id: id(),
    parentId: ref('parent_id').references((): AnyPgColumn => tenants.id),
    path: ltree('path').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: text('kind').$type<TenantKind>().notNull(),
    settings: jsonb('settings').$type<TenantSettings>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('tenants_code_key').on(t.code),
    uniqueIndex('tenants_path_key').on(t.path),
    index('tenants_path_gist').using('gist', t.path),
  ],
);

/** 机构 / 营业所: a tenant's own organisation tree, the basis of the org data scope. */
export const orgUnits = pgTable(
  'org_units',
  {
    id: id(),
    ...tenantColumns(),
    parentId: ref('parent_id').references((): AnyPgColumn => orgUnits.id),
    path: ltree('path').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: text('kind').$type<'department' | 'office'>().notNull(),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('org_units_tenant_code_key').on(t.tenantId, t.code),
    index('org_units_tenant_path_gist').using('gist', t.tenantPath),
    index('org_units_path_gist').using('gist', t.path),
  ],
);

/** 小区: an address-hierarchy node that data scopes can name. */
export const communities = pgTable(
  'communities',
  {
    id: id(),
    ...tenantColumns(),
    orgUnitId: ref('org_unit_id').references(() => orgUnits.id),
    orgPath: ltree('org_path'),
    code: text('code').notNull(),
    name: text('name').notNull(),
    address: text('address'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('communities_tenant_code_key').on(t.tenantId, t.code),
    index('communities_tenant_path_gist').using('gist', t.tenantPath),
    // Lists page in (tenant_path, code) order: an ordered index scan stops after one page.
    index('communities_tenant_path_code_idx').on(t.tenantPath, t.code),
  ],
);

/** 楼栋 inside a community. */
export const buildings = pgTable(
  'buildings',
  {
    id: id(),
    ...tenantColumns(),
    communityId: ref('community_id')
      .notNull()
      .references(() => communities.id),
    orgPath: ltree('org_path'),
    code: text('code').notNull(),
    name: text('name').notNull(),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('buildings_community_code_key').on(t.communityId, t.code),
    index('buildings_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

export const users = pgTable(
  'users',
  {
    id: id(),
    ...tenantColumns(),
    orgUnitId: ref('org_unit_id').references(() => orgUnits.id),
    orgPath: ltree('org_path'),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    email: text('email'),
    phone: text('phone'),
    locale: text('locale').$type<'zh-CN' | 'en'>(),
    /** argon2id; null for single-sign-on-only accounts. */
    passwordHash: text('password_hash'),
    status: text('status').$type<'active' | 'disabled'>().notNull().default('active'),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_key').on(sql`lower(${t.username})`),
    index('users_tenant_path_gist').using('gist', t.tenantPath),
    index('users_tenant_path_username_idx').on(t.tenantPath, t.username),
  ],
);

export type DataScope = 'tenant' | 'org' | 'own';

/** A role inside one tenant: `resource:action` permissions plus the data scope they apply to. */
export const roles = pgTable(
  'roles',
  {
    id: id(),
    ...tenantColumns(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    permissions: text('permissions').array().notNull(),
    dataScope: text('data_scope').$type<DataScope>().notNull().default('tenant'),
    builtin: boolean('builtin').notNull().default(false),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('roles_tenant_code_key').on(t.tenantId, t.code),
    index('roles_tenant_path_gist').using('gist', t.tenantPath),
    index('roles_tenant_path_code_idx').on(t.tenantPath, t.code),
  ],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: ref('role_id')
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    ...tenantColumns(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roleId] }), index('user_roles_role_idx').on(t.roleId)],
);

/** An OpenID Connect provider a tenant's staff can sign in with. */
export const identityProviders = pgTable(
  'identity_providers',
  {
    id: id(),
    ...tenantColumns(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    issuer: text('issuer').notNull(),
    clientId: text('client_id').notNull(),
    clientSecret: text('client_secret'),
    scopes: text('scopes').notNull().default('openid profile email'),
    autoProvision: boolean('auto_provision').notNull().default(false),
    defaultRoleId: ref('default_role_id').references(() => roles.id, { onDelete: 'set null' }),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('identity_providers_code_key').on(t.code)],
);

export const userIdentities = pgTable(
  'user_identities',
  {
    id: id(),
    ...tenantColumns(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    providerId: ref('provider_id')
      .notNull()
      .references(() => identityProviders.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('user_identities_provider_subject_key').on(t.providerId, t.subject)],
);

/** A refresh-token family; the token itself is stored only as a SHA-256 digest. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    ...tenantColumns(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    refreshDigest: text('refresh_digest').notNull(),
    /** The previous token's digest: presenting it again means the token was stolen. */
    previousDigest: text('previous_digest'),
    method: text('method').$type<'password' | 'oidc'>().notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: createdAt(),
    refreshedAt: timestamp('refreshed_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('sessions_refresh_digest_key').on(t.refreshDigest),
    index('sessions_previous_digest_idx').on(t.previousDigest),
    index('sessions_user_idx').on(t.userId),
  ],
);

/** Pending OIDC authorisation requests (state → PKCE verifier), so any runtime node can finish a login. */
export const oidcLoginStates = pgTable('oidc_login_states', {
  state: text('state').primaryKey(),
  providerId: ref('provider_id')
    .notNull()
    .references(() => identityProviders.id, { onDelete: 'cascade' }),
  nonce: text('nonce').notNull(),
  codeVerifier: text('code_verifier').notNull(),
  returnTo: text('return_to'),
  createdAt: createdAt(),
});

/** Append-only: written by triggers and the identity service, never updated or deleted. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    // No foreign key: the history outlives the tenants and rows it describes.
    tenantId: ref('tenant_id').notNull(),
    tenantPath: ltree('tenant_path').notNull(),
    actorId: ref('actor_id'),
    actorName: text('actor_name'),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    requestId: text('request_id'),
  },
  (t) => [
    index('audit_log_tenant_path_gist').using('gist', t.tenantPath),
    index('audit_log_entity_idx').on(t.entity, t.entityId),
    index('audit_log_at_idx').on(t.at),
  ],
);

/** Runtime-wide secrets (the token signing key) shared by every node; never granted to the app role. */
export const systemSecrets = pgTable('system_secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: createdAt(),
});
