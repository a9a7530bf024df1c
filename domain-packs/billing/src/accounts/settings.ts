/**
 * 收费参数: the tenant's billing settings, one row per tenant (seeded at install, created with the defaults
 * when missing): the account-number rule (prefix + zero-padded sequence, numbers taken gapless under the
 * row's lock), days from a bill to its due date, the late-fee rule, the dunning schedule, valve control
 * (its shape is the arrears part's `valveSettings`) and the notification channels. Other parts read them
 * with `loadSettings`.
 */
import { defineRoute, type PackTenant, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { DEFAULT_DUNNING, dunningSchedule, type DunningStep, formatAccountNo, lateFeeRule, type LateFeeRule } from '../domain/index.js';
import { DEFAULT_VALVE, valveSettings, type ValveSettings } from '../arrears/settings.js';
import { notifySettings, type NotifySettings } from '../notify/notify.js';
import { invalid, iso, l, PERMISSIONS, text } from '../shared.js';

/** What GET /settings shows for a stored secret; PUT with it keeps the stored one. */
export const SECRET_MASK = '********';

export interface BillingSettings {
  accountPrefix: string;
  accountWidth: number;
  nextAccountSeq: bigint;
  dueDays: number;
  lateFee: LateFeeRule;
  dunning: DunningStep[];
  valve: ValveSettings;
  notify: NotifySettings;
}

/** A prefix of an account number: capitals, digits and '-', at most 12 (the search upper-cases what is typed). */
export const accountPrefix = z.string().regex(/^[A-Z0-9-]{0,12}$/, 'capital letters, digits and -, at most 12');

/** What PUT /settings takes: any of the parts (the others stay as they are). */
export const settingsBody = z.strictObject({
  accountNumber: z.strictObject({ prefix: accountPrefix, width: z.number().int().min(4, '4..16 digits').max(16, '4..16 digits') }).optional(),
  dueDays: z.number().int().min(0, '0..365 days').max(365, '0..365 days').optional(),
  lateFee: lateFeeRule.optional(),
  dunning: dunningSchedule.optional(),
  valve: valveSettings.optional(),
  notify: notifySettings.optional(),
});

interface SettingsRow {
  account_prefix: string;
  account_width: number;
  next_account_seq: string;
  due_days: number;
  late_fee: unknown;
  dunning: unknown;
  valve: unknown;
  notify: unknown;
  updated_at: Date | string;
}

const SETTINGS_COLUMNS = 'account_prefix, account_width, next_account_seq, due_days, late_fee, dunning, valve, notify, updated_at';

/** Stored JSON read back leniently: what does not parse falls back to the defaults. */
function settingsOf(row: SettingsRow): BillingSettings {
  const late = lateFeeRule.safeParse(row.late_fee ?? {});
  const dunning = dunningSchedule.safeParse(row.dunning);
  const valve = valveSettings.safeParse(row.valve);
  const notify = notifySettings.safeParse(row.notify);
  return {
    accountPrefix: row.account_prefix,
    accountWidth: row.account_width,
    nextAccountSeq: BigInt(row.next_account_seq),
    dueDays: row.due_days,
    lateFee: late.success ? late.data : lateFeeRule.parse({}),
    dunning: dunning.success ? dunning.data : DEFAULT_DUNNING,
    valve: valve.success ? valve.data : DEFAULT_VALVE,
    notify: notify.success ? notify.data : notifySettings.parse({}),
  };
}

/** The default settings row of a tenant (the seed writes it; a missing one is created the same way). */
export async function ensureSettings(tx: PackTx, tenant: PackTenant): Promise<void> {
  await tx.query(
    `insert into pack_billing.settings (tenant_id, tenant_path, late_fee, dunning, valve, notify)
     select $1, $2::ltree, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb
      where not exists (select 1 from pack_billing.settings where tenant_id = $1)
     on conflict (tenant_id) do nothing`,
    [tenant.id, tenant.path, lateFeeRule.parse({}), JSON.stringify(DEFAULT_DUNNING), { ...DEFAULT_VALVE }, { ...notifySettings.parse({}) }],
  );
}

/** The tenant's billing settings (created with the defaults when missing). */
export async function loadSettings(tx: PackTx, tenant: PackTenant): Promise<BillingSettings> {
  let [row] = await tx.query<SettingsRow>(`select ${SETTINGS_COLUMNS} from pack_billing.settings where tenant_id = $1`, [tenant.id]);
  if (!row) {
    await ensureSettings(tx, tenant);
    [row] = await tx.query<SettingsRow>(`select ${SETTINGS_COLUMNS} from pack_billing.settings where tenant_id = $1`, [tenant.id]);
  }
  return settingsOf(row!);
}

/**
 * Takes the tenant's next account number: the sequence moves under the settings row's lock, held until the
 * calling transaction ends, so two approvals never share a number and a rolled-back one takes none (gapless).
 */
export async function takeAccountNo(tx: PackTx, tenant: PackTenant): Promise<string> {
  await ensureSettings(tx, tenant);
  const [row] = await tx.query<{ account_prefix: string; account_width: number; seq: string }>(
    `update pack_billing.settings set next_account_seq = next_account_seq + 1, updated_at = now()
      where tenant_id = $1 returning account_prefix, account_width, (next_account_seq - 1)::text as seq`,
    [tenant.id],
  );
  return formatAccountNo(row!.account_prefix, row!.account_width, BigInt(row!.seq));
}

const presentSettings = (s: BillingSettings, updatedAt: Date | string | null) => ({
  accountNumber: {
    prefix: s.accountPrefix,
    width: s.accountWidth,
    nextSeq: text(s.nextAccountSeq),
    next: s.nextAccountSeq.toString().length <= s.accountWidth ? formatAccountNo(s.accountPrefix, s.accountWidth, s.nextAccountSeq) : null,
  },
  dueDays: s.dueDays,
  lateFee: s.lateFee,
  dunning: s.dunning,
  valve: s.valve,
  // The SMS gateway's secret and WeChat's access token are never shown.
  notify: {
    ...s.notify,
    ...(s.notify.sms ? { sms: { ...s.notify.sms, secret: SECRET_MASK } } : {}),
    ...(s.notify.wechat ? { wechat: { ...s.notify.wechat, accessToken: SECRET_MASK } } : {}),
  },
  updatedAt: iso(updatedAt),
});

async function readSettings(tx: PackTx, tenant: PackTenant) {
  const settings = await loadSettings(tx, tenant);
  const [row] = await tx.query<{ updated_at: Date | string }>(`select updated_at from pack_billing.settings where tenant_id = $1`, [tenant.id]);
  return presentSettings(settings, row?.updated_at ?? null);
}

/** The notify settings to store: a masked secret (as GET shows it) keeps the stored one; refused when there is none. */
async function withStoredSecrets(tx: PackTx, tenant: PackTenant, notify: NotifySettings): Promise<NotifySettings> {
  const stored = (await loadSettings(tx, tenant)).notify;
  const next: NotifySettings = { ...notify };
  if (next.sms?.secret === SECRET_MASK) {
    if (!stored.sms) throw invalid(l('请填写短信网关的密钥', 'Give the SMS gateway secret'), 'body.notify.sms.secret');
    next.sms = { ...next.sms, secret: stored.sms.secret };
  }
  if (next.wechat?.accessToken === SECRET_MASK) {
    if (!stored.wechat) throw invalid(l('请填写微信的 access token', 'Give the WeChat access token'), 'body.notify.wechat.accessToken');
    next.wechat = { ...next.wechat, accessToken: stored.wechat.accessToken };
  }
  return next;
}

export const settingsRoutes = [
  defineRoute({
    method: 'get',
    path: '/settings',
    permission: PERMISSIONS.tariffsRead,
    summary: "The tenant's billing settings: account-number rule (and the next number), due days, late-fee rule, dunning schedule, valve control, notification channels",
    handler: async (_input, services) => services.transaction((tx) => readSettings(tx, services.tenant)),
  }),
  defineRoute({
    method: 'put',
    path: '/settings',
    permission: PERMISSIONS.tariffsWrite,
    summary: 'Changes the billing settings given (the others stay); the account-number rule applies to numbers taken from now on',
    body: settingsBody,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => {
        await ensureSettings(tx, services.tenant);
        // The row's lock: a number being taken at the same time finishes with the old rule first.
        const [locked] = await tx.query<{ next_account_seq: string }>(`select next_account_seq from pack_billing.settings where tenant_id = $1 for update`, [services.tenant.id]);
        if (body.accountNumber && locked!.next_account_seq.length > body.accountNumber.width) {
          throw invalid(
            l(`下一个户号序号 ${locked!.next_account_seq} 超出 ${body.accountNumber.width} 位，请加大位数`, `The next account sequence ${locked!.next_account_seq} does not fit in ${body.accountNumber.width} digits; choose a larger width`),
            'body.accountNumber.width',
          );
        }
        const sets: string[] = [];
        const values: unknown[] = [];
        const set = (column: string, value: unknown, cast = '') => {
          values.push(value);
          sets.push(`${column} = $${values.length + 1}${cast}`);
        };
        if (body.accountNumber) {
          set('account_prefix', body.accountNumber.prefix);
          set('account_width', body.accountNumber.width, '::int');
        }
        if (body.dueDays !== undefined) set('due_days', body.dueDays, '::int');
        if (body.lateFee) set('late_fee', body.lateFee, '::jsonb');
        if (body.dunning) set('dunning', JSON.stringify(body.dunning), '::jsonb');
        if (body.valve) set('valve', body.valve, '::jsonb');
        if (body.notify) set('notify', await withStoredSecrets(tx, services.tenant, body.notify), '::jsonb');
        if (sets.length > 0) {
          await tx.query(`update pack_billing.settings set ${sets.join(', ')}, updated_at = now() where tenant_id = $1`, [services.tenant.id, ...(values as never[])]);
        }
        return readSettings(tx, services.tenant);
      }),
  }),
];
