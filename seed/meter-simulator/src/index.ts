export { createFleet, meterReports, leakLitresBetween, MeterRegister, type SimulatedMeter, type SimulatedReport, type InjectedLeak, type FleetOptions, type ReportOptions } from './fleet.js';
export { hourlyShare, LITRES_PER_PERSON_DAY } from './demand.js';
export { seededRandom, hashSeed } from './random.js';
export { LiveMeterFleet, type LiveFleetOptions, type FleetMember } from './live-fleet.js';
