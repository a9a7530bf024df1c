import { isIP } from 'node:net';
import { devices, type ModbusConnection, type ThingModel, type Tx } from '@shuiyun/db';
import { AppError, type ErrorDetail, type Locale } from '@shuiyun/http';
import { parseRegisterMap, type RegisterMap, RegisterMapError } from '@shuiyun/iot';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { modbusMessage } from './modbus-messages.js';

/** The codec of products the platform polls: it reads the registers its register map names. */
export const MODBUS_CODEC = 'modbus';
export const DEFAULT_MODBUS_PORT = 502;
export const DEFAULT_POLL_SECONDS = 900;

interface ProductFacts {
  code: string;
  transport: string;
  codec: string;
  codecSettings: Record<string, unknown>;
  thingModel: ThingModel;
}

/**
 * Whether the platform polls the product's devices itself: Modbus TCP through the product's register map.
 * A product on transport `modbus` with another codec (a wired CJ/T 188 meter) is read by a concentrator
 * that relays its frames; the platform never connects to it.
 */
export function isPolledProduct(product: Pick<ProductFacts, 'transport' | 'codec'>): boolean {
  return product.transport === 'modbus' && product.codec === MODBUS_CODEC;
}

const hostName = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The fields of a device's Modbus connection, shared by the JSON API and the ledger import. */
export const connectionField = {
  /** The meter, or the serial gateway (串口服务器) in front of it. */
  host: z
    .string()
    .trim()
    .refine((v) => isIP(v) !== 0 || hostName.test(v), 'a host name or an IPv4/IPv6 address'),
  port: z.number().int().min(1).max(65_535),
  /** The Modbus unit (slave) id: the meter's address behind a gateway; 1 or 255 for a TCP-native device. */
  unitId: z.number().int().min(0).max(255),
  /** At least 5 s: a meter's registers barely change faster, and a gateway serves its meters one at a time. */
  intervalSeconds: z.number().int().min(5).max(86_400),
};

export const modbusConnectionSchema = z.strictObject({
  host: connectionField.host,
  port: connectionField.port.default(DEFAULT_MODBUS_PORT),
  unitId: connectionField.unitId,
  intervalSeconds: connectionField.intervalSeconds.default(DEFAULT_POLL_SECONDS),
}) satisfies z.ZodType<ModbusConnection, unknown>;

/** The product's register map, parsed; null when it has none. Throws a RegisterMapError for an invalid one. */
export function registerMapOf(product: Pick<ProductFacts, 'codecSettings'>): RegisterMap | null {
  const definition = product.codecSettings.registerMap;
  return definition === undefined ? null : parseRegisterMap(definition);
}

const MAP_PATH = 'body.codecSettings.registerMap';

/**
 * A product's Modbus settings against its transport, codec and thing model: codec `modbus` needs transport
 * `modbus` and a valid register map whose metrics are properties and whose services are services of the
 * thing model (a parameter written by a service is an input of it, bool for a coil, int for a register);
 * no other codec has a register map. Every problem, as the API's 400 details.
 */
export function checkProductModbus(product: ProductFacts, locale: Locale): ErrorDetail[] {
  const hasMap = product.codecSettings.registerMap !== undefined;
  if (product.codec !== MODBUS_CODEC) {
    return hasMap ? [{ path: MAP_PATH, code: 'register_map_codec', message: modbusMessage('register_map_codec', locale, { codec: product.codec }) }] : [];
  }
  const problems: ErrorDetail[] = [];
  if (product.transport !== 'modbus') {
    problems.push({ path: 'body.transport', code: 'register_map_transport', message: modbusMessage('register_map_transport', locale, { transport: product.transport }) });
  }
  if (!hasMap) return [...problems, { path: MAP_PATH, code: 'register_map_required', message: modbusMessage('register_map_required', locale) }];
  let map: RegisterMap;
  try {
    map = registerMapOf(product)!;
  } catch (error) {
    if (!(error instanceof RegisterMapError)) throw error;
    return [...problems, ...error.issues.map((i) => ({ path: i.path ? `${MAP_PATH}.${i.path}` : MAP_PATH, code: i.code, message: i.message }))];
  }
  const properties = new Set(product.thingModel.properties.map((p) => p.identifier));
  const definition = product.codecSettings.registerMap as { metrics: { metric: string }[] };
  definition.metrics.forEach(({ metric }, i) => {
    if (!properties.has(metric)) problems.push({ path: `${MAP_PATH}.metrics.${i}.metric`, code: 'metric_not_in_model', message: modbusMessage('metric_not_in_model', locale, { metric }) });
  });
  for (const [identifier, write] of Object.entries(map.services)) {
    const service = product.thingModel.services.find((s) => s.identifier === identifier);
    if (!service) {
      problems.push({ path: `${MAP_PATH}.services.${identifier}`, code: 'service_not_in_model', message: modbusMessage('service_not_in_model', locale, { service: identifier }) });
      continue;
    }
    if (write.param === undefined) continue;
    const type = write.function === 'coil' ? 'bool' : 'int';
    if (!service.inputs?.some((input) => input.identifier === write.param && input.dataType === type)) {
      problems.push({
        path: `${MAP_PATH}.services.${identifier}.param`,
        code: 'param_not_in_service',
        message: modbusMessage('param_not_in_service', locale, { service: identifier, param: write.param, type }),
      });
    }
  }
  return problems;
}

/** Refuses the product write with every problem of its Modbus settings. */
export function assertProductModbus(product: ProductFacts, locale: Locale): void {
  const problems = checkProductModbus(product, locale);
  if (problems.length > 0) throw new AppError('validation_failed', { details: problems });
}

/**
 * Whether a product may stop (or start) being polled: not while it has devices, whose connections would
 * then be missing or left over.
 */
export async function assertPollingUnchanged(tx: Tx, before: ProductFacts & { id: number }, after: Pick<ProductFacts, 'transport' | 'codec'>, locale: Locale) {
  if (isPolledProduct(before) === isPolledProduct(after)) return;
  const count = await tx.$count(devices, eq(devices.productId, before.id));
  if (count === 0) return;
  throw new AppError('conflict', {
    details: [{ path: 'body.codec', code: 'polling_changes_with_devices', message: modbusMessage('polling_changes_with_devices', locale, { product: before.code, devices: count }) }],
  });
}

/**
 * A device's connection against its product: a polled product's devices need one, no other device has one.
 * Null when it fits, else the problem (its path is the caller's to prefix).
 */
export function connectionProblem(
  product: Pick<ProductFacts, 'code' | 'transport' | 'codec'>,
  connection: ModbusConnection | null,
  locale: Locale,
): { code: 'connection_required' | 'connection_not_polled'; message: string } | null {
  const params = { product: product.code, transport: product.transport, codec: product.codec };
  if (isPolledProduct(product) && connection === null) return { code: 'connection_required', message: modbusMessage('connection_required', locale, params) };
  if (!isPolledProduct(product) && connection !== null) return { code: 'connection_not_polled', message: modbusMessage('connection_not_polled', locale, params) };
  return null;
}
