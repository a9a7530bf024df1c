/** What a first install puts in a tenant: the default settlement plan. */
import type { PackSeed } from '@shuiyun/sdk';
import { PLAN } from './archive/entities.js';

export const seed: PackSeed = async (ctx) => {
  await ctx.createRecord(PLAN, { name: ctx.locale === 'en' ? 'Monthly settlement' : '月度结算', dayOfMonth: 1, toleranceDays: 3, maxRatio: 3, zeroDays: 30 });
};
