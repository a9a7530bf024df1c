import { designArtifacts, designArtifactVersions, entityRecords, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery, type ErrorDetail } from '@shuiyun/http';
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { artifactCode, type EntityContent } from './content.js';
import { filterValue, formilySchema, recordMessage, recordSchema, searchableFields, uniqueKeys } from './entity-model.js';
import { designMessage } from './messages.js';
import { activeModel, activeVersion, zodLocale } from './publishers.js';

const tags = ['Entities 实体数据'];
const PATH = '/api/entities';
const codeParams = z.object({ code: artifactCode });
const recordParams = codeParams.extend({ id: idParams.shape.id });
const data = z.record(z.string(), z.unknown());

type RecordRow = typeof entityRecords.$inferSelect;
const present = ({ tenantPath: _path, ...row }: RecordRow) => row;

/** The caller's tenant's published model of `code`; a 404 naming it otherwise. */
async function model(tx: Tx, ctx: RequestContext, code: string) {
  const found = await activeModel(tx, ctx.principal().tenantId, code);
  if (!found) throw new AppError('not_found', { details: [{ path: 'params.code', code: 'entity_unknown', message: designMessage('entity_not_published', ctx.locale, { code }) }] });
  return found;
}

async function loadRecord(tx: Tx, code: string, id: number, lock = false): Promise<RecordRow> {
  const query = tx
    .select()
    .from(entityRecords)
    .where(and(eq(entityRecords.id, id), eq(entityRecords.entity, code)));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found');
  return row;
}

/**
 * Checks a record's data against the model (types, required, ranges, enum values), that its references
 * point at records of the same tenant, and that its unique fields are not taken. Concurrent writers of
 * one entity queue on an advisory lock, so two requests cannot both pass the uniqueness check.
 */
async function checkedData(tx: Tx, ctx: Pick<RequestContext, 'locale'>, tenantId: number, code: string, entity: EntityContent, input: Record<string, unknown>, selfId: number | null) {
  const parsed = recordSchema(entity).safeParse(input, zodLocale(ctx.locale));
  if (!parsed.success) {
    const details: ErrorDetail[] = parsed.error.issues.map((issue) => ({
      path: ['body', 'data', ...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])].join('.'),
      code: issue.code,
      message: recordMessage(issue.message, ctx.locale),
    }));
    throw new AppError('validation_failed', { details });
  }
  const value = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  const problems: ErrorDetail[] = [];
  for (const field of entity.fields) {
    if (field.type !== 'reference' || value[field.name] === undefined) continue;
    const [target] = await tx
      .select({ id: entityRecords.id })
      .from(entityRecords)
      .where(and(eq(entityRecords.id, value[field.name] as number), eq(entityRecords.tenantId, tenantId), eq(entityRecords.entity, field.reference!)));
    if (!target) problems.push({ path: `body.data.${field.name}`, code: 'reference_missing', message: designMessage('reference_missing', ctx.locale, { entity: field.reference!, id: String(value[field.name]) }) });
  }
  if (problems.length > 0) throw new AppError('invalid_reference', { details: problems });
  const keys = uniqueKeys(entity);
  if (keys.length > 0) {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`entity:${tenantId}:${code}`}))`);
    for (const key of keys) {
      if (key.some((name) => value[name] === undefined)) continue;
      const probe = Object.fromEntries(key.map((name) => [name, value[name]]));
      const [taken] = await tx
        .select({ id: entityRecords.id })
        .from(entityRecords)
        .where(
          and(
            eq(entityRecords.tenantId, tenantId),
            eq(entityRecords.entity, code),
            sql`${entityRecords.data} @> ${JSON.stringify(probe)}::jsonb`,
            selfId === null ? undefined : sql`${entityRecords.id} <> ${selfId}`,
          ),
        )
        .limit(1);
      if (taken) {
        const message = designMessage('unique_taken', ctx.locale, { fields: key.join(', '), value: key.map((name) => String(value[name])).join(', '), id: taken.id });
        throw new AppError('duplicate', { details: [{ path: `body.data.${key[0]}`, code: 'unique_taken', message }] });
      }
    }
  }
  return value;
}

/**
 * Creates a record of the tenant's published model `code`, checked like one the API receives (the
 * route, and a pack's seed, write through here); `ctx` gives the language of a refusal.
 */
export async function createEntityRecord(tx: Tx, ctx: Pick<RequestContext, 'locale'>, tenantId: number, code: string, input: Record<string, unknown>, userId: number | null): Promise<RecordRow> {
  const found = await activeModel(tx, tenantId, code);
  if (!found) throw new AppError('not_found', { details: [{ path: 'params.code', code: 'entity_unknown', message: designMessage('entity_not_published', ctx.locale, { code }) }] });
  const tenant = found.artifact;
  const value = await checkedData(tx, ctx, tenant.tenantId, code, found.model, input, null);
  const [row] = await tx
    .insert(entityRecords)
    .values({ tenantId: tenant.tenantId, tenantPath: tenant.tenantPath, entity: code, data: value, createdBy: userId, updatedBy: userId })
    .returning();
  return row!;
}

/** Entity data: the generated CRUD API of every published entity model, under tenancy, permissions and the audit trail. */
export function entityRoutes() {
  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'entity:read',
      summary: 'The published entity models of the caller’s tenant',
      tags,
      handler: (_input, ctx) =>
        ctx.tx(async (tx) => {
          const rows = await tx
            .select({ code: designArtifacts.code, name: designArtifacts.name, version: designArtifactVersions.version, content: designArtifactVersions.content })
            .from(designArtifacts)
            .innerJoin(designArtifactVersions, activeVersion)
            .where(and(eq(designArtifacts.tenantId, ctx.principal().tenantId), eq(designArtifacts.kind, 'entity')))
            .orderBy(asc(designArtifacts.code));
          return { items: rows.map((row) => ({ code: row.code, name: row.name, version: row.version, label: (row.content as unknown as EntityContent).label })) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:code`,
      permission: 'entity:read',
      summary: 'One published entity model: its fields, indexes and title field',
      tags,
      params: codeParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const found = await model(tx, ctx, params.code);
          return { code: params.code, name: found.artifact.name, version: found.version, ...found.model };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:code/schema`,
      permission: 'entity:read',
      summary: 'The entity’s Formily JSON Schema (Ant Design components): the one the model carries, else generated from its fields in the caller’s language (?generated=true: always generated)',
      tags,
      params: codeParams,
      query: z.object({ generated: z.enum(['true', 'false']).default('false') }),
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          const { model: entity } = await model(tx, ctx, params.code);
          return entity.form && query.generated === 'false' ? entity.form : formilySchema(entity, ctx.locale);
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:code/records`,
      permission: 'entity:read',
      summary: 'Records, newest first or by `sort=<field>` / `-<field>`; `q` searches text fields, `filter.<field>=` matches exactly',
      tags,
      params: codeParams,
      query: pageQuery
        .extend({ q: z.string().trim().max(100).optional(), sort: z.string().regex(/^-?[a-z][A-Za-z0-9]{0,62}$/).optional() })
        .catchall(z.string().max(500)),
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          const { model: entity } = await model(tx, ctx, params.code);
          const fields = new Map(entity.fields.map((f) => [f.name, f]));
          const where: (SQL | undefined)[] = [eq(entityRecords.tenantId, ctx.principal().tenantId), eq(entityRecords.entity, params.code)];
          const probe: Record<string, unknown> = {};
          for (const [key, text] of Object.entries(query)) {
            if (!key.startsWith('filter.')) {
              if (!['page', 'pageSize', 'q', 'sort'].includes(key)) throw new AppError('unknown_field', { details: [{ path: `query.${key}`, message: `unknown parameter ${key}` }] });
              continue;
            }
            const name = key.slice('filter.'.length);
            const field = fields.get(name);
            if (!field) throw new AppError('validation_failed', { details: [{ path: `query.${key}`, code: 'unknown_filter', message: designMessage('unknown_filter', ctx.locale, { field: name }) }] });
            const parsed = filterValue(field, String(text));
            if ('error' in parsed) throw new AppError('validation_failed', { details: [{ path: `query.${key}`, code: 'bad_filter', message: designMessage('bad_filter', ctx.locale, { field: name, expected: parsed.error }) }] });
            probe[name] = parsed.value;
          }
          if (Object.keys(probe).length > 0) where.push(sql`${entityRecords.data} @> ${JSON.stringify(probe)}::jsonb`);
          if (query.q) {
            const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
            const searched = searchableFields(entity);
            if (searched.length > 0) where.push(sql`(${sql.join(searched.map((name) => sql`${entityRecords.data}->>${name} ilike ${like}`), sql` or `)})`);
          }
          const order: SQL[] = [];
          if (query.sort) {
            const name = query.sort.replace(/^-/, '');
            const field = fields.get(name);
            if (!field) throw new AppError('validation_failed', { details: [{ path: 'query.sort', code: 'unknown_filter', message: designMessage('unknown_filter', ctx.locale, { field: name }) }] });
            const numeric = field.type === 'integer' || field.type === 'decimal' || field.type === 'reference';
            const value = numeric ? sql`(${entityRecords.data}->>${name})::numeric` : sql`${entityRecords.data}->>${name}`;
            order.push(query.sort.startsWith('-') ? sql`${value} desc nulls last` : sql`${value} asc nulls last`);
          }
          order.push(desc(entityRecords.id));
          const page = await listPage(tx, entityRecords, and(...where), order, query);
          return { ...page, items: page.items.map(present) };
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:code/records`,
      permission: 'entity:create',
      summary: 'Create a record, checked against the model',
      tags,
      params: codeParams,
      body: z.strictObject({ data }),
      status: 201,
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => present(await createEntityRecord(tx, ctx, ctx.principal().tenantId, params.code, body.data, ctx.principal().userId))),
    }),
    route({
      method: 'get',
      path: `${PATH}/:code/records/:id`,
      permission: 'entity:read',
      summary: 'One record',
      tags,
      params: recordParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          await model(tx, ctx, params.code);
          return present(await loadRecord(tx, params.code, params.id));
        }),
    }),
    route({
      method: 'put',
      path: `${PATH}/:code/records/:id`,
      permission: 'entity:update',
      summary: 'Replace a record’s data; `revision` is the one the form loaded (409 when someone saved since)',
      tags,
      params: recordParams,
      body: z.strictObject({ data, revision: z.number().int().min(1) }),
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const found = await model(tx, ctx, params.code);
          const current = await loadRecord(tx, params.code, params.id, true);
          if (current.revision !== body.revision) {
            const message = designMessage('stale_revision', ctx.locale, { current: current.revision, given: body.revision });
            throw new AppError('conflict', { details: [{ path: 'body.revision', code: 'stale_revision', message }] });
          }
          const value = await checkedData(tx, ctx, current.tenantId, params.code, found.model, body.data, current.id);
          const [row] = await tx
            .update(entityRecords)
            .set({ data: value, revision: current.revision + 1, updatedBy: ctx.principal().userId, updatedAt: new Date() })
            .where(eq(entityRecords.id, current.id))
            .returning();
          return present(row!);
        }),
    }),
    route({
      method: 'delete',
      path: `${PATH}/:code/records/:id`,
      permission: 'entity:delete',
      summary: 'Delete a record (the audit trail keeps what it held); refused while another record references it',
      tags,
      params: recordParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          await model(tx, ctx, params.code);
          const current = await loadRecord(tx, params.code, params.id, true);
          const referencing = await referencesTo(tx, current);
          if (referencing) throw new AppError('still_referenced', { details: [{ path: 'params.id', message: `${referencing.entity} ${referencing.id}` }] });
          await tx.delete(entityRecords).where(eq(entityRecords.id, current.id));
          return undefined;
        }),
    }),
  ];
}

/** A record of another (or the same) entity of the tenant whose reference field points at `target`. */
async function referencesTo(tx: Tx, target: RecordRow): Promise<{ entity: string; id: number } | undefined> {
  const models = await tx
    .select({ code: designArtifacts.code, content: designArtifactVersions.content })
    .from(designArtifacts)
    .innerJoin(designArtifactVersions, activeVersion)
    .where(and(eq(designArtifacts.tenantId, target.tenantId), eq(designArtifacts.kind, 'entity')));
  for (const { code, content } of models) {
    for (const field of (content as unknown as EntityContent).fields) {
      if (field.type !== 'reference' || field.reference !== target.entity) continue;
      const [row] = await tx
        .select({ id: entityRecords.id })
        .from(entityRecords)
        .where(and(eq(entityRecords.tenantId, target.tenantId), eq(entityRecords.entity, code), sql`${entityRecords.data} @> ${JSON.stringify({ [field.name]: target.id })}::jsonb`))
        .limit(1);
      if (row) return { entity: code, id: row.id };
    }
  }
  return undefined;
}
