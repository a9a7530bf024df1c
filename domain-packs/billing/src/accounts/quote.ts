/**
 * 水费试算: what N m³ would cost an account on a day (today in the tenant's zone unless told), and in which
 * tier it falls: the account's tariff version in force that day, its household size (the household rule
 * moves the tier bounds), and the volume already billed in the accounting year (Σ bills.volume_l of the
 * account over the billing periods of the year `accountingYearOf` names). Volumes are exact: litres as
 * digits, or m³ as decimal text with at most 3 decimals.
 */
import { defineRoute, PackError } from '@shuiyun/sdk';
import { z } from 'zod';
import { accountingYearOf, formatM3, formatPrice, formatYuan, isDate, localDate, quote, versionInForce } from '../domain/index.js';
import { conflict, invalid, l, PERMISSIONS } from '../shared.js';
import { idInput } from './model.js';
import { loadTariffVersions } from './tariffs.js';

const MAX_LITRES = 10n ** 12n; // a million m³ … a thousand times over: beyond any one quote

/** m³ text ('12', '12.5', '0.125') as exact litres; null when it is not such a number. */
export function m3ToLitres(m3: string): bigint | null {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,3}))?$/.exec(m3.trim());
  if (!m) return null;
  return BigInt(m[1]!) * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
}

export const quoteBody = z.strictObject({
  accountId: idInput.optional(),
  accountNo: z.string().trim().min(1).max(40).optional(),
  volumeL: z.union([z.string().regex(/^[0-9]{1,15}$/, 'whole litres, as digits'), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).optional(),
  volumeM3: z.string().max(20).optional(),
  date: z.string().refine(isDate, 'a date YYYY-MM-DD').optional(),
});

export const quoteRoutes = [
  defineRoute({
    method: 'post',
    path: '/quote',
    permission: PERMISSIONS.tariffsRead,
    summary: "What a volume would cost an account on a day (today by default) and its tier: the account's tariff, household size and the volume already billed this accounting year",
    body: quoteBody,
    handler: async ({ body }, services) => {
      if ((body.accountId === undefined) === (body.accountNo === undefined)) {
        throw invalid(l('请给出账户 ID（accountId）或户号（accountNo）之一', 'Give one of accountId or accountNo'), 'body.accountId');
      }
      if ((body.volumeL === undefined) === (body.volumeM3 === undefined)) {
        throw invalid(l('请给出水量：升（volumeL）或立方米（volumeM3）之一', 'Give the volume: one of volumeL (litres) or volumeM3'), 'body.volumeL');
      }
      let volumeL: bigint;
      if (body.volumeM3 !== undefined) {
        const litres = m3ToLitres(body.volumeM3);
        if (litres === null) throw invalid(l(`水量 "${body.volumeM3}" 应为立方米数，最多 3 位小数`, `The volume "${body.volumeM3}" must be m³ with at most 3 decimals`), 'body.volumeM3');
        volumeL = litres;
      } else volumeL = BigInt(body.volumeL!);
      if (volumeL > MAX_LITRES) throw invalid(l('水量过大', 'The volume is too large'), body.volumeM3 !== undefined ? 'body.volumeM3' : 'body.volumeL');
      const date = body.date ?? localDate(new Date(), services.tenant.timeZone);

      return services.transaction(async (tx) => {
        const [account] = await tx.query<{ id: string; account_no: string | null; tariff_code: string; household_size: number; status: string }>(
          `select id, account_no, tariff_code, household_size, status from pack_billing.accounts
            where tenant_id = $1 and ${body.accountId !== undefined ? 'id = $2::bigint' : 'account_no = $2'}`,
          [services.tenant.id, body.accountId ?? body.accountNo!.toUpperCase()],
        );
        if (!account) {
          const what = body.accountId ?? body.accountNo!;
          throw new PackError('not_found', l(`没有账户 ${what}`, `No account ${what}`), body.accountId !== undefined ? 'body.accountId' : 'body.accountNo');
        }
        const versions = await loadTariffVersions(tx, account.tariff_code);
        const version = versions.length > 0 ? versionInForce(versions, date) : undefined;
        if (!version) {
          throw conflict(
            l(`账户的水价 ${account.tariff_code} 在 ${date} 没有生效的版本`, `The account's tariff ${account.tariff_code} has no version in force on ${date}`),
            body.date !== undefined ? 'body.date' : 'body.accountId',
          );
        }
        const year = accountingYearOf(version.definition, date.slice(0, 7));
        const [billed] = await tx.query<{ volume_l: string }>(
          `select coalesce(sum(volume_l), 0)::text as volume_l from pack_billing.bills
            where tenant_id = $1 and account_id = $2::bigint and period between $3 and $4`,
          [services.tenant.id, account.id, year.firstPeriod, year.lastPeriod],
        );
        const cumulativeBeforeL = BigInt(billed!.volume_l);
        const result = quote(versions, date, volumeL, cumulativeBeforeL, account.household_size);
        return {
          accountId: Number(account.id),
          accountNo: account.account_no,
          tariffCode: account.tariff_code,
          tariffVersion: result.version,
          date,
          accountingYear: year.key,
          householdSize: account.household_size,
          volumeL: volumeL.toString(),
          volumeM3: formatM3(volumeL),
          cumulativeBeforeL: cumulativeBeforeL.toString(),
          cumulativeAfterL: result.cumulativeAfterL.toString(),
          tier: result.tier,
          amountFen: result.amountFen.toString(),
          amountYuan: formatYuan(result.amountFen),
          lines: result.lines.map((line) => ({
            component: line.component,
            componentName: line.componentName,
            tier: line.tier,
            volumeL: line.volumeL.toString(),
            chargedL: line.chargedL.toString(),
            shareBp: line.shareBp,
            priceUnits: line.priceUnits.toString(),
            priceYuan: formatPrice(line.priceUnits),
            amountFen: line.amountFen.toString(),
            amountYuan: formatYuan(line.amountFen),
          })),
        };
      });
    },
  }),
];
