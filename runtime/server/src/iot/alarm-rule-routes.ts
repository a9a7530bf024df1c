import { alarmRules, tenants } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { ruleConfig, severities } from '@shuiyun/iot';
import { z } from 'zod';
import { tenantCrudRoutes } from '../directory/tenant-crud.js';
import type { RuntimeRoute } from '../http/route.js';
import type { AlarmBook } from './alarm-book.js';

export type AlarmRuleRow = typeof alarmRules.$inferSelect;

/** At most 80 characters, so `tenant:<tenantId>:<ruleId>` stays within the engine's 100. */
const ruleId = z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/, 'letters, digits and _ . : - only, at most 80');
const kind = z.string().regex(/^[a-z_]{1,40}$/);
const params = z.record(z.string(), z.unknown());
const severity = z.enum(severities);
const productCode = z.string().trim().min(1).max(100);

const view = z.object({
  id: z.number(),
  tenantId: z.number(),
  tenantPath: z.string(),
  ruleId: z.string(),
  kind: z.string(),
  params: z.record(z.string(), z.unknown()),
  severity: severity.nullable(),
  productCode: z.string().nullable(),
  enabled: z.boolean(),
  createdBy: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const create = z.strictObject({
  tenantId: z.number().int().positive().optional(),
  ruleId,
  kind,
  params: params.default({}),
  severity: severity.nullable().optional(),
  productCode: productCode.nullable().optional(),
  enabled: z.boolean().default(true),
});

/** The rule id never changes: it is part of the dedup key of every alarm the rule raised. */
const update = z.strictObject({
  kind: kind.optional(),
  params: params.optional(),
  severity: severity.nullable().optional(),
  productCode: productCode.nullable().optional(),
  enabled: z.boolean().optional(),
});

type RuleFields = Pick<AlarmRuleRow, 'ruleId' | 'kind' | 'params' | 'severity' | 'productCode'>;

/** Where a `ruleConfig` issue points, in the API's body. */
const bodyField: Record<string, string> = { id: 'ruleId', scope: 'productCode' };

/** The rule as the engine takes it (unscoped, un-namespaced): validates kind and parameters. */
export function ruleConfigOf(rule: RuleFields) {
  return {
    id: rule.ruleId,
    kind: rule.kind,
    params: rule.params,
    ...(rule.severity ? { severity: rule.severity } : {}),
    scope: rule.productCode ? { productKey: rule.productCode } : {},
  };
}

/** Checks a rule with @shuiyun/iot's `ruleConfig`; a fault → 400 naming the field under `at` (the API's body, or a pack manifest's rule). */
export function validateAlarmRule(rule: RuleFields, at = 'body'): void {
  const result = ruleConfig.safeParse(ruleConfigOf(rule));
  if (result.success) return;
  throw new AppError('validation_failed', {
    details: result.error.issues.map((issue) => {
      const [head, ...rest] = issue.path.map(String);
      return { path: [at, bodyField[head ?? ''] ?? head, ...rest].filter(Boolean).join('.'), code: issue.code, message: issue.message };
    }),
  });
}
const validate = (rule: RuleFields) => validateAlarmRule(rule);

/**
 * 告警规则: CRUD for a tenant's own alarm rules. Each one watches its tenant's subtree on top of the
 * platform defaults; the alarm book picks up every committed change at once.
 */
export function alarmRuleRoutes(book: AlarmBook | undefined): RuntimeRoute[] {
  const crud = tenantCrudRoutes({
    resource: 'alarm-rule',
    path: '/api/alarm-rules',
    tags: ['Alarms 告警'],
    noun: 'alarm rule (告警规则)',
    table: alarmRules,
    create,
    update,
    view,
    search: [alarmRules.ruleId, alarmRules.kind],
    idFilters: { tenantId: { column: alarmRules.tenantId, table: tenants } },
    orderBy: [alarmRules.tenantPath, alarmRules.ruleId, alarmRules.id],
    prepareCreate: async (_tx, body) => {
      const values = { ruleId: body.ruleId, kind: body.kind, params: body.params, severity: body.severity ?? null, productCode: body.productCode ?? null };
      validate(values);
      return { ...values, enabled: body.enabled };
    },
    prepareUpdate: async (_tx, body, current) => {
      validate({ ...current, ...body });
      return body;
    },
  });
  // The handlers commit before they return: reload the engine after, so it reads the committed rules.
  return crud.map((r) =>
    r.method === 'get'
      ? r
      : {
          ...r,
          handler: async (input, ctx, req, res) => {
            const result: unknown = await r.handler(input, ctx, req, res);
            await book?.reloadRules();
            return result;
          },
        },
  );
}
