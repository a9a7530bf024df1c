import { jsonThingModelCodec } from '@shuiyun/codec-json';
import type { Reading } from '@shuiyun/sdk';
import { describe, expect, it } from 'vitest';
import { CodecRegistry } from '../codecs/codec-registry.js';
import type { DeviceIdentity } from '../devices.js';
import { IngestionPipeline, type TenantReading } from './ingestion.js';

const device: DeviceIdentity = { deviceId: 1, deviceKey: 'M-1', tenantId: 5, tenantPath: '1.5', codec: jsonThingModelCodec.id, codecSettings: {} };
const at = new Date('2025-11-28T08:00:00Z');
const reading = (deviceKey: string, metric: string, milli: bigint): Reading => ({ device: deviceKey, metric, at, milli });

// The analytics store is replaced by an in-memory sink here; the store is tested in runtime/analytics.
function pipelineWithMemorySink() {
  const stored: TenantReading[] = [];
  const accepted: { readings: number; receivedAt: Date }[] = [];
  const pipeline = new IngestionPipeline({
    codecs: new CodecRegistry([jsonThingModelCodec]),
    sink: async (rows) => void stored.push(...rows),
    batching: { maxDelayMs: 10 },
    onAccepted: (_device, readings, receivedAt) => accepted.push({ readings: readings.length, receivedAt }),
  });
  return { stored, accepted, pipeline };
}

describe('IngestionPipeline (in-memory sink in place of the analytics store)', () => {
  it('stores readings a transport decoded itself under the device tenant, durable when the promise resolves', async () => {
    const { stored, accepted, pipeline } = pipelineWithMemorySink();
    const receivedAt = new Date('2025-11-28T08:00:01Z');
    const outcome = await pipeline.ingestReadings(device, [reading('M-1', 'cumulative_volume', 123_456_789_000n), reading('M-1', 'pressure', 350_000n)], receivedAt);
    expect(outcome).toEqual({ ok: true, readings: 2 });
    expect(stored).toEqual([
      { tenantId: 5, tenantPath: '1.5', reading: reading('M-1', 'cumulative_volume', 123_456_789_000n) },
      { tenantId: 5, tenantPath: '1.5', reading: reading('M-1', 'pressure', 350_000n) },
    ]);
    expect(accepted).toEqual([{ readings: 2, receivedAt }]);
    await pipeline.close();
  });

  it('refuses the whole lot when one reading names another device, on both paths, and counts it', async () => {
    const { stored, accepted, pipeline } = pipelineWithMemorySink();
    expect(await pipeline.ingestReadings(device, [reading('M-1', 'pressure', 1n), reading('M-2', 'pressure', 2n)], at)).toMatchObject({
      ok: false,
      code: 'device_mismatch',
    });
    const payload = new TextEncoder().encode(JSON.stringify({ device: 'M-2', properties: { pressure: '1.5' } }));
    expect(await pipeline.ingest(device, payload, at)).toMatchObject({ ok: false, code: 'device_mismatch' });
    await pipeline.flush();
    expect(stored).toEqual([]);
    expect(accepted).toEqual([]);
    expect(pipeline.rejections.get('M-1')?.get('device_mismatch')).toBe(2);

    const own = new TextEncoder().encode(JSON.stringify({ properties: { pressure: '1.5' } }));
    expect(await pipeline.ingest(device, own, at)).toEqual({ ok: true, readings: 1 });
    expect(stored.map((r) => r.reading)).toEqual([reading('M-1', 'pressure', 1_500n)]);
    await pipeline.close();
  });
});
