import { metricUnits } from '@shuiyun/sdk';
import { z } from 'zod';

/**
 * Units a device's registers may count in: the platform's canonical unit each converts to, and the
 * power of ten between them (1 m³ = 10³ L). Only powers of ten, so every conversion stays exact.
 */
export const registerUnits = {
  L: { canonical: 'L', exponent: 0 },
  m3: { canonical: 'L', exponent: 3 },
  'm³': { canonical: 'L', exponent: 3 },
  'L/h': { canonical: 'L/h', exponent: 0 },
  'm3/h': { canonical: 'L/h', exponent: 3 },
  'm³/h': { canonical: 'L/h', exponent: 3 },
  Pa: { canonical: 'kPa', exponent: -3 },
  kPa: { canonical: 'kPa', exponent: 0 },
  bar: { canonical: 'kPa', exponent: 2 },
  MPa: { canonical: 'kPa', exponent: 3 },
  '°C': { canonical: '°C', exponent: 0 },
  mV: { canonical: 'V', exponent: -3 },
  V: { canonical: 'V', exponent: 0 },
  dBm: { canonical: 'dBm', exponent: 0 },
  '': { canonical: '', exponent: 0 },
} as const satisfies Record<string, { canonical: string; exponent: number }>;
export type RegisterUnit = keyof typeof registerUnits;

export const modbusFunctions = ['holding_register', 'input_register', 'coil', 'discrete_input'] as const;
/** Register types a downlink may write: integers only, so what the platform sends is exactly what was asked. */
export const writableRegisterTypes = ['uint16', 'int16', 'uint32', 'int32'] as const;
export type WritableRegisterType = (typeof writableRegisterTypes)[number];

const registerTypeRange: Record<WritableRegisterType, [number, number]> = {
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffff_ffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
};

/** True when `value` is a whole number a register of `type` can hold. */
export function fitsRegisterType(type: WritableRegisterType, value: number): boolean {
  const [min, max] = registerTypeRange[type];
  return Number.isSafeInteger(value) && value >= min && value <= max;
}
export type ModbusFunction = (typeof modbusFunctions)[number];

/** Value types and the 16-bit registers each spans; `bool` is the one type of coils and discrete inputs. */
export const registerTypeWords = { uint16: 1, int16: 1, uint32: 2, int32: 2, float32: 2, bool: 1 } as const;
export type RegisterType = keyof typeof registerTypeWords;

const isBitFunction = (f: ModbusFunction) => f === 'coil' || f === 'discrete_input';
const standardUnit = (metric: string): string | undefined => (Object.hasOwn(metricUnits, metric) ? metricUnits[metric as keyof typeof metricUnits] : undefined);

/** Largest read the Modbus spec allows for one request: 125 registers (FC 3/4), 2000 bits (FC 1/2). */
export const MODBUS_MAX_REGISTERS = 125;
export const MODBUS_MAX_BITS = 2000;

const entryInput = z.strictObject({
  /** Thing-model identifier the value is stored under, e.g. `cumulative_volume`. */
  metric: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a letter, then letters, digits or _; at most 64'),
  function: z.enum(modbusFunctions),
  /** Zero-based protocol address (holding register 40001 of a manual is address 0). */
  address: z.number().int().min(0).max(65_535),
  /** Defaults to `bool` for coils and discrete inputs; required for registers. */
  type: z.enum(Object.keys(registerTypeWords) as [RegisterType, ...RegisterType[]]).optional(),
  /** Registers the value spans, as a device manual lists it; must agree with `type` when given. */
  words: z.number().int().min(1).max(2).optional(),
  /** For 32-bit values: `big` = the lower address holds the high word (Modicon order), `little` = word-swapped. */
  wordOrder: z.enum(['big', 'little']).default('big'),
  /** Power of ten the raw value is multiplied by: `-2` means value × 10⁻² (0.01 resolution). */
  scale: z.number().int().min(-9).max(9).default(0),
  /** The unit the device counts in; defaults to the metric's canonical unit for standard metrics. */
  unit: z.string().optional(),
});

/**
 * A downlink service (开阀, 关阀, 设置上报间隔…) as one Modbus write: a coil is written with FC 5, a
 * holding register with FC 6 (one word) or FC 16 (a 32-bit value, two words). The value is fixed in the
 * map (`value`), or taken from the command's parameter of that name (`param`).
 */
const writeInput = z.discriminatedUnion('function', [
  z.strictObject({
    function: z.literal('coil'),
    address: z.number().int().min(0).max(65_535),
    value: z.boolean().optional(),
    /** A bool input of the thing-model service. */
    param: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/).optional(),
  }),
  z.strictObject({
    function: z.literal('holding_register'),
    address: z.number().int().min(0).max(65_535),
    type: z.enum(writableRegisterTypes).default('uint16'),
    wordOrder: z.enum(['big', 'little']).default('big'),
    value: z.number().int().optional(),
    /** An int input of the thing-model service. */
    param: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/).optional(),
  }),
]);

const checkedWrite = writeInput.superRefine((write, ctx) => {
  const issue = (field: string, code: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message, params: { code } });
  if ((write.value === undefined) === (write.param === undefined)) {
    issue(write.value === undefined ? 'value' : 'param', 'value_or_param', 'a write takes either a fixed value or a param, exactly one of them');
  }
  if (write.function !== 'holding_register') return;
  const words = registerTypeWords[write.type];
  if (write.address + words > 65_536) issue('address', 'address_overflow', 'the value runs past address 65535');
  if (write.value !== undefined && !fitsRegisterType(write.type, write.value)) {
    issue('value', 'value_out_of_range', `${write.value} does not fit a ${write.type}`);
  }
});

/** A register map as a product declares it (JSON in the product's settings). */
export type RegisterMapDefinition = z.input<typeof checkedMap>;
/** A downlink service's write as the map declares it. */
export type RegisterWriteDefinition = z.input<typeof writeInput>;
/** A validated downlink write; `value` or `param` is set, never both. */
export type RegisterWrite = z.output<typeof writeInput>;

export interface RegisterEntry {
  metric: string;
  function: ModbusFunction;
  address: number;
  type: RegisterType;
  words: 1 | 2;
  wordOrder: 'big' | 'little';
  scale: number;
  unit: RegisterUnit;
  /** The canonical unit the reading is stored in. */
  canonicalUnit: string;
  /** Raw value × 10^milliExponent = the reading's `milli` (scale + unit conversion + thousandths). */
  milliExponent: number;
}

export interface RegisterMap {
  entries: RegisterEntry[];
  maxRegistersPerRead: number;
  /** Downlink services by thing-model service identifier. */
  services: Record<string, RegisterWrite>;
}

export interface RegisterMapIssue {
  /** Where in the definition, e.g. `metrics.2.type`. */
  path: string;
  /** Stable code for the UI: zod's code, or one of ours (`float_volume`, `unit_mismatch`, …). */
  code: string;
  message: string;
}

export class RegisterMapError extends Error {
  constructor(readonly issues: RegisterMapIssue[]) {
    super(`invalid register map: ${issues.map((i) => `${i.path || '(map)'}: ${i.message}`).join('; ')}`);
    this.name = 'RegisterMapError';
  }
}

/** Rules across one entry's fields; each entry is checked on its own, so one bad entry hides no other's problems. */
const checkedEntry = entryInput.superRefine((entry, ctx) => {
  const issue = (field: string, code: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message, params: { code } });
  const bits = isBitFunction(entry.function);
  const type = entry.type ?? (bits ? 'bool' : undefined);
  if (type === undefined) return issue('type', 'missing_type', `a ${entry.function} needs a type`);
  if (bits !== (type === 'bool')) {
    return issue('type', 'type_function_mismatch', bits ? `a ${entry.function} holds one bit: its type is bool` : `a ${entry.function} cannot hold a bool`);
  }
  if (entry.words !== undefined && entry.words !== registerTypeWords[type]) {
    issue('words', 'words_mismatch', `${type} spans ${registerTypeWords[type]} register(s), not ${entry.words}`);
  }
  if (entry.address + registerTypeWords[type] > 65_536) issue('address', 'address_overflow', 'the value runs past address 65535');
  if (bits && entry.scale !== 0) issue('scale', 'scaled_bit', 'a bit is 0 or 1 and takes no scale');

  const expected = standardUnit(entry.metric);
  const unit = entry.unit ?? expected ?? (bits ? '' : undefined);
  if (unit === undefined) return issue('unit', 'missing_unit', `${entry.metric} is not a standard metric: name the unit the device counts in`);
  if (!Object.hasOwn(registerUnits, unit)) {
    return issue('unit', 'unknown_unit', `unknown unit "${unit}"; one of ${Object.keys(registerUnits).map((u) => `"${u}"`).join(', ')}`);
  }
  const conversion = registerUnits[unit as RegisterUnit];
  if (expected !== undefined && conversion.canonical !== expected) {
    return issue('unit', 'unit_mismatch', `${entry.metric} is stored in "${expected}"; "${unit}" converts to "${conversion.canonical}"`);
  }
  // Billed volume must be exact: a float cannot carry a meter's total without rounding.
  if (type === 'float32' && conversion.canonical === 'L') {
    issue('type', 'float_volume', `${entry.metric} is a volume: use an integer type with a scale, never float32`);
  }
  if (type !== 'float32' && entry.scale + conversion.exponent + 3 < 0) {
    issue('scale', 'finer_than_milli', `10^${entry.scale} ${unit || '(no unit)'} is finer than a thousandth of ${conversion.canonical || 'a unit'}: it cannot be stored exactly`);
  }
});

const checkedMap = z
  .strictObject({
    metrics: z.array(checkedEntry).min(1).max(500),
    /** Some devices answer fewer registers per request than the spec's 125. */
    maxRegistersPerRead: z.number().int().min(2).max(MODBUS_MAX_REGISTERS).default(MODBUS_MAX_REGISTERS),
    /** Downlink services (valve_open, valve_close…) by thing-model service identifier. */
    services: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a letter, then letters, digits or _; at most 64'), checkedWrite)
      .refine((services) => Object.keys(services).length <= 64, 'at most 64 services')
      .default({}),
  })
  .superRefine((map, ctx) => {
    const seen = new Set<string>();
    map.metrics.forEach((entry, i) => {
      if (seen.has(entry.metric)) {
        ctx.addIssue({ code: 'custom', path: ['metrics', i, 'metric'], message: `${entry.metric} is mapped twice`, params: { code: 'duplicate_metric' } });
      }
      seen.add(entry.metric);
    });
  });

/** Validates a register map definition; throws a RegisterMapError listing every problem. */
export function parseRegisterMap(definition: unknown): RegisterMap {
  const parsed = checkedMap.safeParse(definition);
  if (!parsed.success) {
    throw new RegisterMapError(
      parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.'),
        code: i.code === 'custom' && typeof i.params?.code === 'string' ? i.params.code : i.code,
        message: i.message,
      })),
    );
  }
  const entries = parsed.data.metrics.map((e): RegisterEntry => {
    const type = e.type ?? 'bool';
    const unit = (e.unit ?? standardUnit(e.metric) ?? '') as RegisterUnit;
    const conversion = registerUnits[unit];
    return {
      metric: e.metric,
      function: e.function,
      address: e.address,
      type,
      words: registerTypeWords[type],
      wordOrder: e.wordOrder,
      scale: e.scale,
      unit,
      canonicalUnit: conversion.canonical,
      milliExponent: e.scale + conversion.exponent + 3,
    };
  });
  return { entries, maxRegistersPerRead: parsed.data.maxRegistersPerRead, services: parsed.data.services };
}
