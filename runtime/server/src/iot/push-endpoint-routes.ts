import { randomBytes } from 'node:crypto';
import { type PushPlatform, pushEndpoints, tenants } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { z } from 'zod';
import { tenantCrudRoutes } from '../directory/tenant-crud.js';
import type { RuntimeRoute } from '../http/route.js';

export type PushEndpointRow = typeof pushEndpoints.$inferSelect;

export const pushPlatforms = ['ctwing', 'onenet'] as const satisfies readonly PushPlatform[];

/**
 * The code in an endpoint's URL: 24 random bytes as base64url (32 characters, 192 bits). CTWing signs
 * nothing, so for a CTWing endpoint without a token this code is the whole credential: it is made by
 * the server, never chosen by a person.
 */
export function newPushCode(): string {
  return randomBytes(24).toString('base64url');
}

/** The path the platform is configured to call. */
export const pushPath = (row: Pick<PushEndpointRow, 'platform' | 'code'>) => `/api/push/${row.platform}/${row.code}`;

/** An endpoint as it leaves the server: token, AES key and API secrets stay behind, only whether they are set. */
export function presentPushEndpoint(row: PushEndpointRow) {
  const { token, aesKey, apiAppKey, apiProductId, apiSecret, apiMasterKey, apiCommandResource, ...rest } = row;
  const configured = [apiAppKey, apiProductId, apiSecret, apiMasterKey, apiCommandResource].some((v) => v !== null);
  return {
    ...rest,
    hasToken: token !== null,
    hasAesKey: aesKey !== null,
    platformApi: configured
      ? { appKey: apiAppKey, productId: apiProductId, commandResource: apiCommandResource, hasSecret: apiSecret !== null, hasMasterKey: apiMasterKey !== null }
      : null,
    pushPath: pushPath(row),
  };
}

/**
 * The platform's command API, so commands reach the endpoint's devices (see PlatformCommands). CTWing: the
 * AEP application's App Key and App Secret and the product's MasterKey (the product id comes with every push
 * and may be given as a fallback); OneNET: the product id, its access key, and the LwM2M resource the NB-IoT
 * devices execute commands on. Secrets are write-only; an update may leave out the ones already set.
 */
const platformApi = z.strictObject({
  appKey: z.string().trim().min(1).max(128).optional(),
  appSecret: z.string().min(1).max(256).optional(),
  masterKey: z.string().min(1).max(256).optional(),
  accessKey: z
    .string()
    .regex(/^[A-Za-z0-9+/]{16,128}={0,2}$/, 'the product’s access key as OneNET shows it (Base64)')
    .optional(),
  productId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'the platform’s product id').optional(),
  commandResource: z.string().regex(/^\d{1,5}\/\d{1,5}\/\d{1,5}$/, 'an LwM2M resource as object/instance/resource, e.g. 3200/0/5750').optional(),
});
type PlatformApiInput = z.output<typeof platformApi>;

/** The columns a complete platform API setting fills; a list of what is missing or does not belong otherwise. */
function platformApiColumns(platform: PushPlatform, api: PlatformApiInput): { columns: Partial<PushEndpointRow> } | { problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const need = (field: keyof PlatformApiInput, what: string) => api[field] === undefined && problems.push({ field, message: `${what} is required for ${platform === 'ctwing' ? 'CTWing' : 'OneNET'} commands` });
  const forbid = (field: keyof PlatformApiInput) => api[field] !== undefined && problems.push({ field, message: `${platform === 'ctwing' ? 'CTWing' : 'OneNET'} takes no ${field}` });
  if (platform === 'ctwing') {
    need('appKey', 'the application’s App Key');
    need('appSecret', 'the application’s App Secret');
    need('masterKey', 'the product’s MasterKey');
    forbid('accessKey');
    forbid('commandResource');
  } else {
    need('productId', 'the product id');
    need('accessKey', 'the product’s access key');
    need('commandResource', 'the LwM2M resource commands execute on');
    forbid('appKey');
    forbid('appSecret');
    forbid('masterKey');
  }
  if (problems.length > 0) return { problems };
  return {
    columns: {
      apiAppKey: api.appKey ?? null,
      apiProductId: api.productId ?? null,
      apiSecret: (platform === 'ctwing' ? api.appSecret : api.accessKey) ?? null,
      apiMasterKey: api.masterKey ?? null,
      apiCommandResource: api.commandResource ?? null,
    },
  };
}

const noPlatformApi = { apiAppKey: null, apiProductId: null, apiSecret: null, apiMasterKey: null, apiCommandResource: null } satisfies Partial<PushEndpointRow>;

const name = z.string().trim().min(1).max(100);
/** Printable ASCII without spaces: OneNET takes 3–32 letters and digits, a CTWing header value more. */
const token = z.string().regex(/^[\x21-\x7e]{3,128}$/, '3–128 printable ASCII characters, no spaces');
/** OneNET's EncodingAESKey: Base64 (padding optional) of a 16- or 32-byte key. */
const aesKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{22,44}={0,2}$/, 'Base64 of a 16- or 32-byte key')
  .refine((v) => {
    const bare = v.replace(/=+$/, '');
    const bytes = Buffer.from(bare + '='.repeat((4 - (bare.length % 4)) % 4), 'base64').length;
    return bytes === 16 || bytes === 32;
  }, 'Base64 of a 16- or 32-byte key');

const invalid = (field: string, message: string) => new AppError('validation_failed', { details: [{ path: `body.${field}`, code: 'custom', message }] });

const view = z.object({
  id: z.number(),
  tenantId: z.number(),
  tenantPath: z.string(),
  platform: z.enum(pushPlatforms),
  code: z.string().describe('the last segment of the push URL; 32 random characters made by the server'),
  name: z.string(),
  enabled: z.boolean(),
  hasToken: z.boolean().describe('the token itself is write-only'),
  hasAesKey: z.boolean().describe('the AES key itself is write-only'),
  platformApi: z
    .object({
      appKey: z.string().nullable().describe('CTWing: the AEP application’s App Key'),
      productId: z.string().nullable(),
      commandResource: z.string().nullable().describe('OneNET: the LwM2M resource NB-IoT commands execute on'),
      hasSecret: z.boolean().describe('CTWing App Secret or OneNET access key; write-only'),
      hasMasterKey: z.boolean().describe('CTWing MasterKey; write-only'),
    })
    .nullable()
    .describe('the platform’s command API, for commands to the endpoint’s devices; null when the endpoint only receives'),
  secretsChangedAt: z.string().nullable(),
  pushPath: z.string().describe('the path to configure on the platform, e.g. /api/push/onenet/<code>'),
  createdBy: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const create = z
  .strictObject({
    tenantId: z.number().int().positive().optional(),
    platform: z.enum(pushPlatforms),
    name,
    token: token.optional(),
    aesKey: aesKey.optional(),
    platformApi: platformApi.optional(),
    enabled: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
    if (body.platformApi) {
      const api = platformApiColumns(body.platform, body.platformApi);
      if ('problems' in api) for (const p of api.problems) ctx.addIssue({ code: 'custom', path: ['platformApi', p.field], message: p.message });
    }
    if (body.platform === 'onenet' && body.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'OneNET signs every push with the token: it is required' });
    }
    if (body.platform === 'ctwing' && body.aesKey !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['aesKey'], message: 'CTWing pushes are not encrypted: no AES key' });
    }
  });

const update = z.strictObject({
  name: name.optional(),
  /** null clears the CTWing header token; a OneNET endpoint always keeps one. */
  token: token.nullable().optional(),
  aesKey: aesKey.nullable().optional(),
  /** null removes the command API; given fields replace, left-out secrets stay. */
  platformApi: platformApi.nullable().optional(),
  enabled: z.boolean().optional(),
  /** Issues a new URL code (the old URL stops working at once), e.g. after the code leaked. */
  regenerateCode: z.literal(true).optional(),
});

const crud = tenantCrudRoutes({
  resource: 'push-endpoint',
  path: '/api/push-endpoints',
  tags: ['Devices 设备'],
  noun: 'NB-IoT push endpoint (推送地址)',
  table: pushEndpoints,
  create,
  update,
  view,
  search: [pushEndpoints.name, pushEndpoints.code],
  idFilters: { tenantId: { column: pushEndpoints.tenantId, table: tenants } },
  orderBy: [pushEndpoints.tenantPath, pushEndpoints.name, pushEndpoints.id],
  prepareCreate: async (_tx, body) => ({
    platform: body.platform,
    name: body.name,
    code: newPushCode(),
    token: body.token ?? null,
    aesKey: body.aesKey ?? null,
    ...(body.platformApi ? (platformApiColumns(body.platform, body.platformApi) as { columns: Partial<PushEndpointRow> }).columns : noPlatformApi),
    secretsChangedAt: body.token !== undefined || body.aesKey !== undefined || body.platformApi !== undefined ? new Date() : null,
    enabled: body.enabled,
  }),
  prepareUpdate: async (_tx, body, current) => {
    const { regenerateCode, platformApi: apiChange, ...values } = body;
    if (current.platform === 'onenet' && body.token === null) throw invalid('token', 'OneNET signs every push with the token: it cannot be removed');
    if (current.platform === 'ctwing' && body.aesKey) throw invalid('aesKey', 'CTWing pushes are not encrypted: no AES key');
    const api = apiChange === undefined ? {} : apiChange === null ? noPlatformApi : mergedPlatformApi(current, apiChange);
    const secretsChanged =
      (body.token !== undefined && body.token !== current.token) ||
      (body.aesKey !== undefined && body.aesKey !== current.aesKey) ||
      ('apiSecret' in api && api.apiSecret !== current.apiSecret) ||
      ('apiMasterKey' in api && api.apiMasterKey !== current.apiMasterKey);
    return {
      ...values,
      ...api,
      ...(regenerateCode ? { code: newPushCode() } : {}),
      ...(secretsChanged ? { secretsChangedAt: new Date() } : {}),
    };
  },
  present: presentPushEndpoint,
});

/** The endpoint's command API after a change: the given fields over the current ones, then checked whole. */
function mergedPlatformApi(current: PushEndpointRow, change: PlatformApiInput): Partial<PushEndpointRow> {
  const currentSecret = current.apiSecret ?? undefined;
  const merged: PlatformApiInput = {
    appKey: current.apiAppKey ?? undefined,
    productId: current.apiProductId ?? undefined,
    masterKey: current.apiMasterKey ?? undefined,
    commandResource: current.apiCommandResource ?? undefined,
    ...(current.platform === 'ctwing' ? { appSecret: currentSecret } : { accessKey: currentSecret }),
  };
  for (const [field, value] of Object.entries(change)) if (value !== undefined) (merged as Record<string, unknown>)[field] = value;
  const api = platformApiColumns(current.platform, merged);
  if ('problems' in api) {
    throw new AppError('validation_failed', { details: api.problems.map((p) => ({ path: `body.platformApi.${p.field}`, code: 'custom', message: p.message })) });
  }
  return api.columns;
}

const summaries: Record<string, string> = {
  'post /api/push-endpoints':
    'Create an NB-IoT push endpoint (推送地址) for CTWing/AEP or OneNET; the server makes the URL code (32 random characters). ' +
    'OneNET signs each push with the token (required). CTWing signs nothing: its pushes are authenticated by the unguessable code in ' +
    'the URL, plus the `token` header when a token is set. Token and AES key are write-only. With `platformApi` (the platform’s ' +
    'command API credentials, secrets write-only) commands to the devices reporting through the endpoint go out through the platform.',
  'patch /api/push-endpoints/:id':
    'Change a push endpoint: name, enabled, token or AES key (write-only), or `regenerateCode: true` for a new URL code (the old URL stops at once)',
};

/** 推送地址: CRUD for the endpoints NB-IoT platforms push to; secrets are write-only. */
export const pushEndpointRoutes: RuntimeRoute[] = crud.map((r) => {
  const summary = summaries[`${r.method} ${r.path}`];
  return summary ? { ...r, summary } : r;
});
