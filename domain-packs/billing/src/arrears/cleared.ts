/**
 * After a payment: the hook the payments part calls at the end of every payment booking (counter, bank file,
 * online), in the booking's transaction. When the account has a valve case whose valve is closed and no
 * arrears any more, it publishes `billing.arrears-cleared` (correlation key: the account id), which the case's
 * process waits for to reopen the valve. The message is correlated in the same transaction: a booking that
 * rolls back reopens nothing.
 */
import type { PackTenant, PackTx } from '@shuiyun/sdk';
import { casePaid, CLEARED_MESSAGE, type CaseStatus } from './valve.js';

export { CLEARED_MESSAGE };

/** Publishes `billing.arrears-cleared` for the account when its closed valve case's arrears are paid; else nothing. */
export async function afterPayment(tx: PackTx, tenant: PackTenant, accountId: string): Promise<void> {
  const [row] = await tx.query<{ id: string; account_id: string; status: CaseStatus }>(
    `select id::text, account_id::text, status from pack_billing.valve_cases where tenant_id = $1 and account_id = $2::bigint and status = 'closed'`,
    [tenant.id, accountId],
  );
  if (!row) return;
  if (await casePaid(tx, tenant, row)) await tx.publishMessage(CLEARED_MESSAGE, { correlationKey: row.account_id });
}
