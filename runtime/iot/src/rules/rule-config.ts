import { z } from 'zod';
import { severity } from './alarm-signal.js';
import { continuousFlowParams } from './kinds/continuous-flow.js';
import { lowBatteryParams } from './kinds/low-battery.js';
import { offlineParams } from './kinds/offline.js';
import { reverseFlowParams } from './kinds/reverse-flow.js';
import { tamperParams } from './kinds/tamper.js';
import { thresholdParams } from './kinds/threshold.js';
import { valveFaultParams } from './kinds/valve-fault.js';
import { zeroConsumptionParams } from './kinds/zero-consumption.js';

/** Which devices a rule watches: a tenant subtree and/or one product; absent means every device. */
export const ruleScope = z.object({
  /** ltree-style tenant path; the rule covers this tenant and every tenant below it. */
  tenantPath: z.string().regex(/^\d+(\.\d+)*$/, 'expected an ltree-style path such as 1.2.3').optional(),
  /** Product key of the device registry. */
  productKey: z.string().min(1).optional(),
});
export type RuleScope = z.output<typeof ruleScope>;

const common = {
  /** Stable id: it is part of every alarm's dedup key and of the persisted state, so never reuse one. */
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits and _ . : - only, at most 100'),
  scope: ruleScope.prefault({}),
  /** Overrides the kind's default severity. */
  severity: severity.optional(),
};

/** One configured rule, as a tenant's consultant saves it; each kind has its own parameters. */
export const ruleConfig = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('threshold'), params: thresholdParams }),
  z.object({ ...common, kind: z.literal('offline'), params: offlineParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('reverse_flow'), params: reverseFlowParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('continuous_flow'), params: continuousFlowParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('zero_consumption'), params: zeroConsumptionParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('low_battery'), params: lowBatteryParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('valve_fault'), params: valveFaultParams.prefault({}) }),
  z.object({ ...common, kind: z.literal('tamper'), params: tamperParams.prefault({}) }),
]);
export type RuleConfigInput = z.input<typeof ruleConfig>;
export type RuleConfig = z.output<typeof ruleConfig>;
export type RuleKindId = RuleConfig['kind'];

export const ruleSet = z.array(ruleConfig).superRefine((rules, context) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.id)) context.addIssue({ code: 'custom', message: `rule id "${rule.id}" is used twice`, path: [index, 'id'] });
    seen.add(rule.id);
  });
});

/** A rule set that does not validate; `issues` name the path and problem of each fault. */
export class RuleConfigError extends Error {
  readonly code = 'invalid_rule_config';
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(`invalid rule configuration: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'RuleConfigError';
  }
}

export function parseRuleSet(input: unknown): RuleConfig[] {
  const result = ruleSet.safeParse(input);
  if (!result.success) throw new RuleConfigError(result.error.issues);
  return result.data;
}

export function scopeCovers(scope: RuleScope, device: { tenantPath: string; productKey?: string | undefined }): boolean {
  if (scope.productKey !== undefined && scope.productKey !== device.productKey) return false;
  if (scope.tenantPath === undefined) return true;
  return device.tenantPath === scope.tenantPath || device.tenantPath.startsWith(`${scope.tenantPath}.`);
}
