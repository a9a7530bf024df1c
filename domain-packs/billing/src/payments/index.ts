/**
 * 收费: counter payments (cash with change, card) with gapless receipts, prepaid credit and the account
 * balance, reversals and refunds with approval, online payments through the payment port with the
 * gateway's public callback, and bank collection files. The routes with fixed segments under `/payments`
 * come before `/payments/:id`.
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { bankRoutes } from './bank.js';
import { counterRoutes } from './counter.js';
import { onlineRoutes } from './online.js';
import { refundFormArtifact, refundProcess, refundRoutes, applyRefundWorker } from './refund.js';
import { applyReversalWorker, reversalFormArtifact, reversalProcess, reversalRoutes } from './reversal.js';

export { accountBalance, applyCredit } from './ledger.js';
export { APPROVER_GROUP } from './approval.js';
export { REVERSAL_PROCESS, APPLY_REVERSAL } from './reversal.js';
export { REFUND_PROCESS, APPLY_REFUND } from './refund.js';
export { usePaymentGateway } from './online.js';

export const paymentsPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'events'> = {
  routes: [...bankRoutes, ...onlineRoutes, ...reversalRoutes, ...refundRoutes, ...counterRoutes],
  workers: [applyReversalWorker, applyRefundWorker],
  processes: [reversalProcess, refundProcess],
  forms: [reversalFormArtifact, refundFormArtifact],
};
