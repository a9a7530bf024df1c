/**
 * 计费批次 (billing runs): one per tenant, metering period and scope (`pack_billing.runs`, unique). A run is
 * created and its `billing_run` process started by the `metering.period-closed` event, or by hand
 * (`POST /runs`); `startRun` does both in the caller's transaction and is safe to call again: a running
 * or done run is answered as it is (so a redelivered event or a second request starts nothing), a failed
 * one is restarted where it stopped, and a done one that left accounts unpriced starts over (accounts
 * billed already are skipped by the bills' unique key).
 */
import type { PackServices, PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { iso, PERIOD_PATTERN, text, toDate } from '../shared.js';

export const RUN_PROCESS = 'billing_run';
export const RUN_JOB = 'billing.run-period';
export const RUN_FINISHED = 'billing.run-finished';
export const PERIOD_CLOSED = 'metering.period-closed';
export const TENANT_SCOPE = '*';

/** The payload of metering's `metering.period-closed` (as metering declares it). */
export const periodClosedPayload = z.object({
  tenantId: z.number().int().positive(),
  period: z.string().regex(PERIOD_PATTERN),
  scope: z.string().min(1),
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  meters: z.number().int().nonnegative(),
  totalVolumeL: z.string().regex(/^-?[0-9]+$/),
});

/** The payload of `billing.run-finished`. */
export const runFinishedPayload = z.object({
  tenantId: z.number().int().positive(),
  runId: z.number().int().positive(),
  period: z.string().regex(PERIOD_PATTERN),
  scope: z.string().min(1),
  bills: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  amountFen: z.string().regex(/^[0-9]+$/),
});
export type RunFinished = z.infer<typeof runFinishedPayload>;

export interface RunRow {
  id: string;
  period: string;
  scope: string;
  starts_at: Date | string;
  ends_at: Date | string;
  status: 'pending' | 'running' | 'done' | 'failed';
  total: number | null;
  done: number;
  bills: number;
  skipped: number;
  failed: number;
  failures: unknown;
  amount_fen: string;
  cursor_account_id: string;
  heartbeat_at: Date | string | null;
  staged_at: Date | string | null;
  instance: string | null;
  error: string | null;
  requested_by: string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  created_at: Date | string;
}

export const RUN_COLUMNS = `id, period, scope, starts_at, ends_at, status, total, done, bills, skipped, failed, failures, amount_fen, cursor_account_id,
  heartbeat_at, staged_at, instance, error, requested_by, started_at, finished_at, created_at`;

const json = (value: unknown): unknown => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value);

/** A run as the API answers it. */
export function presentRun(row: RunRow) {
  return {
    id: Number(row.id),
    period: row.period,
    scope: row.scope,
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    status: row.status,
    progress: { done: row.done, total: row.total },
    bills: row.bills,
    skipped: row.skipped,
    failed: row.failed,
    failures: json(row.failures),
    amountFen: text(row.amount_fen),
    instance: row.instance,
    error: row.error,
    requestedBy: row.requested_by === null ? null : Number(row.requested_by),
    heartbeatAt: iso(row.heartbeat_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    createdAt: iso(row.created_at),
  };
}

export interface StartRunInput {
  period: string;
  scope: string;
  startsAt: Date | string;
  endsAt: Date | string;
  requestedBy: number | null;
}

/**
 * Finds or creates the run of (period, scope), locked, and starts its process unless it is running or done
 * (see the module comment). Answers the run and whether a process was started.
 */
export async function startRun(tx: PackTx, services: PackServices, input: StartRunInput): Promise<{ row: RunRow; started: boolean }> {
  const tenant = services.tenant;
  await tx.query(
    `insert into pack_billing.runs (tenant_id, tenant_path, period, scope, starts_at, ends_at, requested_by)
     values ($1, $2::ltree, $3, $4, $5::timestamptz, $6::timestamptz, $7::bigint)
     on conflict (tenant_id, period, scope) do nothing`,
    [tenant.id, tenant.path, input.period, input.scope, toDate(input.startsAt), toDate(input.endsAt), input.requestedBy],
  );
  const [row] = await tx.query<RunRow>(`select ${RUN_COLUMNS} from pack_billing.runs where tenant_id = $1 and period = $2 and scope = $3 for update`, [tenant.id, input.period, input.scope]);
  if (!row) throw new Error(`the billing run of ${input.period} (${input.scope}) was not created`);
  if (row.status === 'running' && row.error === null) return { row, started: false };
  if (row.status === 'done' && row.failed === 0) return { row, started: false };
  const instance = await tx.startProcess(RUN_PROCESS, { variables: { runId: row.id, period: row.period, scope: row.scope }, businessKey: `${row.period}/${row.scope}` });
  // A done run with unpriced accounts starts over from the first account (those billed are skipped);
  // a failed or new one continues from its cursor.
  const over = row.status === 'done';
  const [started] = await tx.query<RunRow>(
    `update pack_billing.runs set status = 'running', instance = $2, error = null, finished_at = null,
            started_at = coalesce(started_at, now()), requested_by = coalesce($3::bigint, requested_by),
            cursor_account_id = case when $4::boolean then 0 else cursor_account_id end,
            done = case when $4::boolean then 0 else done end,
            total = case when $4::boolean then null else total end,
            skipped = case when $4::boolean then 0 else skipped end,
            failed = case when $4::boolean then 0 else failed end,
            failures = case when $4::boolean then '[]'::jsonb else failures end
      where id = $1::bigint returning ${RUN_COLUMNS}`,
    [row.id, instance, input.requestedBy, over],
  );
  return { row: started!, started: true };
}

/** `metering.period-closed`: the run of the closed period and scope, created and started once. */
export async function onPeriodClosed(payload: unknown, services: PackServices): Promise<void> {
  const event = periodClosedPayload.parse(payload);
  if (event.tenantId !== services.tenant.id) return; // an event of another tenant is not this tenant's to bill
  await services.transaction((tx) => startRun(tx, services, { period: event.period, scope: event.scope, startsAt: event.startsAt, endsAt: event.endsAt, requestedBy: null }));
}
