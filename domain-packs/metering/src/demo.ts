/**
 * The demo utility's metering data (`npm start`, first start only): households in the demo company's
 * communities, remote meters with a year of daily cumulative readings in the analytics store, mechanical
 * meters read by hand each month, a reading book per community, one swap, and the past twelve months
 * settled (all but the last closed). Deterministic per tenant, so two starts build the same utility.
 */
import type { PackDemo, PackDemoContext, Reading } from '@shuiyun/sdk';
import { BOOK, HOUSEHOLD, METER } from './archive/entities.js';
import { periodBounds, periodContaining, previousPeriod } from './domain/index.js';
import { demoSettle } from './settlement/demo.js';

/** mulberry32: a small deterministic generator, enough for plausible demo consumption. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const COMMUNITIES = ['锦绣花园', '滨江小区'];
const BUILDINGS = 4;
const UNITS = 2;
const ROOMS = 6;
const DAY = 86_400_000;
/** Litres a person uses a day, before the household's own habits. */
const LITRES_PER_PERSON_DAY = 120;

interface DemoMeter {
  id: number;
  device: string | null;
  size: number;
  habit: number;
}

/** Daily litres of one household on one day: size × habit × weekday and season factors, integer. */
const dailyLitres = (meter: DemoMeter, day: Date, noise: number) => {
  const month = day.getUTCMonth();
  const summer = month >= 5 && month <= 8 ? 1.25 : month <= 1 || month === 11 ? 0.9 : 1;
  const weekend = day.getUTCDay() === 0 || day.getUTCDay() === 6 ? 1.15 : 1;
  return BigInt(Math.round(meter.size * LITRES_PER_PERSON_DAY * meter.habit * summer * weekend * (0.8 + 0.4 * noise)));
};

export const demo: PackDemo = async (ctx: PackDemoContext) => {
  const rnd = random(ctx.tenant.id * 7919);
  const county = ctx.tenant.id;
  const start = new Date(ctx.now.getTime() - 365 * DAY);
  start.setUTCHours(16, 0, 0, 0); // midnight in Asia/Shanghai

  const books: number[] = [];
  for (const [i, community] of COMMUNITIES.entries()) {
    books.push(await ctx.createRecord(BOOK, { code: `B${county}-${i + 1}`, name: `${community}抄表册`, community, ...(ctx.user ? { reader: ctx.user.username } : {}) }));
  }
  const meters: DemoMeter[] = [];
  let n = 0;
  for (const [c, community] of COMMUNITIES.entries()) {
    for (let b = 1; b <= BUILDINGS; b++) {
      for (let u = 1; u <= UNITS; u++) {
        for (let r = 1; r <= ROOMS; r++) {
          n++;
          const size = 1 + Math.floor(rnd() * 5);
          const household = await ctx.createRecord(HOUSEHOLD, {
            accountNo: `${county}${String(n).padStart(6, '0')}`,
            name: `住户${n}`,
            community,
            building: `${b}号楼`,
            unit: `${u}单元`,
            room: `${Math.ceil(r / 2)}0${((r - 1) % 2) + 1}`,
            householdSize: size,
          });
          // One in six households still has a mechanical meter read by hand.
          const remote = n % 6 !== 0;
          const device = remote ? `DEMO-${county}-${String(n).padStart(5, '0')}` : null;
          const id = await ctx.createRecord(METER, {
            meterNo: `M${county}${String(n).padStart(6, '0')}`,
            kind: remote ? 'remote' : 'mechanical',
            household,
            book: books[c],
            ...(device ? { device } : {}),
            registerDigits: 5,
            initialReadingL: 0,
            installedAt: start.toISOString().slice(0, 10),
            acceptedAt: start.toISOString().slice(0, 10),
            status: 'in_service',
          });
          meters.push({ id, device, size, habit: 0.7 + rnd() * 0.6 });
        }
      }
    }
  }

  // A year of readings: remote meters report their register at each local midnight; hand meters are read
  // in the last evening of each month, inside the settlement's freeze window.
  const readings: Reading[] = [];
  const hand: { meterId: number; at: Date; valueL: bigint }[] = [];
  const registers = new Map<number, bigint>(meters.map((m) => [m.id, 0n]));
  for (let d = 1; d <= 365; d++) {
    const at = new Date(start.getTime() + d * DAY);
    for (const meter of meters) {
      const value = registers.get(meter.id)! + dailyLitres(meter, at, rnd());
      registers.set(meter.id, value);
      if (meter.device) readings.push({ device: meter.device, metric: 'cumulative_volume', at, milli: value * 1000n });
      else if (new Date(at.getTime() + 8 * 3_600_000).getUTCDate() === 1) hand.push({ meterId: meter.id, at: new Date(at.getTime() - 3 * 3_600_000), valueL: value });
    }
  }
  await ctx.publishReadings(readings);
  await ctx.transaction(async (tx) => {
    for (const r of hand) {
      await tx.query(
        `insert into pack_metering.readings (tenant_id, tenant_path, meter_id, read_at, value_l, source, status, entered_by, note)
         values ($1, $2::ltree, $3, $4, $5, 'hand', 'valid', $6, '演示数据')`,
        [ctx.tenant.id, ctx.tenant.path, r.meterId, r.at, r.valueL, ctx.user?.id ?? null],
      );
    }
  });

  // The past twelve whole months, settled; all but the last closed (billing would have priced them).
  const current = periodContaining(ctx.now, 1, ctx.tenant.timeZone);
  const periods: string[] = [];
  for (let p = previousPeriod(current); periods.length < 11 && periodBounds(p, 1, ctx.tenant.timeZone).startsAt >= start; p = previousPeriod(p)) periods.unshift(p);
  await demoSettle(ctx, periods);
};
