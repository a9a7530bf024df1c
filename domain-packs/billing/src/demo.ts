/**
 * The demo utility's billing (`npm start`, first start only), on top of metering's demo: an account for every
 * metering household (a customer of the same name, the residential tariff; every twelfth a shared meter 合表),
 * every closed metering period billed as its run would have billed it then (bills dated the day after the
 * period, due `due_days` later), most bills paid before their due date at the counter, by bank file or by
 * WeChat Pay, a few households prepaid, and one in nine left in arrears for its last three bills, with late
 * fees accrued to today. Deterministic per tenant, like metering's demo.
 */
import type { PackDemo, PackDemoContext } from '@shuiyun/sdk';
import { writeSearch } from './accounts/model.js';
import { runBilling } from './billing/run.js';
import { accrueLateFees } from './arrears/accrue.js';
import { addDays, formatAccountNo, localDate } from './domain/index.js';
import { bookPayment, type Channel } from './payments/book.js';

interface Household {
  id: string;
  name: string;
  phone: string | null;
  community: string;
  building: string;
  unit: string;
  room: string;
  size: number;
}

interface Period {
  period: string;
  starts_at: Date | string;
  ends_at: Date | string;
}

const CHANNELS: Channel[] = ['cash', 'cash', 'card', 'bank', 'wechat', 'alipay'];

/** Accounts for the metering households that have none yet; answers how many were opened. */
async function openAccounts(ctx: PackDemoContext): Promise<number> {
  const tenant = ctx.tenant;
  return ctx.transaction(async (tx) => {
    const households = await tx.query<Household>(
      `select h.id::text, coalesce(h.data->>'name', h.data->>'accountNo') as name, h.data->>'phone' as phone, coalesce(h.data->>'community', '') as community,
              coalesce(h.data->>'building', '') as building, coalesce(h.data->>'unit', '') as unit, coalesce(h.data->>'room', '') as room,
              coalesce((h.data->>'householdSize')::int, 3) as size
         from entity_records h
        where h.tenant_id = $1 and h.entity = 'metering_household'
          and not exists (select 1 from pack_billing.accounts a where a.tenant_id = h.tenant_id and a.household_id = h.id)
        order by h.id`,
      [tenant.id],
    );
    if (households.length === 0) return 0;
    const [settings] = await tx.query<{ account_prefix: string; account_width: number; next_account_seq: string }>(
      `select account_prefix, account_width, next_account_seq from pack_billing.settings where tenant_id = $1 for update`,
      [tenant.id],
    );
    if (!settings) throw new Error('billing demo: the pack seed wrote no settings row');
    let seq = BigInt(settings.next_account_seq);
    for (const [i, h] of households.entries()) {
      const [customer] = await tx.query<{ id: string }>(
        `insert into pack_billing.customers (tenant_id, tenant_path, kind, name, phone) values ($1, $2::ltree, 'person', $3, $4) returning id::text`,
        [tenant.id, tenant.path, h.name, h.phone],
      );
      const shared = i % 12 === 11;
      const accountNo = formatAccountNo(settings.account_prefix, settings.account_width, seq++);
      const [account] = await tx.query<{ id: string }>(
        `insert into pack_billing.accounts (tenant_id, tenant_path, account_no, customer_id, nature, household_size, household_id, community, building, unit, room, tariff_code, status, opened_at)
         values ($1, $2::ltree, $3, $4::bigint, $5, $6, $7::bigint, $8, $9, $10, $11, $12, 'active', now() - interval '400 days') returning id::text`,
        [tenant.id, tenant.path, accountNo, customer!.id, shared ? 'shared' : 'residential', h.size, h.id, h.community, h.building, h.unit, h.room, shared ? 'shared' : 'residential'],
      );
      await writeSearch(tx, tenant, account!.id, h.name, h);
    }
    await tx.query(`update pack_billing.settings set next_account_seq = $2::bigint where tenant_id = $1`, [tenant.id, seq]);
    return households.length;
  });
}

/** Bills every closed metering period in order, each dated as if its run had happened the day after the period. */
async function billClosedPeriods(ctx: PackDemoContext): Promise<void> {
  const tenant = ctx.tenant;
  const periods = await ctx.transaction((tx) =>
    tx.query<Period>(`select period, starts_at, ends_at from pack_metering.periods where tenant_id = $1 and scope = '*' and status = 'closed' order by period`, [tenant.id]),
  );
  for (const p of periods) {
    const runId = await ctx.transaction(async (tx) => {
      await tx.query(
        `insert into pack_billing.runs (tenant_id, tenant_path, period, scope, starts_at, ends_at) values ($1, $2::ltree, $3, '*', $4::timestamptz, $5::timestamptz)
         on conflict (tenant_id, period, scope) do nothing`,
        [tenant.id, tenant.path, p.period, p.starts_at, p.ends_at],
      );
      const [row] = await tx.query<{ id: string }>(`select id::text from pack_billing.runs where tenant_id = $1 and period = $2 and scope = '*'`, [tenant.id, p.period]);
      return row!.id;
    });
    await runBilling(ctx, runId);
    // Dated back: issued the day after the period ended, due `due_days` after that.
    const issued = addDays(localDate(new Date(p.ends_at), tenant.timeZone), 1);
    await ctx.transaction(async (tx) => {
      const [settings] = await tx.query<{ due_days: number }>(`select due_days from pack_billing.settings where tenant_id = $1`, [tenant.id]);
      const due = addDays(issued, settings?.due_days ?? 30);
      await tx.query(`update pack_billing.bills set issued_at = $3::date + time '09:00', due_date = $4::date where tenant_id = $1 and period = $2`, [tenant.id, p.period, issued, due]);
      await tx.query(
        `update pack_billing.charges c set due_date = $3::date from pack_billing.bills b where c.bill_id = b.id and c.tenant_id = $1 and b.period = $2`,
        [tenant.id, p.period, due],
      );
    });
  }
}

/** Pays the demo's bills: most before their due date, one account in nine not its last three, a few prepaid. */
async function payBills(ctx: PackDemoContext): Promise<void> {
  const tenant = ctx.tenant;
  const accounts = await ctx.transaction((tx) => tx.query<{ id: string }>(`select id::text from pack_billing.accounts where tenant_id = $1 and status = 'active' order by id`, [tenant.id]));
  for (const [i, account] of accounts.entries()) {
    await ctx.transaction(async (tx) => {
      const bills = await tx.query<{ id: string; amount_fen: string; due_date: string }>(
        `select b.id::text, b.amount_fen::text, to_char(b.due_date, 'YYYY-MM-DD') as due_date from pack_billing.bills b where b.tenant_id = $1 and b.account_id = $2::bigint order by b.period`,
        [tenant.id, account.id],
      );
      const unpaidFrom = i % 9 === 4 ? Math.max(0, bills.length - 3) : bills.length;
      for (const [k, bill] of bills.slice(0, unpaidFrom).entries()) {
        if (BigInt(bill.amount_fen) === 0n) continue;
        const channel = CHANNELS[(i + k) % CHANNELS.length]!;
        const paidAt = new Date(`${addDays(bill.due_date, -((i + k) % 20) - 1)}T02:30:00Z`);
        await bookPayment(tx, tenant, { accountId: account.id, channel, amountFen: BigInt(bill.amount_fen), externalRef: `demo-bill-${bill.id}`, cashierId: ctx.user?.id ?? null, paidAt });
      }
      if (i % 17 === 3) {
        await bookPayment(tx, tenant, { accountId: account.id, channel: 'wechat', amountFen: 20_000n, externalRef: `demo-prepay-${account.id}`, cashierId: null, paidAt: new Date(ctx.now.getTime() - 5 * 86_400_000), note: '预存' });
      }
    });
  }
}

export const demo: PackDemo = async (ctx) => {
  await openAccounts(ctx);
  await billClosedPeriods(ctx);
  await payBills(ctx);
  await accrueLateFees(ctx, localDate(ctx.now, ctx.tenant.timeZone));
};
