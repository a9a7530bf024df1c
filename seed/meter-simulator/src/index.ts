export { createFleet, meterReports, leakLitresBetween, type SimulatedMeter, type SimulatedReport, type InjectedLeak, type FleetOptions, type ReportOptions } from './fleet.js';
export { hourlyShare, LITRES_PER_PERSON_DAY } from './demand.js';
export { seededRandom, hashSeed } from './random.js';
