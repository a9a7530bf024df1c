/**
 * 财务: accounting periods and their close (immutable once closed), gapless receipt series and receipts
 * (void with reason), daily reconciliation per channel and cashier, and the daily cash report.
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { periodRoutes } from './close.js';
import { receiptRoutes } from './receipts.js';
import { reconcileRoutes } from './reconcile.js';

export { financePeriodFor } from './periods.js';
export { seedFinance, DEFAULT_RECEIPT_SERIES, DEFAULT_INVOICE_SERIES } from './seed.js';
export { issueReceipt, voidReceipt } from './receipts.js';

export const financePart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'events'> = {
  routes: [...periodRoutes, ...receiptRoutes, ...reconcileRoutes],
};
