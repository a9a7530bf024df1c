import { describe, expect, it } from 'vitest';
import { toMilli } from './exact-decimal.js';
import { jsonThingModelCodec } from './json-codec.js';

const encode = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const receivedAt = new Date('2026-11-28T00:00:00Z');

describe('exact decimals', () => {
  it('turns decimal text and JSON numbers into exact thousandths', () => {
    expect(toMilli('123.456')).toBe(123_456n);
    expect(toMilli(123.45)).toBe(123_450n);
    expect(toMilli('-0.5')).toBe(-500n);
    expect(toMilli('1.5e3')).toBe(1_500_000n);
    expect(toMilli('12345678901234567.891')).toBe(12_345_678_901_234_567_891n);
    expect(toMilli(0.1 + 0.2)).toBeNull(); // 0.30000000000000004: finer than a thousandth, refused
  });

  it('refuses what it cannot represent exactly', () => {
    for (const bad of ['1.0001', 'abc', '', '1,5', NaN, Infinity, null, {}, Number('12345678901234567')]) expect(toMilli(bad), String(bad)).toBeNull();
  });
});

describe('JSON thing-model codec', () => {
  it('reads properties into readings of the sending device at the reported time', () => {
    const result = jsonThingModelCodec.decode(encode({ ts: '2026-11-27T16:00:00Z', properties: { cumulative_volume: '1234.5', pressure: 312.25, battery_low: false } }), {
      device: 'IMEI-86000001',
      receivedAt,
    });
    expect(result).toEqual({
      ok: true,
      readings: [
        { device: 'IMEI-86000001', metric: 'cumulative_volume', at: new Date('2026-11-27T16:00:00Z'), milli: 1_234_500n },
        { device: 'IMEI-86000001', metric: 'pressure', at: new Date('2026-11-27T16:00:00Z'), milli: 312_250n },
        { device: 'IMEI-86000001', metric: 'battery_low', at: new Date('2026-11-27T16:00:00Z'), milli: 0n },
      ],
    });
  });

  it('uses the receive time when the report has none', () => {
    const result = jsonThingModelCodec.decode(encode({ properties: { flow_rate: 12 } }), { device: 'd1', receivedAt });
    expect(result.ok && result.readings[0]!.at).toEqual(receivedAt);
  });

  it.each([
    ['{not json', 'bad_json'],
    ['[1,2]', 'not_an_object'],
    [JSON.stringify({ properties: { flow_rate: 1 }, ts: 'yesterday' }), 'bad_time'],
    [JSON.stringify({ properties: [] }), 'no_properties'],
    [JSON.stringify({ properties: {} }), 'no_properties'],
    [JSON.stringify({ properties: { flow_rate: '1.2345' } }), 'bad_value'],
    [JSON.stringify({ properties: { flow_rate: 'lots' } }), 'bad_value'],
  ])('refuses %s with %s', (text, code) => {
    const result = jsonThingModelCodec.decode(encode(text), { device: 'd1', receivedAt });
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok === false && result.reason.length).toBeGreaterThan(0);
  });

  it('refuses properties the product does not declare, naming them', () => {
    const result = jsonThingModelCodec.decode(encode({ properties: { cumulative_volume: 1, colour: 3 } }), {
      device: 'd1',
      receivedAt,
      settings: { properties: ['cumulative_volume'] },
    });
    expect(result).toMatchObject({ ok: false, code: 'unknown_property' });
    expect(result.ok === false && result.reason).toContain('colour');
  });

  it('refuses invalid UTF-8 and oversize payloads without throwing', () => {
    expect(jsonThingModelCodec.decode(new Uint8Array([0x7b, 0xff, 0x7d]), { device: 'd1', receivedAt })).toMatchObject({ ok: false, code: 'bad_json' });
    expect(jsonThingModelCodec.decode(new Uint8Array(70_000), { device: 'd1', receivedAt })).toMatchObject({ ok: false, code: 'too_large' });
  });
});
