/**
 * The arrears part's settings, read from the tenant's row of `pack_billing.settings` (the accounts part owns
 * the row and its routes): the late-fee rule (`late_fee`), the dunning schedule (`dunning`) and valve control
 * (`valve`, whose shape this module defines). Read leniently: a missing row or a part that does not parse
 * falls back to the defaults, so a tenant that configured nothing still gets sensible behaviour.
 *
 * `valve` (欠费关阀):
 *   enabled                  — may the dunning run open valve cases by itself (a case by hand is always possible)
 *   afterDays                — days the oldest unpaid charge must be overdue before the dunning run opens a case
 *   minArrearsFen            — fen owed at least before the dunning run opens a case (decimal text on the wire)
 *   reopenOnPayment          — reopen by itself once the arrears are paid (else an approver confirms the reopening)
 *   graceDuration            — ISO 8601 duration between the notice and the re-check (宽限期), e.g. P3D, PT72H
 *   pollInterval             — how often the delivery of a valve command is looked at while it is on its way
 *   recheckInterval          — how often a closed case looks for paid arrears besides the payment's message
 *   commandExpiresInSeconds  — how long a valve command may wait for the meter (NB-IoT meters wake up daily)
 * Durations take weeks, days, hours, minutes and seconds only (no months or years: every one is an exact time).
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { DEFAULT_DUNNING, dunningSchedule, type DunningStep, lateFeeRule, type LateFeeRule } from '../domain/index.js';

const DURATION = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?$/;

/** Milliseconds of an ISO 8601 duration of weeks, days, hours, minutes and seconds; null when it is not one. */
export function durationMs(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return null;
  const [w, d, h, min, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number, number, number];
  return ((((w * 7 + d) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/** A duration in words, zh-CN and en: P3D → 3天 / 3 days, PT1H30M → 1小时30分钟 / 1 hour 30 minutes. */
export function durationWords(text: string): { 'zh-CN': string; en: string } {
  const ms = durationMs(text);
  if (ms === null) return { 'zh-CN': text, en: text };
  let rest = Math.round(ms / 1000);
  const parts: [number, string, string][] = [];
  for (const [size, zh, en] of [
    [86_400, '天', 'day'],
    [3_600, '小时', 'hour'],
    [60, '分钟', 'minute'],
    [1, '秒', 'second'],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push([n, zh, en]);
  }
  if (parts.length === 0) return { 'zh-CN': '0秒', en: '0 seconds' };
  return {
    'zh-CN': parts.map(([n, zh]) => `${n}${zh}`).join(''),
    en: parts.map(([n, , en]) => `${n} ${en}${n === 1 ? '' : 's'}`).join(' '),
  };
}

const duration = (what: string, minMs: number, maxMs: number) =>
  z
    .string()
    .refine((v) => {
      const ms = durationMs(v);
      return ms !== null && ms >= minMs && ms <= maxMs;
    }, `${what}: an ISO 8601 duration of weeks, days, hours, minutes, seconds (P3D, PT72H, PT30S) between ${minMs / 1000} s and ${maxMs / 86_400_000} days`);

const DAY = 86_400_000;

/** Fen as an integer or its digits, at least 0; kept as decimal text. */
const fenText = z
  .union([z.string().regex(/^[0-9]{1,18}$/, 'minArrearsFen: whole fen, as digits'), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => BigInt(v).toString());

/** `settings.valve`, checked. Unknown keys are dropped; every field has a default. */
export const valveSettings = z.object({
  enabled: z.boolean().default(false),
  afterDays: z.number().int().min(1, 'afterDays: 1..3650 days').max(3650, 'afterDays: 1..3650 days').default(90),
  minArrearsFen: fenText.default('10000'),
  reopenOnPayment: z.boolean().default(true),
  graceDuration: duration('graceDuration', 1000, 90 * DAY).default('P3D'),
  pollInterval: duration('pollInterval', 1000, DAY).default('PT1M'),
  recheckInterval: duration('recheckInterval', 1000, 30 * DAY).default('PT6H'),
  commandExpiresInSeconds: z.number().int().min(1, 'commandExpiresInSeconds: 1 s .. 30 days').max(30 * 86_400, 'commandExpiresInSeconds: 1 s .. 30 days').default(2 * 86_400),
});
export type ValveSettings = z.output<typeof valveSettings>;

export const DEFAULT_VALVE: ValveSettings = valveSettings.parse({});

export interface ArrearsSettings {
  lateFee: LateFeeRule;
  dunning: DunningStep[];
  valve: ValveSettings;
}

const json = (value: unknown): unknown => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);

/** The tenant's late-fee rule, dunning schedule and valve settings; defaults when the row or a part is missing or malformed. */
export async function loadArrearsSettings(tx: PackTx, tenant: PackTenant): Promise<ArrearsSettings> {
  const [row] = await tx.query<{ late_fee: unknown; dunning: unknown; valve: unknown }>(
    `select late_fee, dunning, valve from pack_billing.settings where tenant_id = $1`,
    [tenant.id],
  );
  if (!row) return { lateFee: lateFeeRule.parse({}), dunning: DEFAULT_DUNNING, valve: DEFAULT_VALVE };
  const lateFee = lateFeeRule.safeParse(json(row.late_fee) ?? {});
  const dunning = dunningSchedule.safeParse(json(row.dunning) ?? []);
  const valve = valveSettings.safeParse(json(row.valve) ?? {});
  return {
    lateFee: lateFee.success ? lateFee.data : lateFeeRule.parse({}),
    dunning: dunning.success ? dunning.data : DEFAULT_DUNNING,
    valve: valve.success ? valve.data : DEFAULT_VALVE,
  };
}
