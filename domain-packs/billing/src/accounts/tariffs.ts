/**
 * 水价: a tariff (by code) is a list of versions, each in force from its `effectiveFrom` local date until
 * the next one's. A new version is appended, never edited: version = last + 1, effective after the last
 * version's date and not before today (bills already issued were priced with the versions in force then,
 * and a price that applies to days already billed would make them wrong; a correction of past bills is an
 * adjustment). Definitions are checked with the domain's `tariffDefinition`.
 */
import { defineRoute, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { isDate, localDate, tariffDefinition, type TariffDefinition, type TariffVersion } from '../domain/index.js';
import { conflict, invalid, iso, l, notFound, PERMISSIONS } from '../shared.js';

export const TARIFF_CODE = /^[a-z][a-z0-9_-]{0,39}$/;
const codeParams = z.object({ code: z.string().regex(TARIFF_CODE, 'a tariff code: a lower-case letter, then letters, digits, _ or - (at most 40)') });

interface TariffRow {
  id: string;
  code: string;
  version: number;
  name: string;
  effective_from: string;
  definition: TariffDefinition;
  created_by: string | null;
  created_at: Date | string;
}

const TARIFF_COLUMNS = `id, code, version, name, to_char(effective_from, 'YYYY-MM-DD') as effective_from, definition, created_by, created_at`;

const presentTariff = (t: TariffRow) => ({
  id: Number(t.id),
  code: t.code,
  version: t.version,
  name: t.name,
  effectiveFrom: t.effective_from,
  definition: t.definition,
  createdBy: t.created_by === null ? null : Number(t.created_by),
  createdAt: iso(t.created_at),
});

/**
 * The versions of tariff `code` of the transaction's own tenant (not its sub-tenants'), oldest first;
 * [] when the code is unknown. For the billing run and the quote.
 */
export async function loadTariffVersions(tx: PackTx, code: string): Promise<TariffVersion[]> {
  const rows = await tx.query<{ version: number; effective_from: string; definition: TariffDefinition }>(
    `select version, to_char(effective_from, 'YYYY-MM-DD') as effective_from, definition from pack_billing.tariffs
      where tenant_path = (select shuiyun_tenant()) and code = $1 order by version`,
    [code],
  );
  return rows.map((r) => ({ version: r.version, effectiveFrom: r.effective_from, definition: tariffDefinition.parse(r.definition) }));
}

/** Is there a tariff `code` in the tenant? */
export async function tariffExists(tx: PackTx, tenantId: number, code: string): Promise<boolean> {
  const [row] = await tx.query<{ one: number }>(`select 1 as one from pack_billing.tariffs where tenant_id = $1 and code = $2 limit 1`, [tenantId, code]);
  return row !== undefined;
}

/** Inserts a version as given (the seed, and the checked route). Answers null when that version or date is taken. */
export async function insertTariffVersion(
  tx: PackTx,
  tenant: { id: number; path: string },
  v: { code: string; version: number; name: string; effectiveFrom: string; definition: TariffDefinition; createdBy: number | null },
): Promise<TariffRow | null> {
  const [row] = await tx.query<TariffRow>(
    `insert into pack_billing.tariffs (tenant_id, tenant_path, code, version, name, effective_from, definition, created_by)
     values ($1, $2::ltree, $3, $4::int, $5, $6::date, $7::jsonb, $8::bigint)
     on conflict do nothing returning ${TARIFF_COLUMNS}`,
    [tenant.id, tenant.path, v.code, v.version, v.name, v.effectiveFrom, v.definition as unknown as Record<string, unknown>, v.createdBy === null ? null : String(v.createdBy)],
  );
  return row ?? null;
}

export const tariffRoutes = [
  defineRoute({
    method: 'get',
    path: '/tariffs',
    permission: PERMISSIONS.tariffsRead,
    summary: 'The tariffs: the latest version of each code, with how many versions it has and the version in force today',
    handler: async (_input, services) =>
      services.transaction(async (tx) => {
        const today = localDate(new Date(), services.tenant.timeZone);
        const rows = await tx.query<TariffRow & { versions: number; in_force: number | null }>(
          `select distinct on (code) ${TARIFF_COLUMNS},
                  count(*) over (partition by code)::int as versions,
                  (select max(t2.version) from pack_billing.tariffs t2 where t2.tenant_id = t.tenant_id and t2.code = t.code and t2.effective_from <= $2::date) as in_force
             from pack_billing.tariffs t where tenant_id = $1 order by code, version desc`,
          [services.tenant.id, today],
        );
        return { items: rows.map((r) => ({ ...presentTariff(r), versions: r.versions, versionInForce: r.in_force })), total: rows.length };
      }),
  }),
  defineRoute({
    method: 'get',
    path: '/tariffs/:code',
    permission: PERMISSIONS.tariffsRead,
    summary: "Every version of a tariff, oldest first, and the one in force today",
    params: codeParams,
    handler: async ({ params }, services) =>
      services.transaction(async (tx) => {
        const rows = await tx.query<TariffRow>(`select ${TARIFF_COLUMNS} from pack_billing.tariffs where tenant_id = $1 and code = $2 order by version`, [services.tenant.id, params.code]);
        if (rows.length === 0) throw notFound(l(`没有水价 ${params.code}`, `No tariff ${params.code}`), 'params.code');
        const today = localDate(new Date(), services.tenant.timeZone);
        const inForce = rows.filter((r) => r.effective_from <= today).at(-1);
        return { code: params.code, versions: rows.map(presentTariff), versionInForce: inForce?.version ?? null };
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/tariffs/:code/versions',
    permission: PERMISSIONS.tariffsWrite,
    status: 201,
    summary: 'Adds the next version of a tariff (a new code starts at version 1): effective from a date after the last version\'s and not in the past',
    params: codeParams,
    body: z.strictObject({
      name: z.string().trim().min(1, 'a name is required').max(100),
      effectiveFrom: z.string().refine(isDate, 'a date YYYY-MM-DD'),
      definition: tariffDefinition,
    }),
    handler: async ({ params, body }, services) =>
      services.transaction(async (tx) => {
        const today = localDate(new Date(), services.tenant.timeZone);
        const [last] = await tx.query<{ version: number; effective_from: string }>(
          `select version, to_char(effective_from, 'YYYY-MM-DD') as effective_from from pack_billing.tariffs where tenant_id = $1 and code = $2 order by version desc limit 1`,
          [services.tenant.id, params.code],
        );
        if (body.effectiveFrom < today) {
          throw invalid(
            l(
              `生效日期 ${body.effectiveFrom} 早于今天 ${today}：新价格不能追溯到已过去的日子（已出账单按当时的价格计算，更正请走调账）`,
              `Effective from ${body.effectiveFrom} is before today (${today}): a new price cannot reach back to days already past (bills already issued keep the prices in force then; correct them with an adjustment)`,
            ),
            'body.effectiveFrom',
          );
        }
        if (last && body.effectiveFrom <= last.effective_from) {
          throw invalid(
            l(
              `生效日期 ${body.effectiveFrom} 须晚于上一版本（第 ${last.version} 版，${last.effective_from} 起）的生效日期：版本按日期依次生效`,
              `Effective from ${body.effectiveFrom} must come after version ${last.version}'s date (${last.effective_from}): versions take effect one after another`,
            ),
            'body.effectiveFrom',
          );
        }
        const row = await insertTariffVersion(tx, services.tenant, {
          code: params.code,
          version: (last?.version ?? 0) + 1,
          name: body.name,
          effectiveFrom: body.effectiveFrom,
          definition: body.definition,
          createdBy: services.user?.id ?? null,
        });
        if (!row) throw conflict(l(`水价 ${params.code} 刚刚增加了新版本，请刷新后再试`, `Another version of tariff ${params.code} was just added; reload and try again`), 'params.code');
        return presentTariff(row);
      }),
  }),
];
