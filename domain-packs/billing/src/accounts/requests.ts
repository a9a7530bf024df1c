/**
 * 用户业务受理: 开户, 过户, 销户 and 换表 requests. Each is checked at the counter, stored with its documents,
 * and runs its approval process (processes.ts); the worker applies the decision (apply.ts). A request names
 * the client's `requestKey`: the same submit twice (a double click, a retry after a lost answer) answers the
 * first request. One running request (pending, or approved and waiting for the field swap) per account.
 */
import { defineRoute, PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { formatYuan } from '../domain/index.js';
import { accountBalance } from '../payments/ledger.js';
import { conflict, invalid, iso, l, notFound, page, Params, PERMISSIONS } from '../shared.js';
import { checkCustomer, createCustomer, customerInput, requireCustomer } from './customers.js';
import { type AccountRow, addressText, idInput, idParams, NATURES, natureNames, pageRows, requireAccount, writeSearch } from './model.js';
import { kindNames, PROCESS_OF, REQUEST_KINDS, type RequestKind } from './processes.js';
import { TARIFF_CODE, tariffExists } from './tariffs.js';

/** A document's largest size, decoded: 5 MB. */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;
export const MAX_DOCUMENTS = 10;
const DATA_URL = /^data:([A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+)?((?:;[A-Za-z0-9_.+-]+=[^;,]*)*);base64,([A-Za-z0-9+/]*={0,2})$/;

/** Decoded bytes of base64 text. */
const base64Bytes = (b64: string) => Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);

export const documentInput = z.strictObject({
  name: z.string().trim().min(1, 'a file name is required').max(200),
  dataUrl: z
    .string()
    .regex(DATA_URL, 'a base64 data URL (data:<type>;base64,…)')
    .refine((url) => base64Bytes(url.slice(url.indexOf(',') + 1)) <= MAX_DOCUMENT_BYTES, 'at most 5 MB'),
});

interface StoredDocument {
  name: string;
  mediaType: string;
  size: number;
  dataUrl: string;
}

const storedDocuments = (docs: z.output<typeof documentInput>[]): StoredDocument[] =>
  docs.map((d) => {
    const m = DATA_URL.exec(d.dataUrl)!;
    return { name: d.name, mediaType: m[1] ?? 'application/octet-stream', size: base64Bytes(m[3]!), dataUrl: d.dataUrl };
  });

const requestKey = z.string().trim().min(1).max(100).optional();
const documents = z.array(documentInput).max(MAX_DOCUMENTS, `at most ${MAX_DOCUMENTS} documents`).default([]);
const addressInput = z.strictObject({
  community: z.string().trim().min(1, 'the community is required').max(100),
  building: z.string().trim().max(20).default(''),
  unit: z.string().trim().max(20).default(''),
  room: z.string().trim().max(20).default(''),
});

export const openBody = z.strictObject({
  requestKey,
  customerId: idInput.optional(),
  customer: customerInput.optional(),
  nature: z.enum(NATURES),
  householdSize: z.number().int().min(1, '1..50 persons').max(50, '1..50 persons').default(3),
  address: addressInput,
  householdId: idInput.optional(),
  tariffCode: z.string().regex(TARIFF_CODE, 'a tariff code'),
  documents,
  note: z.string().trim().max(500).optional(),
});

export const transferBody = z.strictObject({
  requestKey,
  accountId: idInput,
  customerId: idInput.optional(),
  customer: customerInput.optional(),
  documents,
  note: z.string().trim().max(500).optional(),
});

export const closeBody = z.strictObject({
  requestKey,
  accountId: idInput,
  reason: z.string().trim().min(1, 'a reason is required').max(500),
  documents,
});

export const meterChangeBody = z.strictObject({
  requestKey,
  accountId: idInput,
  oldMeterId: idInput,
  newMeterNo: z.string().trim().regex(/^[A-Za-z0-9-]{1,32}$/, 'a meter number: letters, digits and -, at most 32'),
  reason: z.string().trim().min(1, 'a reason is required').max(500),
  documents,
});

export interface RequestRow {
  id: string;
  kind: RequestKind;
  account_id: string | null;
  account_no: string | null;
  status: 'pending' | 'approved' | 'rejected' | 'done';
  request: Record<string, unknown>;
  documents: StoredDocument[] | { name: string; mediaType: string; size: number }[];
  instance: string | null;
  decided_by: string | null;
  decided_at: Date | string | null;
  decision_note: string | null;
  request_key: string | null;
  created_by: string | null;
  created_at: Date | string;
}

/** The request's columns, its documents without their content (alias r, the account a). */
const REQUEST_COLUMNS = `r.id, r.kind, r.account_id, a.account_no, r.status, r.request,
  coalesce((select jsonb_agg(jsonb_build_object('name', d->>'name', 'mediaType', d->>'mediaType', 'size', (d->>'size')::bigint) order by i)
              from jsonb_array_elements(r.documents) with ordinality as e(d, i)), '[]'::jsonb) as documents,
  r.instance, r.decided_by, r.decided_at, r.decision_note, r.request_key, r.created_by, r.created_at`;
const REQUEST_FROM = `pack_billing.account_requests r left join pack_billing.accounts a on a.id = r.account_id`;

export const presentRequest = (r: RequestRow) => ({
  id: Number(r.id),
  kind: r.kind,
  kindName: kindNames[r.kind],
  accountId: r.account_id === null ? null : Number(r.account_id),
  accountNo: r.account_no,
  status: r.status,
  request: r.request,
  documents: r.documents.map((d, index) => ({ index, name: d.name, mediaType: d.mediaType, size: Number(d.size) })),
  instance: r.instance,
  decidedBy: r.decided_by === null ? null : Number(r.decided_by),
  decidedAt: iso(r.decided_at),
  decisionNote: r.decision_note,
  requestKey: r.request_key,
  createdBy: r.created_by === null ? null : Number(r.created_by),
  createdAt: iso(r.created_at),
});

export async function requestById(tx: PackTx, tenantId: number, id: string): Promise<RequestRow | null> {
  const [row] = await tx.query<RequestRow>(`select ${REQUEST_COLUMNS} from ${REQUEST_FROM} where r.id = $1::bigint and r.tenant_id = $2`, [id, tenantId]);
  return row ?? null;
}

/**
 * The request an earlier submit with the same key made, or null. Holds a transaction lock on the key, so a
 * second submit arriving while the first is still running waits for it and then finds its request.
 */
async function earlierSubmit(tx: PackTx, services: PackServices, key: string | undefined, kind: RequestKind) {
  if (key === undefined) return null;
  await tx.query(`select pg_advisory_xact_lock(hashtext($1))`, [`billing-request:${services.tenant.id}:${key}`]);
  const [row] = await tx.query<RequestRow>(`select ${REQUEST_COLUMNS} from ${REQUEST_FROM} where r.tenant_id = $1 and r.request_key = $2`, [services.tenant.id, key]);
  if (!row) return null;
  if (row.kind !== kind) {
    throw conflict(l(`requestKey 已用于另一笔业务 ${row.id}（${kindNames[row.kind]['zh-CN']}）`, `requestKey was already used by request ${row.id} (${kindNames[row.kind].en})`), 'body.requestKey');
  }
  return presentRequest(row);
}

/** Refuses a second running request on the account (the caller holds the account's lock). */
async function assertNoRunning(tx: PackTx, tenantId: number, account: AccountRow): Promise<void> {
  const [running] = await tx.query<{ id: string; kind: RequestKind }>(
    `select id, kind from pack_billing.account_requests where tenant_id = $1 and account_id = $2::bigint and status in ('pending', 'approved') limit 1`,
    [tenantId, account.id],
  );
  if (running) {
    throw conflict(
      l(`账户 ${account.account_no ?? account.id} 有办理中的业务 ${running.id}（${kindNames[running.kind]['zh-CN']}），办结后再受理`, `Account ${account.account_no ?? account.id} has request ${running.id} (${kindNames[running.kind].en}) running; wait until it is finished`),
      'body.accountId',
    );
  }
}

async function requireActive(tx: PackTx, tenantId: number, accountId: string): Promise<AccountRow> {
  const account = await requireAccount(tx, tenantId, accountId, 'body.accountId', true);
  if (account.status !== 'active') {
    const status = { pending: l('待开户', 'pending'), closed: l('已销户', 'closed'), active: l('正常', 'active') }[account.status];
    throw conflict(l(`账户 ${account.account_no ?? account.id} 状态为${status['zh-CN']}，不能办理`, `Account ${account.account_no ?? account.id} is ${status.en}; it takes no such request`), 'body.accountId');
  }
  await assertNoRunning(tx, tenantId, account);
  return account;
}

/** The customer a request names: an existing one (`customerId`) or a new one (`customer`), exactly one of them. */
async function customerOf(tx: PackTx, services: PackServices, body: { customerId?: string | undefined; customer?: z.output<typeof customerInput> | undefined }) {
  if ((body.customerId === undefined) === (body.customer === undefined)) {
    throw invalid(l('请选择已有用户（customerId）或登记新用户（customer），二者取一', 'Give either customerId (an existing customer) or customer (a new one)'), 'body.customerId');
  }
  if (body.customerId !== undefined) return requireCustomer(tx, services.tenant.id, body.customerId, 'body.customerId');
  const checked = checkCustomer(body.customer!, 'body.customer');
  return createCustomer(tx, services, checked, 'body.customer');
}

/** The balance refusal of 销户: outstanding charges or prepaid credit, in yuan; null when the account is settled. */
export async function closeRefusal(tx: PackTx, account: Pick<AccountRow, 'id' | 'account_no'>): Promise<{ 'zh-CN': string; en: string } | null> {
  const balance = await accountBalance(tx, account.id);
  const no = account.account_no ?? account.id;
  if (balance.outstandingFen > 0n) {
    return l(`账户 ${no} 尚欠 ${formatYuan(balance.outstandingFen)} 元，结清后才能销户`, `Account ${no} still owes ${formatYuan(balance.outstandingFen)} yuan; it can be closed once that is paid`);
  }
  if (balance.creditFen > 0n) {
    return l(`账户 ${no} 有预存余额 ${formatYuan(balance.creditFen)} 元，退费后才能销户`, `Account ${no} holds ${formatYuan(balance.creditFen)} yuan of prepaid credit; refund it before closing`);
  }
  return null;
}

/** Stores the request and starts its process; answers the request as the API shows it. */
async function submit(
  tx: PackTx,
  services: PackServices,
  kind: RequestKind,
  input: { accountId: string; request: Record<string, unknown>; documents: StoredDocument[]; requestKey: string | undefined; variables: Record<string, unknown> },
) {
  const [row] = await tx.query<{ id: string }>(
    `insert into pack_billing.account_requests (tenant_id, tenant_path, kind, account_id, request, documents, request_key, created_by)
     values ($1, $2::ltree, $3, $4::bigint, $5::jsonb, $6::jsonb, $7, $8::bigint) returning id`,
    [services.tenant.id, services.tenant.path, kind, input.accountId, input.request, JSON.stringify(input.documents), input.requestKey ?? null, services.user ? String(services.user.id) : null],
  );
  const id = row!.id;
  const instance = await tx.startProcess(PROCESS_OF[kind], {
    businessKey: `account-request-${id}`,
    variables: { ...input.variables, requestId: Number(id), kind, kindName: `${kindNames[kind]['zh-CN']} ${kindNames[kind].en}`, documentCount: input.documents.length },
  });
  await tx.query(`update pack_billing.account_requests set instance = $1 where id = $2::bigint`, [instance, id]);
  return presentRequest((await requestById(tx, services.tenant.id, id))!);
}

const accountVariables = (account: Pick<AccountRow, 'account_no' | 'community' | 'building' | 'unit' | 'room'>, customerName: string) => ({
  accountNo: account.account_no ?? '（开户后分配）',
  customerName,
  address: addressText(account),
});

export const requestRoutes = [
  defineRoute({
    method: 'post',
    path: '/requests/open',
    permission: PERMISSIONS.accountsWrite,
    status: 201,
    summary: '开户: registers the customer if new and a pending account (numbered at approval), and starts the approval process billing_account_open',
    body: openBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const tenantId = services.tenant.id;
        const earlier = await earlierSubmit(tx, services, body.requestKey, 'open');
        if (earlier) return earlier;
        if (!(await tariffExists(tx, tenantId, body.tariffCode))) throw notFound(l(`没有水价 ${body.tariffCode}`, `No tariff ${body.tariffCode}`), 'body.tariffCode');
        if (body.householdId !== undefined) {
          const [household] = await tx.query<{ id: string }>(
            `select id from public.entity_records where id = $1::bigint and entity = 'metering_household' and tenant_id = $2 for update`,
            [body.householdId, tenantId],
          );
          if (!household) throw notFound(l(`没有计量户 ${body.householdId}`, `No metering household ${body.householdId}`), 'body.householdId');
          const [taken] = await tx.query<{ id: string; account_no: string | null }>(
            `select id, account_no from pack_billing.accounts where tenant_id = $1 and household_id = $2::bigint and status <> 'closed'`,
            [tenantId, body.householdId],
          );
          if (taken) throw conflict(l(`计量户 ${body.householdId} 已有账户 ${taken.account_no ?? `${taken.id}（待开户）`}`, `Metering household ${body.householdId} already has account ${taken.account_no ?? `${taken.id} (pending)`}`), 'body.householdId');
        }
        const customer = await customerOf(tx, services, body);
        const [account] = await tx.query<AccountRow>(
          `insert into pack_billing.accounts (tenant_id, tenant_path, customer_id, nature, household_size, household_id, community, building, unit, room, tariff_code, status)
           values ($1, $2::ltree, $3::bigint, $4, $5::int, $6::bigint, $7, $8, $9, $10, $11, 'pending')
           returning id, account_no, community, building, unit, room`,
          [tenantId, services.tenant.path, customer.id, body.nature, body.householdSize, body.householdId ?? null, body.address.community, body.address.building, body.address.unit, body.address.room, body.tariffCode],
        );
        await writeSearch(tx, services.tenant, account!.id, customer.name, body.address);
        return submit(tx, services, 'open', {
          accountId: account!.id,
          request: {
            customerId: Number(customer.id),
            customerName: customer.name,
            newCustomer: body.customer !== undefined,
            nature: body.nature,
            householdSize: body.householdSize,
            householdId: body.householdId === undefined ? null : Number(body.householdId),
            address: body.address,
            tariffCode: body.tariffCode,
            note: body.note ?? null,
          },
          documents: storedDocuments(body.documents),
          requestKey: body.requestKey,
          variables: {
            ...accountVariables(account!, customer.name),
            detail: `${natureNames[body.nature]['zh-CN']}，${body.householdSize} 人，水价 ${body.tariffCode}${body.note ? `；${body.note}` : ''}`,
          },
        });
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/requests/transfer',
    permission: PERMISSIONS.accountsWrite,
    status: 201,
    summary: '过户: the account passes to another customer (existing or new) after approval (process billing_account_transfer)',
    body: transferBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const earlier = await earlierSubmit(tx, services, body.requestKey, 'transfer');
        if (earlier) return earlier;
        const account = await requireActive(tx, services.tenant.id, body.accountId);
        const from = await requireCustomer(tx, services.tenant.id, account.customer_id, 'body.accountId');
        const to = await customerOf(tx, services, body);
        if (to.id === from.id) throw invalid(l('新用户与原用户相同', 'The new customer is the current one'), 'body.customerId');
        return submit(tx, services, 'transfer', {
          accountId: account.id,
          request: {
            fromCustomerId: Number(from.id),
            fromCustomerName: from.name,
            toCustomerId: Number(to.id),
            toCustomerName: to.name,
            newCustomer: body.customer !== undefined,
            note: body.note ?? null,
          },
          documents: storedDocuments(body.documents),
          requestKey: body.requestKey,
          variables: { ...accountVariables(account, from.name), detail: `过户给 ${to.name}${body.note ? `；${body.note}` : ''}` },
        });
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/requests/close',
    permission: PERMISSIONS.accountsWrite,
    status: 201,
    summary: '销户: refused while the account owes money or holds prepaid credit; closes the account after approval (process billing_account_close)',
    body: closeBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const earlier = await earlierSubmit(tx, services, body.requestKey, 'close');
        if (earlier) return earlier;
        const account = await requireActive(tx, services.tenant.id, body.accountId);
        const refusal = await closeRefusal(tx, account);
        if (refusal) throw new PackError('conflict', refusal, 'body.accountId');
        const customer = await requireCustomer(tx, services.tenant.id, account.customer_id, 'body.accountId');
        return submit(tx, services, 'close', {
          accountId: account.id,
          request: { reason: body.reason, customerId: Number(customer.id), customerName: customer.name },
          documents: storedDocuments(body.documents),
          requestKey: body.requestKey,
          variables: { ...accountVariables(account, customer.name), detail: `销户：${body.reason}` },
        });
      }),
  }),

  defineRoute({
    method: 'post',
    path: '/requests/meter-change',
    permission: PERMISSIONS.accountsWrite,
    status: 201,
    summary: "换表: after approval a field task swaps the meter (recorded in metering's meter archive); the request is done once the swap is recorded (process billing_meter_change)",
    body: meterChangeBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        const tenantId = services.tenant.id;
        const earlier = await earlierSubmit(tx, services, body.requestKey, 'meter_change');
        if (earlier) return earlier;
        const account = await requireActive(tx, tenantId, body.accountId);
        const [meter] = await tx.query<{ id: string; meter_no: string; household: string | null; status: string | null }>(
          `select id, data->>'meterNo' as meter_no, data->>'household' as household, data->>'status' as status
             from public.entity_records where id = $1::bigint and entity = 'metering_meter' and tenant_id = $2`,
          [body.oldMeterId, tenantId],
        );
        if (!meter) throw notFound(l(`没有水表 ${body.oldMeterId}`, `No meter ${body.oldMeterId}`), 'body.oldMeterId');
        if (account.household_id === null || meter.household !== account.household_id) {
          throw invalid(l(`水表 ${meter.meter_no} 不属于账户 ${account.account_no} 的计量户`, `Meter ${meter.meter_no} does not belong to account ${account.account_no}'s household`), 'body.oldMeterId');
        }
        const [swapped] = await tx.query<{ id: string }>(`select id from pack_metering.swaps where tenant_id = $1 and old_meter_id = $2::bigint`, [tenantId, meter.id]);
        if (swapped || meter.status === 'swapped' || meter.status === 'retired') {
          throw conflict(l(`水表 ${meter.meter_no} 已换下或已拆除`, `Meter ${meter.meter_no} is already swapped out or retired`), 'body.oldMeterId');
        }
        if (body.newMeterNo === meter.meter_no) throw invalid(l('新表号与旧表号相同', 'The new meter number is the old one'), 'body.newMeterNo');
        const customer = await requireCustomer(tx, tenantId, account.customer_id, 'body.accountId');
        return submit(tx, services, 'meter_change', {
          accountId: account.id,
          request: { oldMeterId: Number(meter.id), oldMeterNo: meter.meter_no, newMeterNo: body.newMeterNo, reason: body.reason },
          documents: storedDocuments(body.documents),
          requestKey: body.requestKey,
          variables: {
            ...accountVariables(account, customer.name),
            detail: `换表 ${meter.meter_no} → ${body.newMeterNo}：${body.reason}`,
            oldMeterId: Number(meter.id),
            oldMeterNo: meter.meter_no,
            newMeterNo: body.newMeterNo,
            reason: body.reason,
          },
        });
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/requests',
    permission: PERMISSIONS.accountsRead,
    summary: 'Account requests, newest first; filters accountId, status, kind',
    query: z.object({
      ...page,
      accountId: z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id: digits').optional(),
      status: z.enum(['pending', 'approved', 'rejected', 'done']).optional(),
      kind: z.enum(REQUEST_KINDS).optional(),
    }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`r.tenant_id = ${p.add(services.tenant.id)}`];
        if (query.accountId) where.push(`r.account_id = ${p.add(query.accountId)}::bigint`);
        if (query.status) where.push(`r.status = ${p.add(query.status)}`);
        if (query.kind) where.push(`r.kind = ${p.add(query.kind)}`);
        const { rows, total } = await pageRows<RequestRow>(tx, `select ${REQUEST_COLUMNS} from ${REQUEST_FROM} where ${where.join(' and ')}`, 'id desc', p, query);
        return { items: rows.map(presentRequest), total, page: query.page, pageSize: query.pageSize };
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/requests/:id',
    permission: PERMISSIONS.accountsRead,
    summary: 'One account request: what was asked, its documents (names and sizes), the decision and its process instance',
    params: idParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const row = await requestById(tx, services.tenant.id, params.id);
        if (!row) throw notFound(l(`没有业务 ${params.id}`, `No request ${params.id}`), 'params.id');
        return presentRequest(row);
      }),
  }),

  defineRoute({
    method: 'get',
    path: '/requests/:id/documents/:index',
    permission: PERMISSIONS.accountsRead,
    summary: "One document of a request, with its content as a data URL",
    params: z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'an id: digits'), index: z.coerce.number().int().min(0).max(MAX_DOCUMENTS - 1) }),
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const [row] = await tx.query<{ document: StoredDocument | null; found: boolean }>(
          `select documents -> $3::int as document, true as found from pack_billing.account_requests where id = $1::bigint and tenant_id = $2`,
          [params.id, services.tenant.id, params.index],
        );
        if (!row) throw notFound(l(`没有业务 ${params.id}`, `No request ${params.id}`), 'params.id');
        if (!row.document) throw notFound(l(`业务 ${params.id} 没有第 ${params.index + 1} 个附件`, `Request ${params.id} has no document ${params.index}`), 'params.index');
        return { index: params.index, ...row.document };
      }),
  }),
];
