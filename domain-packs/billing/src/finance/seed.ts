/**
 * What a first install of billing puts in a tenant for finance: the default receipt series `R` (收据, numbers
 * R00000001 …), an invoice series `I` (发票 FP00000001 …) and the current accounting period. Idempotent: an
 * install that finds them (kept by an earlier uninstall) leaves them as they are.
 */
import type { PackSeedContext } from '@shuiyun/sdk';
import { financePeriodFor } from './periods.js';

export const DEFAULT_RECEIPT_SERIES = 'R';
export const DEFAULT_INVOICE_SERIES = 'I';

export async function seedFinance(ctx: PackSeedContext): Promise<void> {
  await ctx.transaction(async (tx) => {
    await tx.query(
      `insert into pack_billing.receipt_series (tenant_id, tenant_path, series, kind, prefix, width)
       values ($1, $2::ltree, $3, 'receipt', 'R', 8), ($1, $2::ltree, $4, 'invoice', 'FP', 8)
       on conflict (tenant_id, series) do nothing`,
      [ctx.tenant.id, ctx.tenant.path, DEFAULT_RECEIPT_SERIES, DEFAULT_INVOICE_SERIES],
    );
    await financePeriodFor(tx, ctx.tenant, new Date());
  });
}
