import type { DeviceTransport, ProductKind, ThingModel, ThingParameter } from '@shuiyun/db';
import { z } from 'zod';

export const productKinds = [
  'mechanical-meter',
  'remote-read-meter',
  'nb-iot-meter',
  'prepaid-meter',
  'flow-meter',
  'pressure-sensor',
  'water-quality-sensor',
  'level-sensor',
  'concentrator',
] as const satisfies readonly ProductKind[];

export const transports = ['mqtt', 'http-push', 'coap', 'modbus'] as const satisfies readonly DeviceTransport[];

/** Thing-model identifiers end up as metric names and command names: ASCII, starting with a letter. */
const identifier = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a letter, then letters, digits or _; at most 64');
const localisedName = z.strictObject({ zh: z.string().trim().min(1).max(64), en: z.string().trim().min(1).max(64) });

const parameterShape = {
  identifier,
  name: localisedName,
  dataType: z.enum(['int', 'decimal', 'enum', 'bool', 'text']),
  unit: z.string().trim().min(1).max(16).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  scale: z.number().int().min(0).max(9).optional(),
  enumValues: z
    .array(z.strictObject({ value: z.union([z.number().int(), z.string().trim().min(1).max(32)]), name: localisedName }))
    .max(64)
    .optional(),
};

/** The rules a typed value must keep whatever it is part of: ranges only where they mean something, min ≤ max, enum values present. */
function checkParameter(p: ThingParameter & { enumValues?: { value: number | string }[] | undefined }, ctx: z.RefinementCtx) {
  const numeric = p.dataType === 'int' || p.dataType === 'decimal';
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (!numeric) {
    for (const key of ['min', 'max', 'unit'] as const) if (p[key] !== undefined) issue(key, `only int and decimal values have a ${key}`);
  }
  if (p.scale !== undefined && p.dataType !== 'decimal') issue('scale', 'only decimal values have a scale');
  if (p.dataType === 'int') {
    for (const key of ['min', 'max'] as const) if (p[key] !== undefined && !Number.isInteger(p[key])) issue(key, 'an int range needs whole numbers');
  }
  if (p.min !== undefined && p.max !== undefined && p.min > p.max) issue('max', `max (${p.max}) is below min (${p.min})`);
  if (p.dataType === 'enum') {
    if (!p.enumValues?.length) issue('enumValues', 'an enum needs at least one value');
    const seen = new Set<string>();
    p.enumValues?.forEach((v, i) => {
      const key = String(v.value);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['enumValues', i, 'value'], message: `duplicate enum value ${key}` });
      seen.add(key);
    });
  } else if (p.enumValues !== undefined) {
    issue('enumValues', 'only enum values have enumValues');
  }
}

const parameter = z.strictObject(parameterShape).superRefine(checkParameter);
const property = z.strictObject({ ...parameterShape, access: z.enum(['r', 'rw']).default('r') }).superRefine(checkParameter);

/** Each parameter list names its parameters once. */
const parameterList = z
  .array(parameter)
  .max(32)
  .superRefine((list, ctx) => uniqueIdentifiers(list, [], ctx));

function uniqueIdentifiers(list: { identifier: string }[], path: (string | number)[], ctx: z.RefinementCtx, seen = new Map<string, string>()) {
  list.forEach((item, i) => {
    const where = [...path, i, 'identifier'];
    const first = seen.get(item.identifier);
    if (first) ctx.addIssue({ code: 'custom', path: where, message: `identifier ${item.identifier} is already used at ${first}` });
    else seen.set(item.identifier, where.join('.'));
  });
}

/**
 * 物模型: properties (what a device reports or accepts), events (what it raises, with a level) and services
 * (what it can be told to do, e.g. valve_open / valve_close). Identifiers are unique across the whole model,
 * because readings, alarms and commands name them without saying which of the three they are.
 */
export const thingModelSchema = z
  .strictObject({
    properties: z.array(property).max(256).default([]),
    events: z
      .array(z.strictObject({ identifier, name: localisedName, level: z.enum(['info', 'warning', 'fault']), outputs: parameterList.optional() }))
      .max(128)
      .default([]),
    services: z
      .array(z.strictObject({ identifier, name: localisedName, inputs: parameterList.optional(), outputs: parameterList.optional() }))
      .max(128)
      .default([]),
  })
  .superRefine((model, ctx) => {
    const seen = new Map<string, string>();
    uniqueIdentifiers(model.properties, ['properties'], ctx, seen);
    uniqueIdentifiers(model.events, ['events'], ctx, seen);
    uniqueIdentifiers(model.services, ['services'], ctx, seen);
  }) satisfies z.ZodType<ThingModel>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Settings the product's codec reads (CJ/T 188: `statusLayout`, `timeZone`, …). The codec owns their
 * meaning; here they must be a small JSON object, and a `timeZone` must be a real IANA zone.
 */
export const codecSettingsSchema = z
  .record(z.string().max(64), z.unknown())
  .refine((settings) => JSON.stringify(settings).length <= 8192, 'at most 8 KiB of settings')
  .superRefine((settings, ctx) => {
    const zone = settings.timeZone;
    if (zone !== undefined && (typeof zone !== 'string' || !isTimeZone(zone))) {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'an IANA time zone such as Asia/Shanghai' });
    }
  });

/** A codec id as the IoT pipeline registers it, e.g. `cjt188`, `json-thing-model`, `modbus`. */
export const codecId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and -');
