/**
 * What a first install puts in a tenant for the accounts part: the billing settings row (account numbers
 * without prefix, 8 digits; 30 days to pay; the domain's default late-fee rule and dunning schedule; valves
 * not closed for arrears until the tenant enables it; in-app notices) and four default tariffs, version 1
 * each, effective from 2014-05-01 (the day Beijing's residential tiered water prices took effect):
 *
 * - `residential` (居民阶梯): Beijing's published tap-water tariff — annual tiers 0–180 / 181–260 / >260 m³ at
 *   5 / 7 / 9 元/m³, made of 水费 2.07 / 4.07 / 6.07 + 水资源 1.57 + 污水处理 1.36 (flat components, one line each);
 *   Beijing's household rule: from the 6th person each tier bound +30 m³ per person; half-up rounding per line.
 * - `shared` (合表): shared meters pay a flat price; here the first tier's 5 元/m³ (2.07 + 1.57 + 1.36).
 * - `non_residential` (非居民) and `special` (特种行业): flat. The published table this pack is built from gives
 *   no non-residential or special-industry price, so both are seeded at the top residential composite,
 *   9 元/m³ (6.07 + 1.57 + 1.36), as placeholders: a tenant sets its notice's prices as a new version
 *   (POST /tariffs/<code>/versions) before billing such accounts.
 *
 * Check the current price notice before billing for real: prices change.
 */
import type { PackSeedContext } from '@shuiyun/sdk';
import type { TariffComponent, TariffDefinition } from '../domain/index.js';
import { l } from '../shared.js';
import { ensureSettings } from './settings.js';
import { insertTariffVersion } from './tariffs.js';

export const SEED_EFFECTIVE_FROM = '2014-05-01';

const water = (prices: string[]): TariffComponent => ({ code: 'water', name: l('水费', 'Water supply'), prices, shareBp: 10_000 });
const resource: TariffComponent = { code: 'resource', name: l('水资源税', 'Water resource tax'), prices: ['15700'], shareBp: 10_000 };
const sewage: TariffComponent = { code: 'sewage', name: l('污水处理费', 'Sewage treatment'), prices: ['13600'], shareBp: 10_000 };

/** Beijing residential: annual tiers, 180 / 260 m³, 2.07 / 4.07 / 6.07 + 1.57 + 1.36 元/m³, +30 m³ per person from the 6th. */
export const residentialTariff: TariffDefinition = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['180000', '260000'],
  components: [water(['20700', '40700', '60700']), resource, sewage],
  household: { fromPersons: 6, extraL: '30000', perPerson: true, bounds: 'all' },
  rounding: 'half_up',
  priceChange: 'days',
};

const flat = (waterPrice: string): TariffDefinition => ({
  accounting: { period: 'month' },
  boundsL: [],
  components: [water([waterPrice]), resource, sewage],
  rounding: 'half_up',
  priceChange: 'days',
});

export const defaultTariffs: { code: string; name: { 'zh-CN': string; en: string }; definition: TariffDefinition }[] = [
  { code: 'residential', name: l('居民阶梯水价', 'Residential tiered'), definition: residentialTariff },
  { code: 'non_residential', name: l('非居民水价', 'Non-residential'), definition: flat('60700') },
  { code: 'shared', name: l('合表水价', 'Shared meter'), definition: flat('20700') },
  { code: 'special', name: l('特种行业水价', 'Special industry'), definition: flat('60700') },
];

/** The accounts part's seed: the settings row and the default tariffs (nothing twice). */
export async function seedAccounts(ctx: PackSeedContext): Promise<void> {
  await ctx.transaction(async (tx) => {
    await ensureSettings(tx, ctx.tenant);
    for (const t of defaultTariffs) {
      await insertTariffVersion(tx, ctx.tenant, {
        code: t.code,
        version: 1,
        name: ctx.locale === 'en' ? t.name.en : t.name['zh-CN'],
        effectiveFrom: SEED_EFFECTIVE_FROM,
        definition: t.definition,
        createdBy: ctx.user?.id ?? null,
      });
    }
  });
}
