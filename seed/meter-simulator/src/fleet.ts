import { LITRES_PER_PERSON_DAY, hourlyShare } from './demand.js';
import { hashSeed, seededRandom } from './random.js';

/** A leak the simulator injects, recorded so detection can be scored against it. */
export interface InjectedLeak {
  /** `burst` starts at its full rate; `growing` rises linearly from zero over `rampHours`. */
  kind: 'burst' | 'growing';
  startsAt: Date;
  litresPerHour: number;
  rampHours: number;
}

/** One household meter: who lives there and how its data will misbehave. */
export interface SimulatedMeter {
  /** 14-digit CJ/T 188 address, also the MQTT username and device key. */
  address: string;
  persons: number;
  /** How much this household uses relative to the average (0.6–1.6). */
  appetite: number;
  /** Cumulative register at the start of the simulation, litres. */
  startLitres: number;
  leak: InjectedLeak | null;
  /** Chance that one report is lost. */
  dropoutRate: number;
  /** An outage: no reports at all in this window (flat battery, blocked signal). */
  outage: { from: Date; to: Date } | null;
  /** Chance that one report arrives as a corrupt frame. */
  corruptRate: number;
}

export interface FleetOptions {
  seed: number;
  count: number;
  /** The simulated period; leaks and outages fall inside it. */
  from: Date;
  to: Date;
  /** Share of meters with a leak (default 3 %). */
  leakShare?: number;
  /** Share of meters with an outage (default 2 %). */
  outageShare?: number;
  /** First address; meters count up from it (default 10000000000001). */
  firstAddress?: bigint;
}

/** The same options always give the same fleet. */
export function createFleet(options: FleetOptions): SimulatedMeter[] {
  const random = seededRandom(options.seed);
  const span = options.to.getTime() - options.from.getTime();
  const first = options.firstAddress ?? 10_000_000_000_001n;
  const meters: SimulatedMeter[] = [];
  for (let i = 0; i < options.count; i++) {
    const address = (first + BigInt(i)).toString().padStart(14, '0');
    const hasLeak = random() < (options.leakShare ?? 0.03);
    const hasOutage = random() < (options.outageShare ?? 0.02);
    const leakStart = new Date(options.from.getTime() + Math.floor(random() * span * 0.8));
    const outageStart = options.from.getTime() + Math.floor(random() * span * 0.9);
    meters.push({
      address,
      persons: 1 + Math.floor(random() * 5),
      appetite: 0.6 + random(),
      startLitres: Math.floor(random() * 2_000_000),
      leak: hasLeak
        ? { kind: random() < 0.5 ? 'burst' : 'growing', startsAt: leakStart, litresPerHour: 5 + Math.floor(random() * 60), rampHours: 24 + Math.floor(random() * 72) }
        : null,
      dropoutRate: random() * 0.03,
      outage: hasOutage ? { from: new Date(outageStart), to: new Date(outageStart + (6 + Math.floor(random() * 42)) * 3_600_000) } : null,
      corruptRate: random() * 0.005,
    });
  }
  return meters;
}

/** One report as a meter would send it; `corrupt` asks the transport to mangle the frame. */
export interface SimulatedReport {
  address: string;
  at: Date;
  /** Cumulative register, whole litres (what a 0.001 m³ register shows). */
  cumulativeLitres: number;
  /** Leak flow in this interval, litres: the label a detector is scored against. */
  leakLitres: number;
  corrupt: boolean;
}

const HOUR = 3_600_000;

/** Leak flow in litres between two instants (exact integral of the leak's rate). */
export function leakLitresBetween(leak: InjectedLeak | null, from: number, to: number): number {
  if (!leak) return 0;
  const start = leak.startsAt.getTime();
  if (to <= start) return 0;
  const a = Math.max(from, start);
  if (leak.kind === 'burst') return ((to - a) / HOUR) * leak.litresPerHour;
  // Growing: rate rises linearly to full over rampHours, then stays.
  const rampEnd = start + leak.rampHours * HOUR;
  const rateAt = (t: number) => (t >= rampEnd ? leak.litresPerHour : (leak.litresPerHour * (t - start)) / (rampEnd - start));
  const b1 = Math.min(to, rampEnd);
  let litres = 0;
  if (a < b1) litres += ((rateAt(a) + rateAt(b1)) / 2) * ((b1 - a) / HOUR);
  if (to > rampEnd) litres += ((to - Math.max(a, rampEnd)) / HOUR) * leak.litresPerHour;
  return litres;
}

export interface ReportOptions {
  from: Date;
  to: Date;
  intervalMinutes: number;
  /** Offset of the households' local time from UTC, hours (Asia/Shanghai: 8). */
  utcOffsetHours?: number;
}

/**
 * One meter's register, advanced through time: the water used between two instants (household demand
 * by local hour, plus any injected leak) is added in millilitres and shown in whole litres.
 * Deterministic for the meter and the seed.
 */
export class MeterRegister {
  private readonly random: () => number;
  private registerMl: number;
  private readonly dailyLitres: number;
  private readonly offset: number;

  constructor(
    readonly meter: SimulatedMeter,
    seed: number,
    private at: number,
    utcOffsetHours = 8,
  ) {
    this.random = seededRandom(seed ^ hashSeed(meter.address));
    this.registerMl = meter.startLitres * 1000;
    this.dailyLitres = meter.persons * LITRES_PER_PERSON_DAY * meter.appetite;
    this.offset = utcOffsetHours * HOUR;
  }

  /**
   * Moves the register to `to` and returns the report the meter sends then, or null when that report
   * is lost (random dropout or an outage). The register keeps counting either way.
   */
  advance(to: number): SimulatedReport | null {
    const from = this.at;
    if (to <= from) throw new RangeError('a register only moves forward in time');
    const localHour = new Date(from + this.offset).getUTCHours();
    const noise = 0.5 + this.random();
    const demand = this.dailyLitres * hourlyShare[localHour]! * ((to - from) / HOUR) * noise;
    const leak = leakLitresBetween(this.meter.leak, from, to);
    this.registerMl += Math.round((demand + leak) * 1000);
    this.at = to;
    const at = new Date(to);
    const outage = this.meter.outage;
    const lost = this.random() < this.meter.dropoutRate || (outage !== null && at >= outage.from && at < outage.to);
    const corrupt = this.random() < this.meter.corruptRate;
    if (lost) return null;
    return { address: this.meter.address, at, cumulativeLitres: Math.floor(this.registerMl / 1000), leakLitres: leak, corrupt };
  }
}

/** Reports of one meter over a period, one per interval; lost and outage reports are simply absent. */
export function* meterReports(meter: SimulatedMeter, seed: number, options: ReportOptions): Generator<SimulatedReport> {
  const step = options.intervalMinutes * 60_000;
  const register = new MeterRegister(meter, seed, options.from.getTime(), options.utcOffsetHours);
  for (let t = options.from.getTime() + step; t <= options.to.getTime(); t += step) {
    const report = register.advance(t);
    if (report) yield report;
  }
}
