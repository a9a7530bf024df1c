import { describe, expect, it } from 'vitest';
import { planReads } from './read-plan.js';
import { parseRegisterMap, RegisterMapError, type RegisterMapDefinition, type RegisterMapIssue } from './register-map.js';
import { registerValueToMilli } from './register-value.js';

function issuesOf(definition: unknown): RegisterMapIssue[] {
  try {
    parseRegisterMap(definition);
  } catch (error) {
    if (error instanceof RegisterMapError) return error.issues;
    throw error;
  }
  throw new Error('the map was accepted');
}

const entry = (fields: Record<string, unknown>) => ({ metrics: [{ metric: 'cumulative_volume', function: 'holding_register', address: 0, ...fields }] });

describe('register map validation', () => {
  it('refuses float32 for a volume, standard or custom: billed volume must be an integer with a scale', () => {
    expect(issuesOf(entry({ type: 'float32', unit: 'm3' }))).toEqual([
      { path: 'metrics.0.type', code: 'float_volume', message: expect.stringContaining('never float32') },
    ]);
    expect(issuesOf({ metrics: [{ metric: 'tank_volume', function: 'input_register', address: 4, type: 'float32', unit: 'L' }] })).toMatchObject([
      { path: 'metrics.0.type', code: 'float_volume' },
    ]);
    // The same float is fine for a pressure.
    expect(parseRegisterMap({ metrics: [{ metric: 'pressure', function: 'input_register', address: 0, type: 'float32', unit: 'MPa' }] }).entries[0]).toMatchObject({
      type: 'float32',
      canonicalUnit: 'kPa',
    });
  });

  it('refuses units that do not convert to the metric canonical unit, and unknown units', () => {
    expect(issuesOf({ metrics: [{ metric: 'flow_rate', function: 'input_register', address: 0, type: 'uint16', unit: 'm3' }] })).toMatchObject([
      { path: 'metrics.0.unit', code: 'unit_mismatch', message: 'flow_rate is stored in "L/h"; "m3" converts to "L"' },
    ]);
    expect(issuesOf(entry({ type: 'uint32', unit: 'gallon' }))).toMatchObject([{ path: 'metrics.0.unit', code: 'unknown_unit' }]);
    expect(issuesOf({ metrics: [{ metric: 'chlorine', function: 'input_register', address: 0, type: 'uint16' }] })).toMatchObject([
      { path: 'metrics.0.unit', code: 'missing_unit' },
    ]);
  });

  it('refuses a scale finer than the thousandths a reading can hold (integer types are never rounded)', () => {
    expect(issuesOf({ metrics: [{ metric: 'pressure', function: 'input_register', address: 0, type: 'uint16', unit: 'kPa', scale: -4 }] })).toMatchObject([
      { path: 'metrics.0.scale', code: 'finer_than_milli' },
    ]);
    // 10⁻⁶ m³ is a thousandth of a litre: still exact.
    expect(parseRegisterMap(entry({ type: 'uint32', unit: 'm3', scale: -6 })).entries[0]!.milliExponent).toBe(0);
  });

  it('checks types against functions, words against types, and lists every problem at once', () => {
    const issues = issuesOf({
      metrics: [
        { metric: 'cumulative_volume', function: 'holding_register', address: 0, unit: 'm3' },
        { metric: 'valve_state', function: 'coil', address: 0, type: 'uint16' },
        { metric: 'pressure', function: 'input_register', address: 0, type: 'bool' },
        { metric: 'reverse_volume', function: 'holding_register', address: 2, type: 'uint32', words: 1 },
        { metric: 'reverse_volume', function: 'holding_register', address: 65_535, type: 'uint32', scale: 2.5 },
        { metric: 'battery_low', function: 'discrete_input', address: 1, scale: -1 },
      ],
    });
    expect(issues.map((i) => `${i.path} ${i.code}`).sort()).toEqual(
      [
        'metrics.0.type missing_type',
        'metrics.1.type type_function_mismatch',
        'metrics.2.type type_function_mismatch',
        'metrics.3.words words_mismatch',
        'metrics.4.scale invalid_type',
        'metrics.5.scale scaled_bit',
      ].sort(),
    );
    expect(issuesOf(entry({ type: 'uint32', address: 65_535 }))).toMatchObject([{ path: 'metrics.0.address', code: 'address_overflow' }]);
    expect(issuesOf({ metrics: [entry({ type: 'uint32' }).metrics[0], entry({ type: 'uint32', address: 8 }).metrics[0]] })).toMatchObject([
      { path: 'metrics.1.metric', code: 'duplicate_metric' },
    ]);
    expect(issuesOf({ metrics: [] })).toMatchObject([{ path: 'metrics', code: 'too_small' }]);
    expect(issuesOf({ metrics: [{ ...entry({ type: 'uint32' }).metrics[0], byteOrder: 'little' }] })).toMatchObject([{ code: 'unrecognized_keys' }]);
  });

  it('fills in defaults: big word order, no scale, the canonical unit, bool for bits', () => {
    const map = parseRegisterMap({
      metrics: [
        { metric: 'cumulative_volume', function: 'holding_register', address: 0, type: 'uint32', scale: -3, unit: 'm3' },
        { metric: 'reverse_volume', function: 'holding_register', address: 2, type: 'uint32' },
        { metric: 'valve_state', function: 'coil', address: 0 },
      ],
    });
    expect(map.maxRegistersPerRead).toBe(125);
    expect(map.entries).toEqual([
      expect.objectContaining({ words: 2, wordOrder: 'big', unit: 'm3', canonicalUnit: 'L', milliExponent: 3 }),
      expect.objectContaining({ words: 2, wordOrder: 'big', scale: 0, unit: 'L', canonicalUnit: 'L', milliExponent: 3 }),
      expect.objectContaining({ type: 'bool', words: 1, unit: '', milliExponent: 3 }),
    ]);
  });
});

describe('downlink services in the register map', () => {
  const withServices = (services: Record<string, unknown>) => ({ metrics: [{ metric: 'valve_state', function: 'coil', address: 16 }], services });

  it('takes coil and holding-register writes with a fixed value or a parameter, and fills in their defaults', () => {
    const map = parseRegisterMap(
      withServices({
        valve_open: { function: 'coil', address: 16, value: true },
        set_interval: { function: 'holding_register', address: 100, param: 'minutes' },
        set_limit: { function: 'holding_register', address: 200, type: 'int32', value: -5 },
      }),
    );
    expect(map.services).toEqual({
      valve_open: { function: 'coil', address: 16, value: true },
      set_interval: { function: 'holding_register', address: 100, type: 'uint16', wordOrder: 'big', param: 'minutes' },
      set_limit: { function: 'holding_register', address: 200, type: 'int32', wordOrder: 'big', value: -5 },
    });
    expect(parseRegisterMap(withServices({})).services).toEqual({});
    expect(parseRegisterMap({ metrics: [{ metric: 'valve_state', function: 'coil', address: 16 }] }).services).toEqual({});
  });

  it('refuses writes to read-only functions, values that do not fit, both or neither of value and param, and bad names', () => {
    const issues = issuesOf(
      withServices({
        valve_open: { function: 'discrete_input', address: 16, value: true },
        valve_close: { function: 'coil', address: 16 },
        set_a: { function: 'holding_register', address: 1, value: 70_000 },
        set_b: { function: 'holding_register', address: 1, type: 'int16', value: 1, param: 'x' },
        set_c: { function: 'holding_register', address: 65_535, type: 'uint32', value: 1 },
        set_d: { function: 'holding_register', address: 1, type: 'float32', value: 1 },
        set_e: { function: 'coil', address: 1, value: 1 },
        '1bad': { function: 'coil', address: 1, value: true },
      }),
    );
    expect(issues.map((i) => `${i.path} ${i.code}`).sort()).toEqual(
      [
        'services.valve_open.function invalid_union',
        'services.valve_close.value value_or_param',
        'services.set_a.value value_out_of_range',
        'services.set_b.param value_or_param',
        'services.set_c.address address_overflow',
        'services.set_d.type invalid_value',
        'services.set_e.value invalid_type',
        'services.1bad invalid_key',
      ].sort(),
    );
  });
});

describe('register values', () => {
  const one = (definition: Record<string, unknown>) =>
    parseRegisterMap({ metrics: [{ metric: 'x', function: 'input_register', address: 0, unit: '', ...definition }] }).entries[0]!;
  const float32Words = (value: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatBE(value);
    return [b.readUInt16BE(0), b.readUInt16BE(2)];
  };

  it('reads a float32 as the decimal the device wrote, rounded half away from zero to a thousandth', () => {
    const temperature = one({ type: 'float32' });
    expect(registerValueToMilli(temperature, float32Words(0.1))).toEqual({ ok: true, milli: 100n });
    expect(registerValueToMilli(temperature, float32Words(-12.3456))).toEqual({ ok: true, milli: -12346n });
    expect(registerValueToMilli(temperature, float32Words(2.0005))).toEqual({ ok: true, milli: 2001n });
    expect(registerValueToMilli(temperature, float32Words(16_777_216))).toEqual({ ok: true, milli: 16_777_216_000n });
    expect(registerValueToMilli(temperature, float32Words(1e-7))).toEqual({ ok: true, milli: 0n });
    expect(registerValueToMilli(one({ type: 'float32', unit: 'MPa', scale: 0 }), float32Words(0.35))).toEqual({ ok: true, milli: 350_000n });
  });

  it('refuses NaN and infinities instead of inventing a number', () => {
    const result = registerValueToMilli(one({ type: 'float32' }), [0x7fc0, 0x0000]);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('NaN') });
    expect(registerValueToMilli(one({ type: 'float32' }), [0xff80, 0x0000])).toMatchObject({ ok: false });
  });

  it('keeps 32-bit extremes exact in both word orders', () => {
    expect(registerValueToMilli(one({ type: 'int32' }), [0x8000, 0x0000])).toEqual({ ok: true, milli: -2_147_483_648_000n });
    expect(registerValueToMilli(one({ type: 'int32', wordOrder: 'little' }), [0xffff, 0x7fff])).toEqual({ ok: true, milli: 2_147_483_647_000n });
    expect(registerValueToMilli(one({ type: 'uint32', wordOrder: 'little' }), [0x0001, 0x0000])).toEqual({ ok: true, milli: 1000n });
    expect(registerValueToMilli(one({ type: 'uint32' }), [0x0001])).toMatchObject({ ok: false });
  });
});

describe('read planning', () => {
  const map = (metrics: RegisterMapDefinition['metrics'], maxRegistersPerRead?: number) => parseRegisterMap({ metrics, maxRegistersPerRead });
  type Definition = RegisterMapDefinition['metrics'][number];
  const reg = (metric: string, address: number, type: Definition['type'] = 'uint16', fn: Definition['function'] = 'holding_register'): Definition => ({
    metric,
    function: fn,
    address,
    type,
    unit: '',
  });

  it('joins touching and overlapping registers of one function, never across a gap or a function', () => {
    const reads = planReads(
      map([
        reg('c', 4, 'uint32'),
        reg('a', 0, 'uint32'),
        reg('b', 2),
        reg('b_low_word', 3),
        reg('d', 7),
        reg('e', 0, 'int16', 'input_register'),
        { metric: 'f', function: 'coil', address: 0 },
        { metric: 'g', function: 'coil', address: 1 },
        { metric: 'h', function: 'coil', address: 5 },
      ]),
    );
    expect(reads.map((r) => [r.function, r.address, r.length, r.entries.map((e) => e.metric).join('')])).toEqual([
      ['holding_register', 0, 6, 'abb_low_wordc'],
      ['holding_register', 7, 1, 'd'],
      ['input_register', 0, 1, 'e'],
      ['coil', 0, 2, 'fg'],
      ['coil', 5, 1, 'h'],
    ]);
  });

  it('splits a run at the device read limit without cutting a 32-bit value in two', () => {
    const reads = planReads(map([reg('a', 0, 'uint32'), reg('b', 2, 'uint32'), reg('c', 4, 'uint32')], 5));
    expect(reads.map((r) => [r.address, r.length])).toEqual([
      [0, 4],
      [4, 2],
    ]);
  });
});
