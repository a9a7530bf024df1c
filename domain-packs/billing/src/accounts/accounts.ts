/**
 * 账户查询: the counter's search over accounts and the 360° view of one account.
 *
 * Search (`q`): an account number by prefix, the customer's phone exactly or by its last 4+ digits, or words
 * of the customer's name and the address (every word must be contained). Each arm is an index lookup that
 * row-level security allows (see the schema): account numbers and reversed phones as text_pattern_ops
 * ranges, name and address words through their grams in account_grams.
 *
 * The 360° view answers the account, its customer (identity number masked), the metering household's
 * meters, their latest settlement records, bills, payments, open charges, running requests (each the
 * latest 12 with its total) in one statement, and the balance from the payments part's ledger.
 */
import { defineRoute } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { accountBalance } from '../payments/ledger.js';
import { l, notFound, page, Params, PERMISSIONS, text } from '../shared.js';
import { phoneDigits } from './identity.js';
import { ACCOUNT_COLUMNS, ACCOUNT_STATUSES, type AccountRow, idParams, NATURES, pageRows, prefixEnd, presentAccount, searchNormal, tokenGrams } from './model.js';

/** The latest rows of each list in the 360° view. */
export const VIEW_LIMIT = 12;

/** A timestamptz as ISO UTC text inside JSON built in SQL. */
const utc = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

type SearchRow = AccountRow & { customer_name: string; customer_kind: string; customer_phone: string | null };

/**
 * `a.id in (…)`: the accounts `q` finds — an account number by prefix, a phone exactly or by its last digits,
 * or every word of q in the customer's name or the address. Each arm is a lookup by leakproof comparisons on
 * an index (see the schema); the words' substring check runs on the few accounts their grams found.
 */
export function searchCondition(p: Params, tenant: string, q: string): string {
  const arms: string[] = [];
  const number = q.replace(/\s+/g, '').toUpperCase();
  if (/^[A-Z0-9-]{1,40}$/.test(number)) {
    arms.push(`select id from pack_billing.accounts where tenant_id = ${tenant} and account_no ~>=~ ${p.add(number)} and account_no ~<~ ${p.add(prefixEnd(number))}`);
  }
  const digits = phoneDigits(q);
  if (digits !== null) {
    const reversed = [...digits.replace(/^\+/, '')].reverse().join('');
    const byPhone = (condition: string) =>
      `select a2.id from pack_billing.customers c join pack_billing.accounts a2 on a2.customer_id = c.id and a2.tenant_id = ${tenant} where c.tenant_id = ${tenant} and ${condition}`;
    arms.push(byPhone(`c.phone = ${p.add(digits)}`), byPhone(`c.phone_reversed ~>=~ ${p.add(reversed)} and c.phone_reversed ~<~ ${p.add(prefixEnd(reversed))}`));
  }
  const tokens = q.split(/\s+/).map(searchNormal).filter((t) => t !== '' && !t.includes('\u0001'));
  if (tokens.length > 0) {
    const grams = [...new Set(tokens.flatMap(tokenGrams))];
    arms.push(
      `select a3.id from pack_billing.accounts a3
        where a3.id in (select account_id from pack_billing.account_grams where tenant_id = ${tenant} and gram = any(${p.add(grams)}::text[])
                         group by account_id having count(*) = ${p.add(grams.length)}::int)
          and ${tokens.map((t) => `strpos(a3.search_text, ${p.add(t)}) > 0`).join(' and ')}`,
    );
  }
  return arms.length === 0 ? 'false' : `a.id in (${arms.join(' union ')})`;
}

export const accountRoutes = [
  defineRoute({
    method: 'get',
    path: '/accounts',
    permission: PERMISSIONS.accountsRead,
    summary: "The counter's account search: q finds an account number by prefix, a phone (exact or its last 4+ digits), or words of the customer's name and the address; filters status, nature, community; paged, by account number",
    query: z.object({
      ...page,
      q: z.string().trim().max(100).optional(),
      status: z.enum(ACCOUNT_STATUSES).optional(),
      nature: z.enum(NATURES).optional(),
      community: z.string().trim().min(1).max(100).optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const tenant = p.add(services.tenant.id);
        const where = [`a.tenant_id = ${tenant}`];
        if (query.q) where.push(searchCondition(p, tenant, query.q));
        if (query.status) where.push(`a.status = ${p.add(query.status)}`);
        if (query.nature) where.push(`a.nature = ${p.add(query.nature)}`);
        if (query.community) where.push(`a.community = ${p.add(query.community)}`);
        const { rows, total } = await pageRows<SearchRow>(
          tx,
          `select ${ACCOUNT_COLUMNS}, c.name as customer_name, c.kind as customer_kind, c.phone as customer_phone
             from pack_billing.accounts a join pack_billing.customers c on c.id = a.customer_id where ${where.join(' and ')}`,
          'account_no nulls last, id',
          p,
          query,
        );
        return {
          items: rows.map((r) => ({ ...presentAccount(r), customer: { id: Number(r.customer_id), name: r.customer_name, kind: r.customer_kind, phone: r.customer_phone } })),
          total,
          page: query.page,
          pageSize: query.pageSize,
        };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/accounts/:id',
    permission: PERMISSIONS.accountsRead,
    summary: "An account's 360° view: customer (masked id), meters, latest settlement records, bills, payments, open charges and running requests (12 of each, with totals), and the balance",
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<{
          account: (AccountRow & { customer: Record<string, unknown> }) | null;
          meters: unknown[];
          settlements: unknown[];
          settlements_total: number;
          bills: unknown[];
          bills_total: number;
          payments: unknown[];
          payments_total: number;
          charges: unknown[];
          charges_total: number;
          requests: unknown[];
          requests_total: number;
        }>(
          `with acc as (select * from pack_billing.accounts where id = $1::bigint and tenant_id = $2),
                m as (select e.id, e.data from public.entity_records e, acc
                       where e.entity = 'metering_meter' and e.tenant_id = $2 and acc.household_id is not null and e.data->>'household' = acc.household_id::text)
           select
             (select json_build_object(
                'id', acc.id, 'account_no', acc.account_no, 'customer_id', acc.customer_id, 'nature', acc.nature, 'household_size', acc.household_size,
                'household_id', acc.household_id, 'community', acc.community, 'building', acc.building, 'unit', acc.unit, 'room', acc.room,
                'tariff_code', acc.tariff_code, 'status', acc.status, 'opened_at', ${utc('acc.opened_at')}, 'closed_at', ${utc('acc.closed_at')}, 'created_at', ${utc('acc.created_at')},
                'customer', json_build_object('id', c.id, 'kind', c.kind, 'name', c.name, 'idType', c.id_type, 'idMasked', c.id_masked, 'phone', c.phone))
                from acc join pack_billing.customers c on c.id = acc.customer_id) as account,
             (select coalesce(json_agg(json_build_object('id', m.id, 'meterNo', m.data->>'meterNo', 'kind', m.data->>'kind', 'status', m.data->>'status',
                'device', m.data->>'device', 'installedAt', m.data->>'installedAt') order by m.id), '[]'::json) from m) as meters,
             (select coalesce(json_agg(s), '[]'::json) from (
                select s.id, s.period, s.meter_id as "meterId", s.meter_no as "meterNo", s.start_l::text as "startL", s.end_l::text as "endL",
                       s.volume_l::text as "volumeL", s.source, s.flags
                  from pack_metering.settlements s where s.tenant_id = $2 and s.meter_id in (select id from m)
                 order by s.period desc, s.meter_no limit ${VIEW_LIMIT}) s) as settlements,
             (select count(*)::int from pack_metering.settlements s where s.tenant_id = $2 and s.meter_id in (select id from m)) as settlements_total,
             (select coalesce(json_agg(b), '[]'::json) from (
                select b.id, b.period, b.volume_l::text as "volumeL", b.amount_fen::text as "amountFen", b.tariff_code as "tariffCode",
                       to_char(b.due_date, 'YYYY-MM-DD') as "dueDate", ${utc('b.issued_at')} as "issuedAt"
                  from pack_billing.bills b where b.tenant_id = $2 and b.account_id = $1::bigint order by b.period desc limit ${VIEW_LIMIT}) b) as bills,
             (select count(*)::int from pack_billing.bills b where b.tenant_id = $2 and b.account_id = $1::bigint) as bills_total,
             (select coalesce(json_agg(x), '[]'::json) from (
                select p.id, p.channel, p.amount_fen::text as "amountFen", p.status, p.external_ref as "externalRef", ${utc('p.paid_at')} as "paidAt"
                  from pack_billing.payments p where p.tenant_id = $2 and p.account_id = $1::bigint order by p.paid_at desc, p.id desc limit ${VIEW_LIMIT}) x) as payments,
             (select count(*)::int from pack_billing.payments p where p.tenant_id = $2 and p.account_id = $1::bigint) as payments_total,
             (select coalesce(json_agg(x), '[]'::json) from (
                select ch.id, ch.kind, ch.bill_id as "billId", ch.amount_fen::text as "amountFen", (ch.amount_fen - ch.paid_fen - ch.waived_fen)::text as "outstandingFen",
                       to_char(ch.due_date, 'YYYY-MM-DD') as "dueDate"
                  from pack_billing.charges ch where ch.tenant_id = $2 and ch.account_id = $1::bigint and ch.paid_fen + ch.waived_fen < ch.amount_fen
                 order by ch.due_date, ch.id limit ${VIEW_LIMIT}) x) as charges,
             (select count(*)::int from pack_billing.charges ch where ch.tenant_id = $2 and ch.account_id = $1::bigint and ch.paid_fen + ch.waived_fen < ch.amount_fen) as charges_total,
             (select coalesce(json_agg(x), '[]'::json) from (
                select r.id, r.kind, r.status, r.instance, ${utc('r.created_at')} as "createdAt"
                  from pack_billing.account_requests r where r.tenant_id = $2 and r.account_id = $1::bigint and r.status in ('pending', 'approved')
                 order by r.id desc limit ${VIEW_LIMIT}) x) as requests,
             (select count(*)::int from pack_billing.account_requests r where r.tenant_id = $2 and r.account_id = $1::bigint and r.status in ('pending', 'approved')) as requests_total`,
          [params.id, services.tenant.id],
        );
        if (!row?.account) throw notFound(l(`没有账户 ${params.id}`, `No account ${params.id}`), 'params.id');
        const { customer, ...account } = row.account;
        const balance = await accountBalance(tx, params.id);
        return {
          account: presentAccount(account as AccountRow),
          customer,
          meters: row.meters,
          settlements: { items: row.settlements, total: row.settlements_total },
          bills: { items: row.bills, total: row.bills_total },
          payments: { items: row.payments, total: row.payments_total },
          charges: { items: row.charges, total: row.charges_total },
          requests: { items: row.requests, total: row.requests_total },
          balance: {
            chargesFen: text(balance.chargesFen),
            paidFen: text(balance.paidFen),
            waivedFen: text(balance.waivedFen),
            outstandingFen: text(balance.outstandingFen),
            creditFen: text(balance.creditFen),
            paymentsFen: text(balance.paymentsFen),
            refundsFen: text(balance.refundsFen),
            /** What the counter collects to clear the account (0 when the credit covers it), and the net in yuan. */
            dueFen: text(balance.outstandingFen > balance.creditFen ? balance.outstandingFen - balance.creditFen : 0n),
            netYuan: formatYuan(balance.creditFen - balance.outstandingFen),
          },
        };
      }),
  }),
];
