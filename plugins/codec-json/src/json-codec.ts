import type { DecodeContext, DecodeResult, DeviceCodec, Reading } from '@shuiyun/sdk';
import { toMilli } from './exact-decimal.js';

/**
 * Reports as JSON by thing model:
 * `{"device"?: "<key>", "ts"?: <epoch ms> | "<ISO 8601>", "properties": {"<identifier>": <number | "decimal" | boolean>}}`.
 * Booleans become 0/1. `settings.properties`, when given, lists the identifiers the product's thing
 * model declares; anything else is refused by name.
 */
export const jsonThingModelCodec: DeviceCodec = {
  id: 'json-thing-model',
  decode(payload: Uint8Array, context: DecodeContext): DecodeResult {
    if (payload.byteLength > 64 * 1024) return { ok: false, code: 'too_large', reason: `${payload.byteLength} bytes; at most 65536` };
    let doc: unknown;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    } catch (error) {
      return { ok: false, code: 'bad_json', reason: error instanceof Error ? error.message : 'not JSON' };
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, code: 'not_an_object', reason: 'the report must be a JSON object' };
    const report = doc as { device?: unknown; ts?: unknown; properties?: unknown };
    const device = report.device === undefined ? context.device : report.device;
    if (typeof device !== 'string' || device.length === 0) return { ok: false, code: 'no_device', reason: 'no device key in the report or the transport' };
    let at = context.receivedAt;
    if (report.ts !== undefined) {
      const parsed = typeof report.ts === 'number' || typeof report.ts === 'string' ? new Date(report.ts) : new Date(NaN);
      if (Number.isNaN(parsed.getTime())) return { ok: false, code: 'bad_time', reason: `ts ${JSON.stringify(report.ts)} is not a time` };
      at = parsed;
    }
    if (!report.properties || typeof report.properties !== 'object' || Array.isArray(report.properties)) {
      return { ok: false, code: 'no_properties', reason: '"properties" must be an object of identifier → value' };
    }
    const declared = Array.isArray(context.settings?.properties) ? new Set(context.settings.properties as string[]) : undefined;
    const readings: Reading[] = [];
    for (const [metric, raw] of Object.entries(report.properties)) {
      if (declared && !declared.has(metric)) return { ok: false, code: 'unknown_property', reason: `"${metric}" is not in the product's thing model` };
      const milli = typeof raw === 'boolean' ? (raw ? 1000n : 0n) : toMilli(raw);
      if (milli === null) return { ok: false, code: 'bad_value', reason: `"${metric}": ${JSON.stringify(raw)} is not an exact decimal with at most 3 places` };
      readings.push({ device, metric, at, milli });
    }
    if (readings.length === 0) return { ok: false, code: 'no_properties', reason: 'the report carries no values' };
    return { ok: true, readings };
  },
};
