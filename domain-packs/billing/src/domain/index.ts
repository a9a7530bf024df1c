/**
 * The pure domain of the billing pack (营业收费): money, dates, tariffs and pricing, the account ledger,
 * late fees, dunning and numbering. No database, no I/O; money is integer fen (`bigint`), volumes integer
 * litres (`bigint`), local dates 'YYYY-MM-DD' text.
 */
export * from './money.js';
export * from './dates.js';
export * from './tariff.js';
export * from './ledger.js';
export * from './late-fee.js';
export * from './dunning.js';
export * from './numbers.js';
export * from './published.js';
