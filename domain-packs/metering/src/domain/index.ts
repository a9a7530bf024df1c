/**
 * The pure water-domain core of the metering pack (计量集抄): settlement, reading validation and
 * period arithmetic. No database, no I/O; volumes are integer litres as `bigint`.
 */
export { registerDelta, type RegisterDelta } from './register.js';
export {
  adjustmentFor,
  settleMeter,
  type MeterReading,
  type MeterSwap,
  type ReadingSource,
  type SettleFlag,
  type SettleInput,
  type SettleResult,
  type SettleSegment,
} from './settlement.js';
export {
  missingMeters,
  toRatio,
  validateReading,
  type MeterLastReading,
  type Ratio,
  type ReadingCheck,
  type ValidationRules,
  type Violation,
} from './validation.js';
export {
  daysBetween,
  formatPeriod,
  nextPeriod,
  parsePeriod,
  periodBounds,
  periodContaining,
  previousPeriod,
  startOfLocalDay,
  type PeriodBounds,
  type YearMonth,
} from './periods.js';
