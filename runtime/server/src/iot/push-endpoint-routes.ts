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

/** An endpoint as it leaves the server: token and AES key stay behind, only whether they are set. */
export function presentPushEndpoint(row: PushEndpointRow) {
  const { token, aesKey, ...rest } = row;
  return { ...rest, hasToken: token !== null, hasAesKey: aesKey !== null, pushPath: pushPath(row) };
}

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
    enabled: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
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
    secretsChangedAt: body.token !== undefined || body.aesKey !== undefined ? new Date() : null,
    enabled: body.enabled,
  }),
  prepareUpdate: async (_tx, body, current) => {
    const { regenerateCode, ...values } = body;
    if (current.platform === 'onenet' && body.token === null) throw invalid('token', 'OneNET signs every push with the token: it cannot be removed');
    if (current.platform === 'ctwing' && body.aesKey) throw invalid('aesKey', 'CTWing pushes are not encrypted: no AES key');
    const secretsChanged =
      (body.token !== undefined && body.token !== current.token) || (body.aesKey !== undefined && body.aesKey !== current.aesKey);
    return {
      ...values,
      ...(regenerateCode ? { code: newPushCode() } : {}),
      ...(secretsChanged ? { secretsChangedAt: new Date() } : {}),
    };
  },
  present: presentPushEndpoint,
});

const summaries: Record<string, string> = {
  'post /api/push-endpoints':
    'Create an NB-IoT push endpoint (推送地址) for CTWing/AEP or OneNET; the server makes the URL code (32 random characters). ' +
    'OneNET signs each push with the token (required). CTWing signs nothing: its pushes are authenticated by the unguessable code in ' +
    'the URL, plus the `token` header when a token is set. Token and AES key are write-only.',
  'patch /api/push-endpoints/:id':
    'Change a push endpoint: name, enabled, token or AES key (write-only), or `regenerateCode: true` for a new URL code (the old URL stops at once)',
};

/** 推送地址: CRUD for the endpoints NB-IoT platforms push to; secrets are write-only. */
export const pushEndpointRoutes: RuntimeRoute[] = crud.map((r) => {
  const summary = summaries[`${r.method} ${r.path}`];
  return summary ? { ...r, summary } : r;
});
