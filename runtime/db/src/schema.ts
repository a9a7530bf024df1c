import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  date,
  index,
  integer,
  jsonb,
  numeric,
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
    /** The domain pack whose default role this is (null: the platform's or the tenant's own). */
    packId: text('pack_id'),
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

/** What a product is, in the utility's words: meters by how they are read, and network sensors. */
export type ProductKind =
  | 'mechanical-meter'
  | 'remote-read-meter'
  | 'nb-iot-meter'
  | 'prepaid-meter'
  | 'flow-meter'
  | 'pressure-sensor'
  | 'water-quality-sensor'
  | 'level-sensor'
  /** 集中器: reports over one connection for the meters registered behind it (集抄). */
  | 'concentrator';
/** How a product's devices reach the platform. */
export type DeviceTransport = 'mqtt' | 'http-push' | 'coap' | 'modbus';
/** 设备生命周期: 安装 → 验收 → 投运 → 维修 → 投运 … → 报废. */
export type DeviceState = 'installed' | 'accepted' | 'in_service' | 'under_repair' | 'retired';
/** Where the platform reaches a device it polls (Modbus TCP): the meter, or the serial gateway in front of it. */
export interface ModbusConnection {
  host: string;
  port: number;
  /** Modbus unit (slave) id, 0–255: the meter's address behind a gateway. */
  unitId: number;
  /** Seconds between two polls. */
  intervalSeconds: number;
}

export interface LocalisedName {
  zh: string;
  en: string;
}
export type ThingDataType = 'int' | 'decimal' | 'enum' | 'bool' | 'text';
export interface ThingEnumValue {
  /** The code on the wire, e.g. CJ/T 188 valve state 0 / 1 / 3. */
  value: string | number;
  name: LocalisedName;
}
/** A typed value of the thing model: a property, or an event's or service's parameter. */
export interface ThingParameter {
  identifier: string;
  name: LocalisedName;
  dataType: ThingDataType;
  unit?: string | undefined;
  min?: number | undefined;
  max?: number | undefined;
  /** Digits after the decimal point, for `decimal`. */
  scale?: number | undefined;
  enumValues?: ThingEnumValue[] | undefined;
}
export interface ThingProperty extends ThingParameter {
  access: 'r' | 'rw';
}
export interface ThingEvent {
  identifier: string;
  name: LocalisedName;
  level: 'info' | 'warning' | 'fault';
  outputs?: ThingParameter[] | undefined;
}
export interface ThingService {
  identifier: string;
  name: LocalisedName;
  inputs?: ThingParameter[] | undefined;
  outputs?: ThingParameter[] | undefined;
}
/** 物模型: what a product's devices report (properties, events) and what they can be told to do (services). */
export interface ThingModel {
  properties: ThingProperty[];
  events: ThingEvent[];
  services: ThingService[];
}

/** 产品/型号: a device model with its thing model and the codec that decodes its payloads. */
export const products = pgTable(
  'products',
  {
    id: id(),
    ...tenantColumns(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    manufacturer: text('manufacturer'),
    model: text('model'),
    kind: text('kind').$type<ProductKind>().notNull(),
    transport: text('transport').$type<DeviceTransport>().notNull(),
    /** Names a codec of the IoT pipeline, e.g. `cjt188`, `json-thing-model`. */
    codec: text('codec').notNull(),
    /** Per-product codec settings (CJ/T 188: the status-word layout, the meters' time zone). */
    codecSettings: jsonb('codec_settings').$type<Record<string, unknown>>().notNull().default({}),
    thingModel: jsonb('thing_model').$type<ThingModel>().notNull(),
    /** The domain pack that made the product at its install, if one did. */
    packId: text('pack_id'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('products_tenant_code_key').on(t.tenantId, t.code),
    index('products_tenant_path_gist').using('gist', t.tenantPath),
    index('products_tenant_path_code_idx').on(t.tenantPath, t.code),
    check('products_transport_check', sql`${t.transport} in ('mqtt', 'http-push', 'coap', 'modbus')`),
  ],
);

/** 设备/表具: one installed meter or sensor, where it is, and where it stands in its lifecycle. */
export const devices = pgTable(
  'devices',
  {
    id: id(),
    ...tenantColumns(),
    productId: ref('product_id')
      .notNull()
      .references(() => products.id),
    /** 表号: the number printed on the meter, as staff and customers name it. */
    meterNumber: text('meter_number').notNull(),
    /** How the device names itself on the wire: IMEI, or the 14-digit CJ/T 188 address; the MQTT username. */
    deviceKey: text('device_key').notNull(),
    /** 户号 of the customer account the meter serves; the billing pack owns accounts. */
    accountRef: text('account_ref'),
    /** The concentrator (集中器) this meter reports through, if any; the same tenant as the meter. */
    gatewayId: ref('gateway_id').references((): AnyPgColumn => devices.id, { onDelete: 'set null' }),
    communityId: ref('community_id').references(() => communities.id),
    buildingId: ref('building_id').references(() => buildings.id),
    /** Copied from the community, so the org data scope covers devices as it covers communities. */
    orgPath: ltree('org_path'),
    dmaCode: text('dma_code'),
    /** WGS-84 degrees as the installer's GPS reports them; exact decimals, never floats. */
    latitude: numeric('latitude', { precision: 9, scale: 6 }),
    longitude: numeric('longitude', { precision: 9, scale: 6 }),
    installDate: date('install_date', { mode: 'string' }),
    state: text('state').$type<DeviceState>().notNull().default('installed'),
    stateChangedAt: timestamp('state_changed_at', { withTimezone: true }).notNull().defaultNow(),
    online: boolean('online').notNull().default(false),
    /** When `online` last flipped, by the device's clock of events: a late message cannot undo a later offline report. */
    onlineChangedAt: timestamp('online_changed_at', { withTimezone: true }),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    /** `sha256:` digest of the device's MQTT secret (256 random bits); the secret is shown once and never stored. */
    mqttSecretHash: text('mqtt_secret_hash'),
    secretRotatedAt: timestamp('secret_rotated_at', { withTimezone: true }),
    /** Set for devices of a product the platform polls over Modbus TCP (and only for them). */
    connection: jsonb('connection').$type<ModbusConnection>(),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('devices_tenant_meter_number_key').on(t.tenantId, t.meterNumber),
    uniqueIndex('devices_tenant_device_key_key').on(t.tenantId, t.deviceKey),
    // The broker authenticates by device key before it knows the tenant.
    index('devices_device_key_idx').on(t.deviceKey),
    // A concentrator's report names its meters by key.
    index('devices_gateway_key_idx').on(t.gatewayId, t.deviceKey),
    index('devices_tenant_path_gist').using('gist', t.tenantPath),
    index('devices_tenant_path_meter_number_idx').on(t.tenantPath, t.meterNumber),
    index('devices_product_idx').on(t.productId),
    index('devices_community_idx').on(t.communityId),
    index('devices_building_idx').on(t.buildingId),
    check('devices_state_check', sql`${t.state} in ('installed', 'accepted', 'in_service', 'under_repair', 'retired')`),
    check(
      'devices_location_check',
      sql`(${t.latitude} is null) = (${t.longitude} is null) and ${t.latitude} between -90 and 90 and ${t.longitude} between -180 and 180`,
    ),
  ],
);

/** Append-only: every lifecycle step of a device, who took it and why. */
export const deviceStateHistory = pgTable(
  'device_state_history',
  {
    id: id(),
    ...tenantColumns(),
    deviceId: ref('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    /** Null for the first entry, when the device was registered. */
    fromState: text('from_state').$type<DeviceState>(),
    toState: text('to_state').$type<DeviceState>().notNull(),
    note: text('note'),
    actorId: ref('actor_id'),
    actorName: text('actor_name'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('device_state_history_device_idx').on(t.deviceId, t.id),
    index('device_state_history_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/** The NB-IoT platforms that push device traffic to the runtime over HTTP. */
export type PushPlatform = 'ctwing' | 'onenet';

/**
 * 推送地址: where an NB-IoT platform (China Telecom CTWing/AEP, China Mobile OneNET) pushes one tenant's
 * device traffic. The platform calls `/api/push/<platform>/<code>`; the code names the endpoint and,
 * being unguessable, is part of its credentials. Messages are matched to devices of this tenant's
 * subtree only.
 */
export const pushEndpoints = pgTable(
  'push_endpoints',
  {
    id: id(),
    ...tenantColumns(),
    platform: text('platform').$type<PushPlatform>().notNull(),
    /** The URL's last segment: 24 random bytes, base64url; generated by the server, never typed. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    /**
     * OneNET: the token the platform signs with (Base64(MD5(token + nonce + msg))), so it is kept as
     * given, like an SSO client secret. CTWing: an optional shared value the `token` header must carry.
     * Write-only: never returned, never in the audit trail.
     */
    token: text('token'),
    /** OneNET EncodingAESKey (Base64) when the push is encrypted; write-only like the token. */
    aesKey: text('aes_key'),
    /**
     * The platform's open API, so commands reach the devices that report through this endpoint (all null:
     * the endpoint only receives). CTWing: the application's App Key and the product id; OneNET: the product id.
     */
    apiAppKey: text('api_app_key'),
    apiProductId: text('api_product_id'),
    /** CTWing: the application's App Secret; OneNET: the product's access key. Write-only, never in the audit trail. */
    apiSecret: text('api_secret'),
    /** CTWing: the product's MasterKey. Write-only, never in the audit trail. */
    apiMasterKey: text('api_master_key'),
    /** OneNET: the LwM2M resource NB-IoT commands are executed on, `obj/inst/res` (e.g. `3200/0/5750`). */
    apiCommandResource: text('api_command_resource'),
    /** When the token or AES key last changed: the audit trail shows the change without the secret. */
    secretsChangedAt: timestamp('secrets_changed_at', { withTimezone: true }),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The public route finds the endpoint by code before it knows the tenant.
    uniqueIndex('push_endpoints_code_key').on(t.code),
    index('push_endpoints_tenant_path_gist').using('gist', t.tenantPath),
    index('push_endpoints_tenant_path_name_idx').on(t.tenantPath, t.name),
    check('push_endpoints_platform_check', sql`${t.platform} in ('ctwing', 'onenet')`),
    // OneNET cannot sign without a token; CTWing has no encrypted push.
    check('push_endpoints_secrets_check', sql`(${t.platform} <> 'onenet' or ${t.token} is not null) and (${t.platform} = 'onenet' or ${t.aesKey} is null)`),
  ],
);

/**
 * 平台设备: how an NB-IoT platform names one of our devices, learnt from the device's own pushes (CTWing's
 * deviceId and productId, OneNET's dev_id and the module's IMEI), so a command can go out through that
 * platform's API with the credentials of the push endpoint the device reports through. One row per device:
 * the newest push wins.
 */
export const platformDevices = pgTable(
  'platform_devices',
  {
    id: id(),
    ...tenantColumns(),
    deviceId: ref('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    pushEndpointId: ref('push_endpoint_id')
      .notNull()
      .references(() => pushEndpoints.id, { onDelete: 'cascade' }),
    platformDeviceId: text('platform_device_id').notNull(),
    platformProductId: text('platform_product_id'),
    imei: text('imei'),
    /** The platform's time of the push that taught it. */
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('platform_devices_device_key').on(t.deviceId),
    index('platform_devices_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

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

export type AlarmStatus = 'active' | 'acknowledged' | 'cleared';

/**
 * 告警: one ongoing condition of one device under one rule, from raise to clear. At most one open alarm
 * per (tenant, dedup key): a condition that persists raises once, and a redelivered signal finds it.
 */
export const alarms = pgTable(
  'alarms',
  {
    id: id(),
    ...tenantColumns(),
    deviceId: ref('device_id').references(() => devices.id, { onDelete: 'set null' }),
    deviceKey: text('device_key').notNull(),
    /** Rule kind, e.g. `continuous_flow`, `valve_fault`. */
    kind: text('kind').notNull(),
    ruleId: text('rule_id').notNull(),
    severity: text('severity').$type<'info' | 'warning' | 'critical'>().notNull(),
    /** `kind:device:rule`, as the rules engine keys one condition. */
    dedupKey: text('dedup_key').notNull(),
    status: text('status').$type<AlarmStatus>().notNull().default('active'),
    /** When the condition began, by the device's readings (not when the platform noticed). */
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    /** What the rule measured: exact decimal strings in canonical units, times in ISO 8601. */
    detail: jsonb('detail').$type<Record<string, string>>().notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: ref('acknowledged_by'),
    clearedAt: timestamp('cleared_at', { withTimezone: true }),
    /** Null when the condition ended by itself; the user who closed it by hand otherwise. */
    clearedBy: ref('cleared_by'),
    note: text('note'),
    orgPath: ltree('org_path'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('alarms_open_dedup_key').on(t.tenantId, t.dedupKey).where(sql`${t.status} <> 'cleared'`),
    index('alarms_tenant_path_gist').using('gist', t.tenantPath),
    index('alarms_tenant_path_raised_idx').on(t.tenantPath, t.raisedAt),
    index('alarms_device_idx').on(t.deviceId),
    check('alarms_status_check', sql`${t.status} in ('active', 'acknowledged', 'cleared')`),
  ],
);

/** The rules engine's per-device state, so alarms and night-flow runs survive a restart (system only). */
export const rulesEngineState = pgTable('rules_engine_state', {
  name: text('name').primaryKey(),
  snapshot: jsonb('snapshot').notNull(),
  savedAt: timestamp('saved_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * 告警规则: a rule a tenant configures on top of the platform defaults. It watches the devices of its
 * tenant's subtree (optionally of one product); `params` are the kind's parameters, validated by the
 * runtime with @shuiyun/iot's `ruleConfig`. `rule_id` is unique per tenant and part of the alarms' dedup
 * keys, so it never changes.
 */
export const alarmRules = pgTable(
  'alarm_rules',
  {
    id: id(),
    ...tenantColumns(),
    ruleId: text('rule_id').notNull(),
    kind: text('kind').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    /** Overrides the kind's default severity; null keeps it. */
    severity: text('severity').$type<'info' | 'warning' | 'critical'>(),
    /** Product code (the device registry's product key); null watches every product. */
    productCode: text('product_code'),
    enabled: boolean('enabled').notNull().default(true),
    /** The domain pack that made the rule at its install, if one did. */
    packId: text('pack_id'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('alarm_rules_tenant_rule_id_key').on(t.tenantId, t.ruleId),
    index('alarm_rules_tenant_path_gist').using('gist', t.tenantPath),
    check('alarm_rules_severity_check', sql`${t.severity} is null or ${t.severity} in ('info', 'warning', 'critical')`),
  ],
);

/** Where a downlink command stands: queued → sent → acknowledged | failed, or expired past its deadline. */
export type DeviceCommandStatus = 'queued' | 'sent' | 'acknowledged' | 'failed' | 'expired';

/**
 * 下行指令: one command to one device (a service of its product's thing model, e.g. valve_close), from the
 * request through delivery to the device's answer. At most one open (queued or sent) command per device
 * and service, and open commands of a device have distinct serials (CJ/T 188 SER), so a reply names one.
 */
export const deviceCommands = pgTable(
  'device_commands',
  {
    id: id(),
    ...tenantColumns(),
    deviceId: ref('device_id')
      .notNull()
      .references(() => devices.id),
    /** A service identifier of the product's thing model: `valve_open`, `valve_close`, `read_now`, … */
    service: text('service').notNull(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    /** 0–255; CJ/T 188 meters echo it (SER) in their reply. */
    serial: integer('serial').notNull(),
    /** The downlink exactly as published to the device, hex. */
    payloadHex: text('payload_hex').notNull(),
    /** The push endpoint whose platform API carried the command (devices on http-push products). */
    pushEndpointId: ref('push_endpoint_id').references(() => pushEndpoints.id, { onDelete: 'set null' }),
    /** The platform's name for the command: CTWing's commandId (the taskId of its result pushes), OneNET's uuid (cmd_id). */
    platformCommandId: text('platform_command_id'),
    status: text('status').$type<DeviceCommandStatus>().notNull().default('queued'),
    /** What the device answered, as far as the codec reads it (CJ/T 188: the status word ST). */
    reply: jsonb('reply').$type<Record<string, unknown>>(),
    failureReason: text('failure_reason'),
    /** Copied from the device, so the org data scope covers commands as it covers devices. */
    orgPath: ltree('org_path'),
    createdBy: ref('created_by'),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    /** Still queued or unanswered then: expired. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('device_commands_open_service_key').on(t.deviceId, t.service).where(sql`${t.status} in ('queued', 'sent')`),
    uniqueIndex('device_commands_open_serial_key').on(t.deviceId, t.serial).where(sql`${t.status} in ('queued', 'sent')`),
    index('device_commands_device_idx').on(t.deviceId, t.id),
    index('device_commands_open_expiry_idx').on(t.expiresAt).where(sql`${t.status} in ('queued', 'sent')`),
    index('device_commands_tenant_path_gist').using('gist', t.tenantPath),
    index('device_commands_platform_command_idx').on(t.pushEndpointId, t.platformCommandId),
    check('device_commands_status_check', sql`${t.status} in ('queued', 'sent', 'acknowledged', 'failed', 'expired')`),
    check('device_commands_serial_check', sql`${t.serial} between 0 and 255`),
  ],
);

// ─── Workflow (流程): the embedded engine's definitions, instances and everything they wait on ───

/** Where a process instance stands; `active` includes instances held by an open incident. */
export type WorkflowInstanceState = 'active' | 'completed' | 'terminated' | 'canceled';

/**
 * 流程定义: one version of one BPMN process of a tenant. Deploying a file whose process is unchanged
 * (same checksum as the newest version) adds no version, as on Zeebe. `info` is what the compiler read
 * from the file (start events, user tasks, job types, called processes).
 */
export const workflowDefinitions = pgTable(
  'workflow_definitions',
  {
    id: id(),
    ...tenantColumns(),
    processId: text('process_id').notNull(),
    version: integer('version').notNull(),
    name: text('name'),
    resourceName: text('resource_name').notNull(),
    xml: text('xml').notNull(),
    checksum: text('checksum').notNull(),
    info: jsonb('info').$type<Record<string, unknown>>().notNull(),
    deployedBy: ref('deployed_by'),
    deployedAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_definitions_tenant_process_version_key').on(t.tenantId, t.processId, t.version),
    index('workflow_definitions_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/** 表单: a form-js schema deployed with the processes whose user tasks show it (`zeebe:formDefinition formId`). */
export const workflowForms = pgTable(
  'workflow_forms',
  {
    id: id(),
    ...tenantColumns(),
    formId: text('form_id').notNull(),
    version: integer('version').notNull(),
    resourceName: text('resource_name').notNull(),
    schema: jsonb('schema').$type<Record<string, unknown>>().notNull(),
    checksum: text('checksum').notNull(),
    deployedBy: ref('deployed_by'),
    deployedAt: createdAt(),
  },
  (t) => [
    uniqueIndex('workflow_forms_tenant_form_version_key').on(t.tenantId, t.formId, t.version),
    index('workflow_forms_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/**
 * 流程实例: the engine's snapshot between two events (an instance is never held in memory while it
 * waits), its process-scope variables, and its place under a parent's call activity.
 */
export const workflowInstances = pgTable(
  'workflow_instances',
  {
    id: id(),
    ...tenantColumns(),
    definitionId: ref('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id),
    processId: text('process_id').notNull(),
    version: integer('version').notNull(),
    parentId: ref('parent_id').references((): AnyPgColumn => workflowInstances.id),
    /** The parent's call-activity activation this instance answers. */
    parentCallKey: text('parent_call_key'),
    businessKey: text('business_key'),
    state: text('state').$type<WorkflowInstanceState>().notNull().default('active'),
    snapshot: jsonb('snapshot'),
    variables: jsonb('variables').$type<Record<string, unknown>>().notNull().default({}),
    openIncidents: integer('open_incidents').notNull().default(0),
    startedBy: ref('started_by'),
    startedAt: createdAt(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('workflow_instances_tenant_path_gist').using('gist', t.tenantPath),
    index('workflow_instances_tenant_state_idx').on(t.tenantId, t.state, t.id),
    index('workflow_instances_definition_idx').on(t.definitionId),
    index('workflow_instances_parent_idx').on(t.parentId),
    check('workflow_instances_state_check', sql`${t.state} in ('active', 'completed', 'terminated', 'canceled')`),
  ],
);

export type WorkflowJobState = 'activatable' | 'activated' | 'failed';

/**
 * 作业: a service task's work item for a job worker. Activated with a deadline (past it, another worker may
 * take it); failed with retries left → activatable again after a back-off; no retries left → `failed`
 * with an open incident until an operator gives it retries. Deleted when the instance moves on.
 */
export const workflowJobs = pgTable(
  'workflow_jobs',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    elementId: text('element_id').notNull(),
    processId: text('process_id').notNull(),
    type: text('type').notNull(),
    retries: integer('retries').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    variables: jsonb('variables').$type<Record<string, unknown>>().notNull().default({}),
    state: text('state').$type<WorkflowJobState>().notNull().default('activatable'),
    worker: text('worker'),
    deadline: timestamp('deadline', { withTimezone: true }),
    retryAt: timestamp('retry_at', { withTimezone: true }).notNull().defaultNow(),
    errorMessage: text('error_message'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('workflow_jobs_instance_key').on(t.instanceId, t.key),
    index('workflow_jobs_activatable_idx').on(t.type, t.retryAt).where(sql`${t.state} = 'activatable'`),
    index('workflow_jobs_deadline_idx').on(t.deadline).where(sql`${t.state} = 'activated'`),
    index('workflow_jobs_tenant_path_gist').using('gist', t.tenantPath),
    check('workflow_jobs_state_check', sql`${t.state} in ('activatable', 'activated', 'failed')`),
  ],
);

export type WorkflowTaskState = 'created' | 'completed' | 'canceled';

/**
 * 待办: a user task the platform's task list shows. Candidate groups are role codes of the tenant,
 * candidate users are user names. Kept after completion as the task history.
 */
export const workflowUserTasks = pgTable(
  'workflow_user_tasks',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    elementId: text('element_id').notNull(),
    processId: text('process_id').notNull(),
    name: text('name'),
    assignee: text('assignee'),
    candidateGroups: text('candidate_groups').array().notNull().default(sql`'{}'::text[]`),
    candidateUsers: text('candidate_users').array().notNull().default(sql`'{}'::text[]`),
    formKey: text('form_key'),
    formId: text('form_id'),
    dueDate: timestamp('due_date', { withTimezone: true }),
    followUpDate: timestamp('follow_up_date', { withTimezone: true }),
    variables: jsonb('variables').$type<Record<string, unknown>>().notNull().default({}),
    state: text('state').$type<WorkflowTaskState>().notNull().default('created'),
    completedBy: ref('completed_by'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('workflow_user_tasks_instance_key').on(t.instanceId, t.key),
    index('workflow_user_tasks_tenant_path_gist').using('gist', t.tenantPath),
    index('workflow_user_tasks_open_idx').on(t.tenantId, t.state, t.id),
    index('workflow_user_tasks_assignee_idx').on(t.assignee).where(sql`${t.state} = 'created'`),
    index('workflow_user_tasks_groups_gin').using('gin', t.candidateGroups),
    check('workflow_user_tasks_state_check', sql`${t.state} in ('created', 'completed', 'canceled')`),
  ],
);

/** Who did what to a user task and when: created, claimed, unclaimed, assigned, completed, canceled. */
export const workflowTaskEvents = pgTable(
  'workflow_task_events',
  {
    id: id(),
    ...tenantColumns(),
    taskId: ref('task_id')
      .notNull()
      .references(() => workflowUserTasks.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    actorId: ref('actor_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    at: createdAt(),
  },
  (t) => [index('workflow_task_events_task_idx').on(t.taskId, t.id), index('workflow_task_events_tenant_path_gist').using('gist', t.tenantPath)],
);

/**
 * A message an instance (or, with no instance, a definition's message start event) waits for: the
 * message name and the correlation key evaluated when the subscription opened.
 */
export const workflowSubscriptions = pgTable(
  'workflow_subscriptions',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id').references(() => workflowInstances.id, { onDelete: 'cascade' }),
    definitionId: ref('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id),
    key: text('key').notNull(),
    elementId: text('element_id').notNull(),
    messageName: text('message_name').notNull(),
    correlationKey: text('correlation_key'),
    interrupting: boolean('interrupting').notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [
    index('workflow_subscriptions_message_idx').on(t.tenantId, t.messageName, t.correlationKey),
    index('workflow_subscriptions_instance_idx').on(t.instanceId),
    index('workflow_subscriptions_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/** A timer an instance (or a definition's timer start event) waits for; the scheduler fires it at `due_at`. */
export const workflowTimers = pgTable(
  'workflow_timers',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id').references(() => workflowInstances.id, { onDelete: 'cascade' }),
    definitionId: ref('definition_id')
      .notNull()
      .references(() => workflowDefinitions.id),
    key: text('key').notNull(),
    elementId: text('element_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** For cycles: repetitions still to come (null: for ever) and the ISO 8601 interval. */
    repetitionsLeft: integer('repetitions_left'),
    interval: text('interval'),
    createdAt: createdAt(),
  },
  (t) => [
    index('workflow_timers_due_idx').on(t.dueAt),
    index('workflow_timers_instance_idx').on(t.instanceId),
    index('workflow_timers_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/** 异常: what stops an instance until an operator acts (a job out of retries, an expression that failed). */
export const workflowIncidents = pgTable(
  'workflow_incidents',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    elementId: text('element_id').notNull(),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    /** The engine's own key for an incident it raised (an expression that failed, an unhandled error). */
    engineKey: text('engine_key'),
    jobId: ref('job_id').references(() => workflowJobs.id, { onDelete: 'set null' }),
    state: text('state').$type<'open' | 'resolved'>().notNull().default('open'),
    createdAt: createdAt(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: ref('resolved_by'),
  },
  (t) => [
    index('workflow_incidents_instance_idx').on(t.instanceId),
    index('workflow_incidents_open_idx').on(t.tenantId, t.id).where(sql`${t.state} = 'open'`),
    index('workflow_incidents_tenant_path_gist').using('gist', t.tenantPath),
    check('workflow_incidents_state_check', sql`${t.state} in ('open', 'resolved')`),
  ],
);

/** 流转记录: every element an instance entered and left, with times. */
export const workflowHistory = pgTable(
  'workflow_history',
  {
    id: id(),
    ...tenantColumns(),
    instanceId: ref('instance_id')
      .notNull()
      .references(() => workflowInstances.id, { onDelete: 'cascade' }),
    elementId: text('element_id').notNull(),
    elementType: text('element_type').notNull(),
    name: text('name'),
    event: text('event').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('workflow_history_instance_idx').on(t.instanceId, t.id), index('workflow_history_tenant_path_gist').using('gist', t.tenantPath)],
);

// ─── Reports (报表): datasets and report templates, versioned tenant artifacts ───

/** What a saved dataset reads; the two raw-SQL kinds are saved by platform administrators only. */
export type ReportDatasetSourceKind = 'analytics' | 'postgres' | 'analytics-sql' | 'postgres-sql';

/** A dataset's label in each locale (a definition's single text is both). */
export type ReportLabel = { 'zh-CN': string; en: string };

/**
 * 数据集: one version of a dataset definition (the @shuiyun/reports semantic model, checked by
 * parseDataset on save). Saving an unchanged definition (same checksum as the newest version) adds no
 * version. `raw_sql` marks a definition with SQL of its own (source or lookup), so a list shows at a
 * glance which ones only platform administrators may change.
 */
export const reportDatasets = pgTable(
  'report_datasets',
  {
    id: id(),
    ...tenantColumns(),
    code: text('code').notNull(),
    version: integer('version').notNull(),
    label: jsonb('label').$type<ReportLabel>().notNull(),
    sourceKind: text('source_kind').$type<ReportDatasetSourceKind>().notNull(),
    rawSql: boolean('raw_sql').notNull().default(false),
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    checksum: text('checksum').notNull(),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('report_datasets_tenant_code_version_key').on(t.tenantId, t.code, t.version),
    index('report_datasets_tenant_path_gist').using('gist', t.tenantPath),
    check('report_datasets_source_kind_check', sql`${t.sourceKind} in ('analytics', 'postgres', 'analytics-sql', 'postgres-sql')`),
  ],
);

/**
 * 报表模板: one version of a report template (JSON: default query, parameter bar, table, grouped,
 * pivot and chart specs, conditional formats, drill-down targets), checked against its dataset on save.
 * The dataset is named by code, pinned to a version or (null) the newest one; a tenant dataset of that
 * code comes first, else the built-in one.
 */
export const reportTemplates = pgTable(
  'report_templates',
  {
    id: id(),
    ...tenantColumns(),
    code: text('code').notNull(),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    datasetCode: text('dataset_code').notNull(),
    datasetVersion: integer('dataset_version'),
    template: jsonb('template').$type<Record<string, unknown>>().notNull(),
    checksum: text('checksum').notNull(),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('report_templates_tenant_code_version_key').on(t.tenantId, t.code, t.version),
    index('report_templates_tenant_dataset_idx').on(t.tenantId, t.datasetCode),
    index('report_templates_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

// ─── Report schedules (报表订阅): a cron per report template, its deliveries, and in-app notifications ───

export type ReportScheduleFormat = 'csv' | 'xlsx' | 'pdf';
/** How a run ended: every channel delivered, some failed (`partial`: e.g. the e-mail), or nothing was produced. */
export type ReportDeliveryStatus = 'running' | 'succeeded' | 'partial' | 'failed';

/**
 * 报表订阅: runs a report template on a cron (in the schedule's time zone) with saved parameters, as its
 * owner (the owner's tenant, roles and data scope at run time), and delivers the export to users in the
 * app and to e-mail addresses. The scheduler claims due rows with `for update skip locked` and moves
 * `next_run_at` in the same transaction, so a run happens once across nodes and restarts. The template
 * is named by a version's id; a run takes the newest version of that template's code.
 */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: id(),
    ...tenantColumns(),
    templateId: ref('template_id')
      .notNull()
      .references(() => reportTemplates.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timeZone: text('time_zone').notNull(),
    parameters: jsonb('parameters').$type<Record<string, unknown>>().notNull().default({}),
    format: text('format').$type<ReportScheduleFormat>().notNull(),
    /** In-app recipients (users of the schedule's tenant subtree) and e-mail addresses. */
    recipientUserIds: bigint('recipient_user_ids', { mode: 'number' }).array().notNull().default(sql`'{}'::bigint[]`),
    recipientEmails: text('recipient_emails').array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean('enabled').notNull().default(true),
    /** Whose rights the run uses; null once that user was deleted (the run then fails, saying so). */
    ownerId: ref('owner_id').references(() => users.id, { onDelete: 'set null' }),
    /** Null when disabled. */
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    lastStatus: text('last_status').$type<ReportDeliveryStatus>(),
    lastError: text('last_error'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('report_schedules_due_idx').on(t.nextRunAt).where(sql`${t.enabled}`),
    index('report_schedules_template_idx').on(t.templateId),
    index('report_schedules_tenant_path_gist').using('gist', t.tenantPath),
    check('report_schedules_format_check', sql`${t.format} in ('csv', 'xlsx', 'pdf')`),
  ],
);

/** 推送记录: one run of a schedule (by the clock or run-now), what it produced and what failed. */
export const reportDeliveries = pgTable(
  'report_deliveries',
  {
    id: id(),
    ...tenantColumns(),
    scheduleId: ref('schedule_id')
      .notNull()
      .references(() => reportSchedules.id, { onDelete: 'cascade' }),
    trigger: text('trigger').$type<'schedule' | 'manual'>().notNull(),
    /** The cron time this run stands for (null for run-now). */
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    status: text('status').$type<ReportDeliveryStatus>().notNull().default('running'),
    format: text('format').$type<ReportScheduleFormat>().notNull(),
    rows: integer('rows'),
    bytes: bigint('bytes', { mode: 'number' }),
    /** The export under the data directory (relative), kept for the notifications' downloads. */
    file: text('file'),
    fileName: text('file_name'),
    notified: integer('notified').notNull().default(0),
    emailed: integer('emailed').notNull().default(0),
    error: text('error'),
  },
  (t) => [
    index('report_deliveries_schedule_idx').on(t.scheduleId, t.id),
    index('report_deliveries_tenant_path_gist').using('gist', t.tenantPath),
    check('report_deliveries_status_check', sql`${t.status} in ('running', 'succeeded', 'partial', 'failed')`),
  ],
);

/** What a notification links to: a delivered report file (downloaded through the notification). */
export interface NotificationAttachment {
  deliveryId: number;
  fileName: string;
  mediaType: string;
  bytes: number;
}

/** 站内消息: one message to one user (in the user's tenant), unread until the user marks it read. */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    ...tenantColumns(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: jsonb('title').$type<ReportLabel>().notNull(),
    body: jsonb('body').$type<ReportLabel>().notNull(),
    link: text('link'),
    attachment: jsonb('attachment').$type<NotificationAttachment>(),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.readAt, t.id), index('notifications_tenant_path_gist').using('gist', t.tenantPath)],
);

// ─── Report exports (报表导出任务): long exports run as background jobs with progress ───

/** Where an export job is: waiting for a runner slot, writing, or ended (the file is there only on success). */
export type ReportExportStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Why an export job failed or was cancelled (`code` is stable; `message` is for people). */
export interface ReportExportError {
  code: string;
  message: string;
}

/**
 * 导出任务: one export a user asked for in the background (`POST /api/reports/exports`). The request is the
 * run request of the synchronous export, checked when the job is made; the runtime writes the file under
 * the data directory (`exports/<tenant>/<id>.<ext>`, relative in `file`), counting `rows_written` as it
 * goes, and removes it at `expires_at`. Only the requester (and the tenant's report administrators) see it.
 */
export const reportExports = pgTable(
  'report_exports',
  {
    id: id(),
    ...tenantColumns(),
    requestedBy: ref('requested_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    request: jsonb('request').$type<Record<string, unknown>>().notNull(),
    format: text('format').$type<ReportScheduleFormat>().notNull(),
    status: text('status').$type<ReportExportStatus>().notNull().default('queued'),
    rowsWritten: bigint('rows_written', { mode: 'number' }).notNull().default(0),
    /** Null while (or when) the total is unknown. */
    rowsTotal: bigint('rows_total', { mode: 'number' }),
    /** The file under the data directory (relative); null until it is complete and again once expired. */
    file: text('file'),
    fileName: text('file_name'),
    fileSize: bigint('file_size', { mode: 'number' }),
    mediaType: text('media_type'),
    error: jsonb('error').$type<ReportExportError>(),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** The runtime process holding a queued or running job, and when it last said so (a crash stops both). */
    runner: text('runner'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
  },
  (t) => [
    index('report_exports_requester_idx').on(t.requestedBy, t.id),
    index('report_exports_active_idx').on(t.status).where(sql`${t.status} in ('queued', 'running')`),
    index('report_exports_expires_idx').on(t.expiresAt).where(sql`${t.file} is not null`),
    index('report_exports_tenant_path_gist').using('gist', t.tenantPath),
    check('report_exports_format_check', sql`${t.format} in ('csv', 'xlsx', 'pdf')`),
    check('report_exports_status_check', sql`${t.status} in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
  ],
);

// ─── Designer artifacts (设计器制品) and entity records (实体数据) ───

/** What the designer makes: BPMN processes, form-js task forms, pages and dashboards, report templates, entity models. */
export type DesignArtifactKind = 'process' | 'form' | 'page' | 'report' | 'entity';

/**
 * 制品: one thing a consultant designs in a tenant, with its draft (autosaved, optimistic `draft_revision`)
 * and the published version that is active. Publishing applies the content to the runtime (a deployment,
 * a task form, a report template version, an app page, an entity model) and appends an immutable row to
 * `design_artifact_versions`; rolling back publishes an older version's content again as a new version.
 */
export const designArtifacts = pgTable(
  'design_artifacts',
  {
    id: id(),
    ...tenantColumns(),
    kind: text('kind').$type<DesignArtifactKind>().notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    draft: jsonb('draft').$type<Record<string, unknown>>().notNull(),
    draftRevision: integer('draft_revision').notNull().default(1),
    draftSavedAt: timestamp('draft_saved_at', { withTimezone: true }).notNull().defaultNow(),
    draftSavedBy: ref('draft_saved_by'),
    /** Checksum of the draft, to tell whether it differs from the active version without loading either. */
    draftChecksum: text('draft_checksum').notNull(),
    publishedVersion: integer('published_version'),
    publishedChecksum: text('published_checksum'),
    /** The domain pack that installed the artifact (null: the tenant's own), and the pack version. */
    packId: text('pack_id'),
    packVersion: text('pack_version'),
    /** Checksum of the content the pack last published: a different published or draft checksum is the tenant's edit. */
    packChecksum: text('pack_checksum'),
    /** A newer pack version's content, offered beside the tenant's edit (shown as a diff), and that version. */
    packOffer: jsonb('pack_offer').$type<Record<string, unknown>>(),
    packOfferVersion: text('pack_offer_version'),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('design_artifacts_tenant_kind_code_key').on(t.tenantId, t.kind, t.code),
    index('design_artifacts_tenant_path_gist').using('gist', t.tenantPath),
    check('design_artifacts_kind_check', sql`${t.kind} in ('process', 'form', 'page', 'report', 'entity')`),
  ],
);

/** 发布版本: what was published, never changed afterwards. */
export const designArtifactVersions = pgTable(
  'design_artifact_versions',
  {
    id: id(),
    ...tenantColumns(),
    artifactId: ref('artifact_id')
      .notNull()
      .references(() => designArtifacts.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    checksum: text('checksum').notNull(),
    note: text('note'),
    /** What publishing produced in the runtime (deployed definition ids, the report template version …). */
    applied: jsonb('applied').$type<Record<string, unknown>>().notNull().default({}),
    publishedBy: ref('published_by'),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('design_artifact_versions_artifact_version_key').on(t.artifactId, t.version),
    index('design_artifact_versions_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

/**
 * 实体数据: one record of a tenant's entity model (an artifact of kind `entity`), its fields in `data`
 * checked against the active model on every write; `revision` guards concurrent edits.
 */
export const entityRecords = pgTable(
  'entity_records',
  {
    id: id(),
    ...tenantColumns(),
    entity: text('entity').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    revision: integer('revision').notNull().default(1),
    createdBy: ref('created_by'),
    createdAt: createdAt(),
    updatedBy: ref('updated_by'),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('entity_records_tenant_entity_idx').on(t.tenantId, t.entity, t.id),
    index('entity_records_data_gin').using('gin', t.data),
    index('entity_records_tenant_path_gist').using('gist', t.tenantPath),
  ],
);

// ─── Domain packs (领域包): which pack is installed in which tenant ───

export type PackInstallationStatus = 'installed' | 'disabled';

/**
 * 领域包安装: one pack in one tenant, at one version. Its artifacts (entity models, forms, processes,
 * reports, pages) are design artifacts marked with the pack id; a disabled pack keeps them but its pages
 * leave the app shell's menu.
 */
export const packInstallations = pgTable(
  'pack_installations',
  {
    id: id(),
    ...tenantColumns(),
    packId: text('pack_id').notNull(),
    version: text('version').notNull(),
    status: text('status').$type<PackInstallationStatus>().notNull().default('installed'),
    installedBy: ref('installed_by'),
    installedAt: timestamp('installed_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('pack_installations_tenant_pack_key').on(t.tenantId, t.packId),
    index('pack_installations_tenant_path_gist').using('gist', t.tenantPath),
    check('pack_installations_status_check', sql`${t.status} in ('installed', 'disabled')`),
  ],
);

/**
 * The schema migrations of domain packs applied to this database (`pack_<id>` schemas): one row per
 * migration, its checksum guarding against a released migration being edited. The owner role alone
 * writes it, inside the transaction that runs the migration.
 */
export const packMigrations = pgTable(
  'pack_migrations',
  {
    packId: text('pack_id').notNull(),
    store: text('store').$type<'postgres' | 'analytics'>().notNull(),
    migrationId: text('migration_id').notNull(),
    checksum: text('checksum').notNull(),
    packVersion: text('pack_version').notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.packId, t.store, t.migrationId] }), check('pack_migrations_store_check', sql`${t.store} in ('postgres', 'analytics')`)],
);

/**
 * Events packs emit (`metering.period-closed`), written in the emitter's transaction (an outbox): a
 * consumer sees an event only once its emitter committed, and each consumer takes each event once.
 */
export const packEvents = pgTable(
  'pack_events',
  {
    id: id(),
    ...tenantColumns(),
    packId: text('pack_id').notNull(),
    name: text('name').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    emittedBy: ref('emitted_by'),
    emittedAt: timestamp('emitted_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('pack_events_tenant_name_idx').on(t.tenantId, t.name, t.id), index('pack_events_tenant_path_gist').using('gist', t.tenantPath)],
);

/** Which consumer pack has handled which event (or failed on it, with the error and when to try again). */
export const packEventDeliveries = pgTable(
  'pack_event_deliveries',
  {
    eventId: ref('event_id')
      .notNull()
      .references(() => packEvents.id, { onDelete: 'cascade' }),
    ...tenantColumns(),
    consumer: text('consumer').notNull(),
    status: text('status').$type<'done' | 'failed'>().notNull(),
    attempts: integer('attempts').notNull().default(1),
    error: text('error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.consumer] }), check('pack_event_deliveries_status_check', sql`${t.status} in ('done', 'failed')`)],
);
