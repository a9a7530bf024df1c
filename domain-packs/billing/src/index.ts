/**
 * @shuiyun/pack-billing — 营业收费: customers and accounts with their lifecycle processes, versioned tiered
 * tariffs and quotes, billing runs over metering's closed settlement periods, payments (counter, bank file,
 * online), prepaid balances, arrears with late fees, dunning and valve control, finance periods,
 * reconciliation and gapless receipts, with reports, pages and menu. Built on `@shuiyun/sdk` only.
 */
import { definePack, type PackManifestInput } from '@shuiyun/sdk';
import { postgresMigrations } from './migrations/index.js';
import { accountsPart } from './accounts/index.js';
import { billingPart } from './billing/index.js';
import { paymentsPart } from './payments/index.js';
import { arrearsPart } from './arrears/index.js';
import { financePart } from './finance/index.js';
import { permissions } from './permissions.js';
import { seedAccounts } from './accounts/seed.js';
import { seedFinance } from './finance/seed.js';
import { demo } from './demo.js';
import { presentation } from './presentation.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const parts = [accountsPart, billingPart, paymentsPart, arrearsPart, financePart];

export const billingManifest: PackManifestInput = {
  id: 'billing',
  version: '1.0.0',
  platform: '^0.1.0',
  name: l('营业收费', 'Billing and collection'),
  description: l('用户开户、阶梯水价、账单、收费、欠费催缴与关阀、财务对账与票据', 'Accounts, tiered tariffs, bills, payments, arrears and valve control, reconciliation and receipts'),
  dependsOn: { metering: '^1.0.0' },
  migrations: { postgres: postgresMigrations, analytics: [] },
  routes: parts.flatMap((p) => p.routes ?? []),
  workers: parts.flatMap((p) => p.workers ?? []),
  processes: parts.flatMap((p) => p.processes ?? []),
  forms: parts.flatMap((p) => p.forms ?? []),
  permissions,
  ...presentation,
  events: {
    emits: parts.flatMap((p) => p.events?.emits ?? []),
    consumes: parts.flatMap((p) => p.events?.consumes ?? []),
    on: Object.assign({}, ...parts.map((p) => p.events?.on ?? {})),
  },
  /** Settings, the default tariffs, receipt series and the current finance period of a tenant's first install. */
  seed: async (ctx) => {
    await seedAccounts(ctx);
    await seedFinance(ctx);
  },
  demo,
};

/** The billing pack, checked. */
export const billing = definePack(billingManifest);
export default billing;
export * from './domain/index.js';
