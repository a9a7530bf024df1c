/**
 * 开户管理 and 水价: the accounts part of the billing pack — settings, customers, accounts (the counter's
 * search and the 360° view), the lifecycle requests with their approval processes, forms and workers,
 * versioned tariffs and the quote. Its seed is `seedAccounts` (seed.ts); other parts read `loadSettings`,
 * `takeAccountNo` (settings.ts) and `loadTariffVersions` (tariffs.ts).
 */
import type { PackManifestInput } from '@shuiyun/sdk';
import { accountRoutes } from './accounts.js';
import { applyRequestWorker, completeMeterChangeWorker } from './apply.js';
import { customerRoutes } from './customers.js';
import { accountForms, accountProcesses } from './processes.js';
import { quoteRoutes } from './quote.js';
import { requestRoutes } from './requests.js';
import { settingsRoutes } from './settings.js';
import { tariffRoutes } from './tariffs.js';

export { seedAccounts } from './seed.js';
export { loadSettings, type BillingSettings } from './settings.js';
export { loadTariffVersions } from './tariffs.js';

export const accountsPart: Pick<PackManifestInput, 'routes' | 'workers' | 'processes' | 'forms' | 'events'> = {
  routes: [...settingsRoutes, ...customerRoutes, ...accountRoutes, ...requestRoutes, ...tariffRoutes, ...quoteRoutes],
  workers: [applyRequestWorker, completeMeterChangeWorker],
  processes: accountProcesses,
  forms: accountForms,
};
