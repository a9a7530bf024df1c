import { designArtifacts, designArtifactVersions, tenants, type Tx } from '@shuiyun/db';
import { AppError, idParams, pageQuery } from '@shuiyun/http';
import { createTwoFilesPatch } from 'diff';
import { and, asc, desc, eq, ilike, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { listPage } from '../http/paging.js';
import { route } from '../http/route.js';
import { idFilterConditions, resolveTenant } from '../http/scoped-queries.js';
import { artifactChecksum, canonicalJson } from '../reports/checksum.js';
import { artifactCode, artifactKinds, blankContent } from './content.js';
import { designMessage, kindNames } from './messages.js';
import { applyContent, type ArtifactRow, type PublishDeps } from './publishers.js';

const tags = ['Designer 设计器'];
const PATH = '/api/design/artifacts';
/** A draft may be large (a BPMN file, a GrapesJS project) but not without bound. */
const content = z.record(z.string(), z.unknown()).refine((value) => JSON.stringify(value).length <= 4_000_000, 'at most 4 MB of JSON');
const versionParams = idParams.extend({ version: z.string().regex(/^[1-9][0-9]{0,8}$/, 'a version number').transform(Number) });

const checksumOf = (value: Record<string, unknown>) => artifactChecksum(value);

export function presentArtifact(row: ArtifactRow, withDraft = true) {
  const summary = {
    id: row.id,
    tenantId: row.tenantId,
    kind: row.kind,
    code: row.code,
    name: row.name,
    publishedVersion: row.publishedVersion,
    draftRevision: row.draftRevision,
    draftChanged: row.publishedChecksum !== row.draftChecksum,
    /** The pack that installed it, and a newer pack version's content offered beside the tenant's edit. */
    pack: row.packId ? { id: row.packId, version: row.packVersion, offeredVersion: row.packOfferVersion } : null,
    updatedAt: row.updatedAt,
  };
  if (!withDraft) return summary;
  return { ...summary, draft: { content: row.draft, revision: row.draftRevision, savedAt: row.draftSavedAt, savedBy: row.draftSavedBy } };
}

async function load(tx: Tx, id: number, lock = false): Promise<ArtifactRow> {
  const query = tx.select().from(designArtifacts).where(eq(designArtifacts.id, id));
  const [row] = lock ? await query.for('update') : await query;
  if (!row) throw new AppError('not_found');
  return row;
}

async function loadVersion(tx: Tx, artifact: ArtifactRow, version: number, locale: RequestContext['locale']) {
  const [row] = await tx
    .select()
    .from(designArtifactVersions)
    .where(and(eq(designArtifactVersions.artifactId, artifact.id), eq(designArtifactVersions.version, version)));
  if (!row) throw new AppError('not_found', { details: [{ path: 'version', code: 'version_unknown', message: designMessage('version_unknown', locale, { version }) }] });
  return row;
}

/**
 * Publishes `content` as the artifact's next version: checked and applied to the runtime in the same
 * transaction, so a refusal (422 with every problem) changes nothing and the active version stays.
 */
export async function publishArtifact(tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, given: Record<string, unknown>, note: string | null) {
  const { content: stored, applied } = await applyContent(tx, ctx, deps, artifact, given);
  const [{ next }] = (await tx
    .select({ next: sql<number>`coalesce(max(${designArtifactVersions.version}), 0) + 1`.mapWith(Number) })
    .from(designArtifactVersions)
    .where(eq(designArtifactVersions.artifactId, artifact.id))) as [{ next: number }];
  const checksum = checksumOf(stored);
  const userId = ctx.principal().userId;
  const [version] = await tx
    .insert(designArtifactVersions)
    .values({ tenantId: artifact.tenantId, tenantPath: artifact.tenantPath, artifactId: artifact.id, version: next, content: stored, checksum, note, applied, publishedBy: userId })
    .returning();
  // The draft takes the stored form (a form's id set, a page's HTML cleaned), so it does not show as changed.
  const sameAsDraft = artifact.draftChecksum === checksumOf(given);
  const normalised = sameAsDraft && artifact.draftChecksum !== checksum;
  const [updated] = await tx
    .update(designArtifacts)
    .set({
      publishedVersion: next,
      publishedChecksum: checksum,
      ...(normalised ? { draft: stored, draftChecksum: checksum, draftRevision: artifact.draftRevision + 1 } : {}),
      updatedAt: new Date(),
    })
    .where(eq(designArtifacts.id, artifact.id))
    .returning();
  return { version: version!.version, publishedAt: version!.publishedAt, note: version!.note, applied, artifact: presentArtifact(updated!) };
}

/** The text a diff compares: the BPMN XML of a process, canonical indented JSON of anything else (a page without its GrapesJS project). */
function diffText(kind: string, value: Record<string, unknown>): string {
  if (kind === 'process' && typeof value.xml === 'string') return value.xml.endsWith('\n') ? value.xml : `${value.xml}\n`;
  const { project: _project, ...rest } = kind === 'page' ? value : { ...value, project: undefined };
  return `${JSON.stringify(JSON.parse(canonicalJson(rest)), null, 2)}\n`;
}

/**
 * 设计器制品: processes, forms, pages, reports and entity models of a tenant, each a draft that autosaves
 * (optimistic revision) and published versions (draft → published, list, diff, roll back). Publishing
 * checks the content and applies it to the runtime in one transaction.
 */
export function artifactRoutes(deps: PublishDeps) {
  return [
    route({
      method: 'get',
      path: PATH,
      permission: 'design:read',
      summary: 'Artifacts of the caller’s tenant and those below it, by kind, with a text search on code and name',
      tags,
      query: pageQuery.extend({ kind: z.enum(artifactKinds).optional(), q: z.string().trim().max(100).optional(), tenantId: z.coerce.number().int().positive().optional() }),
      handler: ({ query }, ctx) =>
        ctx.tx(async (tx) => {
          const where: (SQL | undefined)[] = await idFilterConditions(tx, query, { tenantId: { column: designArtifacts.tenantId, table: tenants } });
          if (query.kind) where.push(eq(designArtifacts.kind, query.kind));
          if (query.q) {
            const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
            where.push(or(ilike(designArtifacts.code, like), ilike(designArtifacts.name, like)));
          }
          const page = await listPage(tx, designArtifacts, and(...where), [desc(designArtifacts.updatedAt), asc(designArtifacts.id)], query);
          return { ...page, items: page.items.map((row) => presentArtifact(row, false)) };
        }),
    }),
    route({
      method: 'post',
      path: PATH,
      permission: 'design:write',
      summary: 'Create an artifact with its first draft (a blank one of its kind when no content is given)',
      tags,
      status: 201,
      body: z.strictObject({
        kind: z.enum(artifactKinds),
        code: artifactCode,
        name: z.string().trim().min(1).max(200),
        content: content.optional(),
        tenantId: z.number().int().positive().optional(),
      }),
      handler: ({ body }, ctx) =>
        ctx.tx(async (tx) => {
          const tenant = await resolveTenant(tx, ctx, body.tenantId);
          const [existing] = await tx
            .select({ id: designArtifacts.id })
            .from(designArtifacts)
            .where(and(eq(designArtifacts.tenantId, tenant.id), eq(designArtifacts.kind, body.kind), eq(designArtifacts.code, body.code)));
          if (existing) {
            const message = designMessage('code_taken', ctx.locale, { code: body.code, kind: kindNames[body.kind]![ctx.locale] });
            throw new AppError('duplicate', { details: [{ path: 'body.code', code: 'code_taken', message }] });
          }
          const draft = body.content ?? blankContent(body.kind, body.code, body.name);
          const userId = ctx.principal().userId;
          const [row] = await tx
            .insert(designArtifacts)
            .values({
              tenantId: tenant.id,
              tenantPath: tenant.path,
              kind: body.kind,
              code: body.code,
              name: body.name,
              draft,
              draftChecksum: checksumOf(draft),
              draftSavedBy: userId,
              createdBy: userId,
            })
            .returning();
          return presentArtifact(row!);
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id`,
      permission: 'design:read',
      summary: 'One artifact with its draft',
      tags,
      params: idParams,
      handler: ({ params }, ctx) => ctx.tx(async (tx) => presentArtifact(await load(tx, params.id))),
    }),
    route({
      method: 'put',
      path: `${PATH}/:id/draft`,
      permission: 'design:write',
      summary: 'Save the draft; `revision` is the one the editor loaded (409 when someone saved since)',
      tags,
      params: idParams,
      body: z.strictObject({ content, revision: z.number().int().min(1), name: z.string().trim().min(1).max(200).optional() }),
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id, true);
          if (row.draftRevision !== body.revision) {
            const message = designMessage('stale_revision', ctx.locale, { current: row.draftRevision, given: body.revision });
            throw new AppError('conflict', { details: [{ path: 'body.revision', code: 'stale_revision', message }] });
          }
          const [saved] = await tx
            .update(designArtifacts)
            .set({
              draft: body.content,
              draftChecksum: checksumOf(body.content),
              draftRevision: row.draftRevision + 1,
              draftSavedAt: new Date(),
              draftSavedBy: ctx.principal().userId,
              ...(body.name ? { name: body.name } : {}),
              updatedAt: new Date(),
            })
            .where(eq(designArtifacts.id, row.id))
            .returning();
          return presentArtifact(saved!);
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:id/publish`,
      permission: 'design:publish',
      summary: 'Publish the draft as the next version: checked, then applied (deployed, saved as a template, served as a page …); 422 lists every problem and nothing changes',
      tags,
      params: idParams,
      body: z.strictObject({ note: z.string().trim().max(500).optional(), revision: z.number().int().min(1).optional() }),
      status: 201,
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id, true);
          if (body.revision !== undefined && body.revision !== row.draftRevision) {
            const message = designMessage('stale_revision', ctx.locale, { current: row.draftRevision, given: body.revision });
            throw new AppError('conflict', { details: [{ path: 'body.revision', code: 'stale_revision', message }] });
          }
          return publishArtifact(tx, ctx, deps, row, row.draft, body.note ?? null);
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/versions`,
      permission: 'design:read',
      summary: 'Published versions, newest first; `active` marks the one in use',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id);
          const versions = await tx
            .select({
              version: designArtifactVersions.version,
              note: designArtifactVersions.note,
              publishedAt: designArtifactVersions.publishedAt,
              publishedBy: designArtifactVersions.publishedBy,
              applied: designArtifactVersions.applied,
            })
            .from(designArtifactVersions)
            .where(eq(designArtifactVersions.artifactId, row.id))
            .orderBy(desc(designArtifactVersions.version));
          return { items: versions.map((v) => ({ ...v, active: v.version === row.publishedVersion })) };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/versions/:version`,
      permission: 'design:read',
      summary: 'One published version with its content',
      tags,
      params: versionParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id);
          const version = await loadVersion(tx, row, params.version, ctx.locale);
          return { ...version, active: version.version === row.publishedVersion };
        }),
    }),
    route({
      method: 'get',
      path: `${PATH}/:id/diff`,
      permission: 'design:read',
      summary: 'A unified diff between two versions, or a version and the draft (`to=draft`, the default); `from` defaults to the active version',
      tags,
      params: idParams,
      query: z.object({
        from: z.coerce.number().int().min(1).optional(),
        to: z.union([z.literal('draft'), z.literal('pack'), z.coerce.number().int().min(1)]).default('draft'),
      }),
      handler: ({ params, query }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id);
          const fromVersion = query.from ?? row.publishedVersion;
          const from = fromVersion ? (await loadVersion(tx, row, fromVersion, ctx.locale)).content : {};
          if (query.to === 'pack' && !row.packOffer) {
            throw new AppError('not_found', { details: [{ path: 'query.to', code: 'no_pack_offer', message: designMessage('no_pack_offer', ctx.locale) }] });
          }
          const to = query.to === 'draft' ? row.draft : query.to === 'pack' ? row.packOffer! : (await loadVersion(tx, row, query.to, ctx.locale)).content;
          const fromName = fromVersion ? `v${fromVersion}` : 'empty';
          const toName = query.to === 'draft' ? 'draft' : query.to === 'pack' ? `${row.packId} ${row.packOfferVersion}` : `v${query.to}`;
          const patch = createTwoFilesPatch(fromName, toName, fromVersion ? diffText(row.kind, from) : '', diffText(row.kind, to), undefined, undefined, { context: 3 });
          return { from: fromVersion ?? null, to: query.to, patch, changed: checksumOf(from) !== checksumOf(to) };
        }),
    }),
    route({
      method: 'post',
      path: `${PATH}/:id/rollback`,
      permission: 'design:publish',
      summary: 'Publish an older version’s content again as the next version; the draft becomes that content',
      tags,
      params: idParams,
      body: z.strictObject({ version: z.number().int().min(1), note: z.string().trim().max(500).optional() }),
      status: 201,
      handler: ({ params, body }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id, true);
          const old = await loadVersion(tx, row, body.version, ctx.locale);
          const published = await publishArtifact(tx, ctx, deps, row, old.content, body.note ?? `rollback to v${body.version}`);
          const stored = (await loadVersion(tx, row, published.version, ctx.locale)).content;
          const [updated] = await tx
            .update(designArtifacts)
            .set({ draft: stored, draftChecksum: checksumOf(stored), draftRevision: published.artifact.draftRevision + 1, draftSavedAt: new Date(), draftSavedBy: ctx.principal().userId })
            .where(eq(designArtifacts.id, row.id))
            .returning();
          return { ...published, artifact: presentArtifact(updated!), rolledBackTo: body.version };
        }),
    }),
    route({
      method: 'delete',
      path: `${PATH}/:id`,
      permission: 'design:write',
      summary: 'Delete an artifact that was never published',
      tags,
      params: idParams,
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const row = await load(tx, params.id, true);
          if (row.publishedVersion !== null) {
            throw new AppError('conflict', { details: [{ path: 'params.id', code: 'published', message: designMessage('published_cannot_delete', ctx.locale) }] });
          }
          await tx.delete(designArtifacts).where(eq(designArtifacts.id, row.id));
          return undefined;
        }),
    }),
  ];
}
