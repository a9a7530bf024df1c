import { expect, it } from 'vitest';
import { openAnalyticsStore } from './store.js';
import { series, tenants } from './testing/readings.js';

it('keeps two databases on one engine apart, and closing a view leaves the engine serving the others', async () => {
  const engine = await openAnalyticsStore({ dataDir: 'memory://' });
  try {
    const a = engine.withDatabase('runtime_a');
    const b = engine.withDatabase('runtime_b');
    await a.migrate();
    await b.migrate();
    await a.insertReadings(series('companyA', 'meter-in-a', 10));
    await b.insertReadings(series('companyA', 'meter-in-b', 3));
    const count = async (store: typeof a) =>
      (await store.query<{ n: string }>(tenants.group, 'SELECT count() AS n FROM {{readings}}'))[0]!.n;
    expect(await count(a)).toBe('10');
    expect(await count(b)).toBe('3');
    await a.close();
    expect(await count(b)).toBe('3');
    expect(() => engine.withDatabase('Not-A-Name')).toThrow(/lower-case/);
  } finally {
    await engine.close();
  }
});
