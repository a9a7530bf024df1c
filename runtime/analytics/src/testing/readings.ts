import type { Reading } from '@shuiyun/sdk';
import type { TenantReading } from '../readings.js';

/** The tenant tree the tests use: a group, two companies, and two sites whose paths share a prefix. */
export const tenants = {
  group: { tenantId: 1, tenantPath: '1' },
  companyA: { tenantId: 2, tenantPath: '1.2' },
  companyB: { tenantId: 3, tenantPath: '1.3' },
  siteA3: { tenantId: 4, tenantPath: '1.2.3' },
  siteA30: { tenantId: 5, tenantPath: '1.2.30' },
} as const;
export type TenantName = keyof typeof tenants;

export function tenantReading(tenant: TenantName, reading: Partial<Reading> & Pick<Reading, 'milli'>): TenantReading {
  return {
    ...tenants[tenant],
    reading: {
      device: reading.device ?? `meter-${tenant}`,
      metric: reading.metric ?? 'cumulative_volume',
      at: reading.at ?? new Date('2025-03-01T00:00:00.000Z'),
      milli: reading.milli,
    },
  };
}

/** `count` readings of one device, a minute apart from `start`. */
export function series(tenant: TenantName, device: string, count: number, start = Date.UTC(2025, 0, 1)): TenantReading[] {
  return Array.from({ length: count }, (_, i) =>
    tenantReading(tenant, { device, at: new Date(start + i * 60_000), milli: BigInt(i) * 1_000n + 7n }),
  );
}
