/**
 * 催费: reminders to the accounts in arrears by the tenant's dunning schedule, up to a local day `asOf`.
 *
 * For each account whose oldest unpaid charge is past due, the schedule's steps due by `asOf` (the domain's
 * `dueSteps`) that were not noticed yet for that oldest charge are looked at: the highest one is sent through
 * `notify` on the step's channels, lower ones falling due with it (a missed run, a longer overdue) are recorded
 * as superseded and never sent. The unique key (account, step, oldest charge) of `dunning_notices` makes a
 * rerun, or two runs at once, send each step once; a newer oldest charge (the old one paid) starts over.
 *
 * With valve control enabled, the run also opens a valve case for each active account owing at least
 * `minArrearsFen` with its oldest charge `afterDays` overdue (and a meter that can take valve commands, and
 * no open case).
 *
 * Set-based in batches of accounts: one statement finds a batch's accounts with their arrears, one reads
 * what was noticed already, one inserts the notices, one queues the messages.
 */
import type { PackServices } from '@shuiyun/sdk';
import { daysBetween, dueSteps, formatYuan } from '../domain/index.js';
import { notifyMany, type NotifyMessage } from '../notify/notify.js';
import { l } from '../shared.js';
import { loadArrearsSettings } from './settings.js';
import { openValveCase } from './valve.js';

export interface DunningResult {
  asOf: string;
  /** Accounts in arrears looked at. */
  accounts: number;
  /** Notices sent (one per account and step). */
  sent: number;
  /** Lower steps recorded as superseded by a higher one sent with them. */
  superseded: number;
  /** Valve cases opened (valve control enabled). */
  valveCases: number;
}

interface AccountRow {
  account_id: string;
  account_no: string | null;
  name: string;
  status: string;
  arrears: string;
  oldest_due: string;
  oldest_charge: string;
  open_case: boolean;
}

export async function runDunning(services: PackServices, asOf: string, options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<DunningResult> {
  const tenant = services.tenant;
  const result: DunningResult = { asOf, accounts: 0, sent: 0, superseded: 0, valveCases: 0 };
  const settings = await services.transaction((tx) => loadArrearsSettings(tx, tenant));
  const schedule = settings.dunning;
  const valve = settings.valve;
  const minArrears = BigInt(valve.minArrearsFen);
  if (schedule.length === 0 && !valve.enabled) return result;
  const batchSize = options.batchSize ?? 500;
  let cursor = '0';

  for (;;) {
    if (options.signal?.aborted) throw new Error(`the dunning run of ${asOf} stopped: ${String(options.signal.reason ?? 'aborted')}`);
    const done = await services.transaction(async (tx) => {
      const rows = await tx.query<AccountRow>(
        `with o as (
           select c.account_id, sum(c.amount_fen - c.paid_fen - c.waived_fen) as arrears, min(c.due_date) as oldest_due,
                  (array_agg(c.id order by c.due_date, c.id))[1] as oldest_charge
             from pack_billing.charges c
            where c.tenant_id = $1 and c.paid_fen + c.waived_fen < c.amount_fen and c.due_date < $2::date and c.account_id > $3::bigint
            group by c.account_id
            order by c.account_id
            limit $4::int
         )
         select o.account_id::text, a.account_no, cu.name, a.status, o.arrears::text, to_char(o.oldest_due, 'YYYY-MM-DD') as oldest_due, o.oldest_charge::text,
                exists (select 1 from pack_billing.valve_cases v where v.tenant_id = a.tenant_id and v.account_id = a.id
                          and v.status not in ('reopened', 'cancelled', 'rejected', 'failed')) as open_case
           from o join pack_billing.accounts a on a.id = o.account_id join pack_billing.customers cu on cu.id = a.customer_id
          order by o.account_id`,
        [tenant.id, asOf, cursor, batchSize],
      );
      if (rows.length === 0) return true;
      cursor = rows[rows.length - 1]!.account_id;
      const live = rows.filter((r) => r.status !== 'pending');
      result.accounts += live.length;

      const noticed = await tx.query<{ account_id: string; step: number }>(
        `select d.account_id::text, d.step from pack_billing.dunning_notices d
           join unnest($2::bigint[], $3::bigint[]) as u(account_id, charge_id) on d.account_id = u.account_id and d.charge_id = u.charge_id
          where d.tenant_id = $1`,
        [tenant.id, live.map((r) => r.account_id), live.map((r) => r.oldest_charge)],
      );
      const seen = new Set(noticed.map((n) => `${n.account_id}:${n.step}`));
      const cols = { accounts: [] as string[], steps: [] as number[], charges: [] as string[], arrears: [] as string[], days: [] as number[], statuses: [] as string[] };
      const byKey = new Map<string, { row: AccountRow; channels: NotifyMessage['channels']; days: number }>();
      for (const r of live) {
        const due = dueSteps(schedule, r.oldest_due, asOf).filter((s) => !seen.has(`${r.account_id}:${s.step}`));
        if (due.length === 0) continue;
        const days = daysBetween(r.oldest_due, asOf);
        due.forEach((s, i) => {
          const status = i === due.length - 1 ? 'sent' : 'superseded';
          cols.accounts.push(r.account_id);
          cols.steps.push(s.step);
          cols.charges.push(r.oldest_charge);
          cols.arrears.push(r.arrears);
          cols.days.push(days);
          cols.statuses.push(status);
          if (status === 'sent') byKey.set(`${r.account_id}:${s.step}`, { row: r, channels: s.channels, days });
        });
      }
      if (cols.accounts.length > 0) {
        const inserted = await tx.query<{ id: string; account_id: string; step: number; charge_id: string; status: string }>(
          `insert into pack_billing.dunning_notices (tenant_id, tenant_path, account_id, step, charge_id, arrears_fen, days_overdue, status, as_of)
           select $1, $2::ltree, u.account_id, u.step, u.charge_id, u.arrears, u.days, u.status, $9::date
             from unnest($3::bigint[], $4::int[], $5::bigint[], $6::bigint[], $7::int[], $8::text[]) as u(account_id, step, charge_id, arrears, days, status)
           on conflict (tenant_id, account_id, step, charge_id) do nothing
           returning id::text, account_id::text, step, charge_id::text, status`,
          [tenant.id, tenant.path, cols.accounts, cols.steps, cols.charges, cols.arrears, cols.days, cols.statuses, asOf],
        );
        const messages: NotifyMessage[] = [];
        const sentIds: string[] = [];
        for (const n of inserted) {
          if (n.status !== 'sent') {
            result.superseded += 1;
            continue;
          }
          const what = byKey.get(`${n.account_id}:${n.step}`);
          if (!what) continue;
          sentIds.push(n.id);
          const { row, days } = what;
          const yuan = formatYuan(BigInt(row.arrears));
          const no = row.account_no ?? row.account_id;
          const warn = valve.enabled ? l('逾期仍未缴清的，将依规定关阀停水。', ' If it stays unpaid, the water supply may be suspended (valve closed).') : l('', '');
          messages.push({
            accountId: row.account_id,
            kind: 'dunning',
            dedupeKey: `dunning:${row.account_id}:${n.step}:${n.charge_id}`,
            title: l(`欠费催缴通知（第${n.step}次）`, `Payment reminder (${n.step})`),
            body: l(
              `您的账户 ${no}（${row.name}）截至 ${asOf} 欠费 ${yuan} 元，最早一笔于 ${row.oldest_due} 到期，已逾期 ${days} 天。请尽快缴清，逾期将按日加收违约金。${warn['zh-CN']}`,
              `Your account ${no} (${row.name}) owes ${yuan} yuan as of ${asOf}; the oldest charge was due on ${row.oldest_due}, ${days} days ago. Please pay soon: late fees accrue daily.${warn.en}`,
            ),
            ...(what.channels ? { channels: what.channels } : {}),
          });
        }
        if (messages.length > 0) {
          await notifyMany(tx, tenant, messages);
          result.sent += messages.length;
          await tx.query(
            `update pack_billing.dunning_notices d
                set notification_id = (select min(n.id) from pack_billing.notifications n
                                        where n.tenant_id = d.tenant_id and n.dedupe_key = 'dunning:' || d.account_id || ':' || d.step || ':' || d.charge_id)
              where d.tenant_id = $1 and d.id = any($2::bigint[])`,
            [tenant.id, sentIds],
          );
        }
      }

      if (valve.enabled) {
        for (const r of live) {
          if (r.open_case || r.status !== 'active') continue;
          if (BigInt(r.arrears) < minArrears || daysBetween(r.oldest_due, asOf) < valve.afterDays) continue;
          const opened = await openValveCase(tx, services, r.account_id, 'dunning');
          if (opened.ok) result.valveCases += 1;
        }
      }
      return rows.length < batchSize;
    });
    if (done) break;
  }
  return result;
}
