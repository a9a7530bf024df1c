/**
 * The published tariffs of ../shared/DOMAIN.md ("Tariffs"), as tariff definitions: examples for seeds, demos and
 * tests. Prices are price units (0.0001 元/m³); bounds litres. Check the current notice before using one for
 * real billing.
 *
 * Household rules: Beijing adds 30 m³ to every bound for each person from the 6th; Shanghai adds 100 m³ once
 * for households of 5 or more. DOMAIN.md says "+100 m³ of basic volume" for Shanghai; this model moves both
 * bounds (bounds 'all') so that tier 2 keeps its 80 m³ — use bounds 'first' to move only the first one.
 */
import type { TariffDefinition } from './tariff.js';

const n = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** Beijing, residential tap water, annual tiers 0–180 / 181–260 / >260 m³ (5 / 7 / 9 元/m³). */
export const BEIJING_RESIDENTIAL: TariffDefinition = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['180000', '260000'],
  components: [
    { code: 'water', name: n('水费', 'Water supply'), prices: ['20700', '40700', '60700'], shareBp: 10_000 },
    { code: 'resource', name: n('水资源税', 'Water-resource tax'), prices: ['15700'], shareBp: 10_000 },
    { code: 'sewage', name: n('污水处理费', 'Sewage charge'), prices: ['13600'], shareBp: 10_000 },
  ],
  household: { fromPersons: 6, extraL: '30000', perPerson: true, bounds: 'all' },
  rounding: 'half_up',
  priceChange: 'days',
};

/** Beijing, a shared meter (合表): the tier-1 prices, flat. */
export const BEIJING_SHARED_METER: TariffDefinition = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: [],
  components: [
    { code: 'water', name: n('水费', 'Water supply'), prices: ['20700'], shareBp: 10_000 },
    { code: 'resource', name: n('水资源税', 'Water-resource tax'), prices: ['15700'], shareBp: 10_000 },
    { code: 'sewage', name: n('污水处理费', 'Sewage charge'), prices: ['13600'], shareBp: 10_000 },
  ],
  rounding: 'half_up',
  priceChange: 'days',
};

/** Shanghai (2013), annual tiers 0–220 / 220–300 / >300 m³; drainage on 90 % of the volume. */
export const SHANGHAI_RESIDENTIAL: TariffDefinition = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['220000', '300000'],
  components: [
    { code: 'water', name: n('自来水费', 'Tap water'), prices: ['19200', '33000', '43000'], shareBp: 10_000 },
    { code: 'drainage', name: n('排水费', 'Drainage charge'), prices: ['17000'], shareBp: 9_000 },
  ],
  household: { fromPersons: 5, extraL: '100000', perPerson: false, bounds: 'all' },
  rounding: 'half_up',
  priceChange: 'days',
};

/** Shenzhen household (2022), monthly tiers 0–22 / 23–30 / ≥31 m³. */
export const SHENZHEN_RESIDENTIAL: TariffDefinition = {
  accounting: { period: 'month' },
  boundsL: ['22000', '30000'],
  components: [
    { code: 'water', name: n('水费', 'Water supply'), prices: ['26700', '40100', '80100'], shareBp: 10_000 },
    { code: 'sewage', name: n('污水处理费', 'Sewage charge'), prices: ['9000', '10000', '11000'], shareBp: 10_000 },
    { code: 'refuse', name: n('垃圾处理费', 'Refuse charge'), prices: ['5900'], shareBp: 10_000 },
  ],
  rounding: 'half_up',
  priceChange: 'days',
};

/** Hangzhou, annual tiers 0–216 / 216–300 / >300 m³ (2.90 / 3.85 / 6.70 元/m³). */
export const HANGZHOU_RESIDENTIAL: TariffDefinition = {
  accounting: { period: 'year', startMonth: 1 },
  boundsL: ['216000', '300000'],
  components: [
    { code: 'water', name: n('供水价格', 'Water supply'), prices: ['19000', '28500', '57000'], shareBp: 10_000 },
    { code: 'sewage', name: n('污水处理费', 'Sewage charge'), prices: ['10000'], shareBp: 10_000 },
  ],
  rounding: 'half_up',
  priceChange: 'days',
};

export const PUBLISHED_TARIFFS = {
  'beijing-residential': BEIJING_RESIDENTIAL,
  'beijing-shared': BEIJING_SHARED_METER,
  'shanghai-residential': SHANGHAI_RESIDENTIAL,
  'shenzhen-residential': SHENZHEN_RESIDENTIAL,
  'hangzhou-residential': HANGZHOU_RESIDENTIAL,
} as const satisfies Record<string, TariffDefinition>;
