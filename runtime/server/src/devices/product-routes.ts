import { products, tenants } from '@shuiyun/db';
import { z } from 'zod';
import { tenantCrudRoutes } from '../directory/tenant-crud.js';
import { assertPollingUnchanged, assertProductModbus } from './modbus-settings.js';
import { codecId, codecSettingsSchema, productKinds, thingModelSchema, transports } from './thing-model.js';

const code = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, dash or underscore; at most 64');
const name = z.string().trim().min(1).max(100);
const label = z.string().trim().min(1).max(100);

export const productView = z.object({
  id: z.number(),
  tenantId: z.number(),
  tenantPath: z.string(),
  code: z.string(),
  name: z.string(),
  manufacturer: z.string().nullable(),
  model: z.string().nullable(),
  kind: z.enum(productKinds),
  transport: z.enum(transports),
  codec: z.string(),
  codecSettings: z.record(z.string(), z.unknown()),
  thingModel: thingModelSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What a product is beyond its code and name: what a pack's manifest declares as a product's `definition`. */
export const productDefinition = z.strictObject({
  manufacturer: label.optional(),
  model: label.optional(),
  kind: z.enum(productKinds),
  transport: z.enum(transports),
  codec: codecId,
  codecSettings: codecSettingsSchema.default({}),
  thingModel: thingModelSchema,
});

/** 产品/型号: CRUD with the thing model (and a Modbus product's register map) validated on every write. */
export const productRoutes = tenantCrudRoutes({
  resource: 'product',
  path: '/api/products',
  tags: ['Devices 设备'],
  noun: 'device product (产品/型号)',
  table: products,
  create: productDefinition.extend({ tenantId: z.number().int().positive().optional(), code, name }),
  update: z.strictObject({
    code: code.optional(),
    name: name.optional(),
    manufacturer: label.nullable().optional(),
    model: label.nullable().optional(),
    kind: z.enum(productKinds).optional(),
    transport: z.enum(transports).optional(),
    codec: codecId.optional(),
    codecSettings: codecSettingsSchema.optional(),
    thingModel: thingModelSchema.optional(),
  }),
  view: productView,
  search: [products.code, products.name, products.model, products.manufacturer],
  idFilters: { tenantId: { column: products.tenantId, table: tenants } },
  orderBy: [products.tenantPath, products.code],
  prepareCreate: async (_tx, body, _tenant, ctx) => {
    assertProductModbus(body, ctx.locale);
    return { ...body, tenantId: undefined, manufacturer: body.manufacturer ?? null, model: body.model ?? null };
  },
  prepareUpdate: async (tx, body, current, ctx) => {
    // Checked as the product will be, since a new thing model can orphan the map's metrics and a new codec the map.
    const after = { ...current, ...body };
    assertProductModbus(after, ctx.locale);
    await assertPollingUnchanged(tx, current, after, ctx.locale);
    return body;
  },
});
