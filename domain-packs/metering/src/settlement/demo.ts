/** The demo utility's settled months: each settled like a clerk's run, all but the newest closed. */
import type { PackServices } from '@shuiyun/sdk';
import { closePeriod } from './routes.js';
import { settlePeriod } from './settle.js';
import { TENANT_SCOPE } from './shared.js';

export async function demoSettle(services: PackServices, periods: readonly string[]): Promise<void> {
  for (const [i, period] of periods.entries()) {
    await settlePeriod(services, { period, scope: TENANT_SCOPE });
    if (i < periods.length - 1) await services.transaction((tx) => closePeriod(services, tx, period, TENANT_SCOPE));
  }
}
