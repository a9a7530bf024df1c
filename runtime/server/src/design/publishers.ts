import { designArtifacts, designArtifactVersions, entityRecords, type Tx } from '@shuiyun/db';
import { compileForm, FormSchemaError } from '@shuiyun/forms';
import { AppError, type ErrorDetail, type Locale } from '@shuiyun/http';
import { compileDefinition, DeployError } from '@shuiyun/workflow';
import { contentMessage } from '@shuiyun/sdk';
import { and, eq, ne, sql } from 'drizzle-orm';
import sanitizeHtml from 'sanitize-html';
import { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import type { ReportService } from '../reports/service.js';
import { newestTemplate, saveTemplateVersion } from '../reports/store.js';
import { checkedTemplate } from '../reports/template-routes.js';
import { latestForm } from '../workflow/definitions.js';
import type { WorkflowEngine } from '../workflow/engine.js';
import { type ArtifactKind, entityContent, type EntityContent, formContent, pageContent, processContent } from './content.js';
import { designMessage } from './messages.js';
import { recordSchema } from './entity-model.js';

export type ArtifactRow = typeof designArtifacts.$inferSelect;

/**
 * Joins an artifact to its active published version (`innerJoin(designArtifactVersions, activeVersion)`):
 * an artifact never published has none, so the join keeps only published ones.
 */
export const activeVersion = and(eq(designArtifactVersions.artifactId, designArtifacts.id), eq(designArtifactVersions.version, designArtifacts.publishedVersion));

export interface PublishDeps {
  workflow: WorkflowEngine | undefined;
  reports: ReportService;
}

/** What publishing one kind produced: the content as stored (normalised) and what the runtime now holds. */
export interface Applied {
  content: Record<string, unknown>;
  applied: Record<string, unknown>;
}

/** A publish that cannot go through: 422 with every problem, nothing applied, the active version unchanged. */
export function publishRefused(details: ErrorDetail[]): AppError {
  return new AppError('validation_failed', { status: 422, details });
}

function zodDetails(error: z.ZodError, locale: Locale): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: ['content', ...issue.path.map(String)].join('.'), code: issue.code, message: contentMessage(issue.message, locale) }));
}

/** zod's own messages in Chinese; the content checks' messages are translated by `contentMessage`. */
export const zodLocale = (locale: Locale) => (locale === 'zh-CN' ? { error: z.locales.zhCN().localeError } : undefined);

function parsed<T>(schema: z.ZodType<T>, content: unknown, locale: Locale): T {
  const result = schema.safeParse(content, zodLocale(locale));
  if (!result.success) throw publishRefused(zodDetails(result.error, locale));
  return result.data;
}

/** Runs a runtime call whose 400s speak of its own request body; the designer sees them as publish problems on the content. */
async function asPublishProblems<T>(work: () => Promise<T>, rename: (path: string) => string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.status < 500 && error.code !== 'forbidden' && error.code !== 'forbidden_tenant') {
      const details = error.details?.length ? error.details : [{ message: error.message }];
      throw publishRefused(details.map((d) => ({ ...d, path: rename(d.path ?? '') })));
    }
    throw error;
  }
}

const target = (artifact: ArtifactRow, ctx: RequestContext) => ({ tenantId: artifact.tenantId, tenantPath: artifact.tenantPath, userId: ctx.principal().userId });

function needEngine(deps: PublishDeps): WorkflowEngine {
  if (!deps.workflow) throw new AppError('not_ready', { details: [{ path: 'workflow', message: 'the workflow engine is not running on this node' }] });
  return deps.workflow;
}

async function publishProcess(tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  const { xml } = parsed(processContent, content, ctx.locale);
  const locale = ctx.locale;
  let compiled;
  try {
    compiled = compileDefinition(xml);
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    throw publishRefused(error.issues.map((issue) => ({ path: 'content.xml', code: 'bpmn', message: issue.reason, ...(issue.elementId ? { elementId: issue.elementId } : {}) })));
  }
  const problems: ErrorDetail[] = [];
  if (compiled.processes.length !== 1) {
    problems.push({ path: 'content.xml', code: 'process_count', message: designMessage('one_process', locale, { count: compiled.processes.length }) });
  }
  for (const process of compiled.processes) {
    if (process.processId !== artifact.code) {
      problems.push({ path: 'content.xml', code: 'process_id', elementId: process.processId, message: designMessage('process_id', locale, { id: process.processId, code: artifact.code }) });
    }
    for (const task of process.userTasks) {
      if (task.formId && !(await latestForm(tx, artifact.tenantId, task.formId))) {
        problems.push({ path: 'content.xml', code: 'form_unknown', elementId: task.elementId, message: designMessage('form_unknown', locale, { formId: task.formId, task: task.name ?? task.elementId }) });
      }
    }
  }
  if (problems.length > 0) throw publishRefused(problems);
  const deployed = await asPublishProblems(
    () => needEngine(deps).deploy(tx, target(artifact, ctx), [{ name: `${artifact.code}.bpmn`, content: xml }]),
    () => 'content.xml',
  );
  const process = deployed.processes[0]!;
  return { content: { xml }, applied: { processId: process.processId, definitionId: process.id, definitionVersion: process.version } };
}

async function publishForm(tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  const { schema: given } = parsed(formContent, content, ctx.locale);
  const schema = { ...given, id: artifact.code };
  try {
    compileForm(schema);
  } catch (error) {
    if (!(error instanceof FormSchemaError)) throw error;
    throw publishRefused(error.issues.map((issue) => ({ path: `content.schema${issue.path ? `.${issue.path}` : ''}`, code: 'form', message: issue.reason })));
  }
  const deployed = await asPublishProblems(
    () => needEngine(deps).deploy(tx, target(artifact, ctx), [{ name: `${artifact.code}.form`, content: JSON.stringify(schema) }]),
    () => 'content.schema',
  );
  const form = deployed.forms[0]!;
  return { content: { schema }, applied: { formId: form.formId, formRowId: form.id, formVersion: form.version } };
}

async function publishReport(tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  const input = { name: artifact.name, ...(content as Record<string, unknown>), code: artifact.code };
  const author = target(artifact, ctx);
  const template = await asPublishProblems(
    () => checkedTemplate(tx, ctx, deps.reports, input, author),
    (path) => path.replace(/^body\.template/, 'content'),
  );
  const saved = await saveTemplateVersion(tx, author, template, await newestTemplate(tx, artifact.tenantId, artifact.code));
  return { content: template as unknown as Record<string, unknown>, applied: { templateId: saved.row.id, templateVersion: saved.row.version } };
}

/** Pages are written by consultants but shown to every user of the tenant: no scripts, no event handlers, no javascript: links. */
export function sanitizePageHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'section', 'header', 'footer', 'main', 'article', 'aside', 'nav', 'figure', 'figcaption', 'span', 'h1', 'h2', 'button'],
    allowedAttributes: {
      '*': ['class', 'id', 'style', 'title', 'data-sy-block', 'data-sy-config', 'data-gjs-type', 'role', 'aria-label'],
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'data'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowVulnerableTags: false,
  });
}

async function publishPage(tx: Tx, ctx: RequestContext, _deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  const page = parsed(pageContent, content, ctx.locale);
  const html = sanitizePageHtml(page.html);
  const css = page.css.replace(/<\/?style[^>]*>/gi, '');
  const [taken] = await tx
    .select({ code: designArtifacts.code })
    .from(designArtifacts)
    .innerJoin(designArtifactVersions, activeVersion)
    .where(
      and(
        eq(designArtifacts.tenantId, artifact.tenantId),
        eq(designArtifacts.kind, 'page'),
        ne(designArtifacts.id, artifact.id),
        sql`${designArtifactVersions.content}->>'route' = ${page.route}`,
      ),
    )
    .limit(1);
  if (taken) throw publishRefused([{ path: 'content.route', code: 'route_taken', message: designMessage('route_taken', ctx.locale, { route: page.route, code: taken.code }) }]);
  return { content: { ...page, html, css }, applied: { route: page.route } };
}

/** The active model of an entity in a tenant, or undefined when it was never published. */
export async function activeModel(tx: Tx, tenantId: number, code: string): Promise<{ artifact: ArtifactRow; version: number; model: EntityContent } | undefined> {
  const [row] = await tx
    .select({ artifact: designArtifacts, content: designArtifactVersions.content, version: designArtifactVersions.version })
    .from(designArtifacts)
    .innerJoin(designArtifactVersions, activeVersion)
    .where(and(eq(designArtifacts.tenantId, tenantId), eq(designArtifacts.kind, 'entity'), eq(designArtifacts.code, code)));
  return row ? { artifact: row.artifact, version: row.version, model: row.content as unknown as EntityContent } : undefined;
}

/** How many records a new model would reject, and the first few reasons. */
const RECHECK_SHOWN = 5;

async function publishEntity(tx: Tx, ctx: RequestContext, _deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  const model = parsed(entityContent, content, ctx.locale);
  const problems: ErrorDetail[] = [];
  for (const [i, field] of model.fields.entries()) {
    if (field.type !== 'reference' || field.reference === artifact.code) continue;
    if (!(await activeModel(tx, artifact.tenantId, field.reference!))) {
      problems.push({ path: `content.fields.${i}.reference`, code: 'entity_unknown', message: designMessage('entity_unknown', ctx.locale, { code: field.reference! }) });
    }
  }
  if (problems.length > 0) throw publishRefused(problems);
  // Records written under the old model must fit the new one, or the publish is refused with examples.
  const check = recordSchema(model);
  let misfits = 0;
  let lastId = 0;
  for (;;) {
    const batch = await tx
      .select({ id: entityRecords.id, data: entityRecords.data })
      .from(entityRecords)
      .where(and(eq(entityRecords.tenantId, artifact.tenantId), eq(entityRecords.entity, artifact.code), sql`${entityRecords.id} > ${lastId}`))
      .orderBy(entityRecords.id)
      .limit(1_000);
    for (const record of batch) {
      const result = check.safeParse(record.data);
      if (result.success) continue;
      misfits++;
      if (problems.length < RECHECK_SHOWN) {
        const issue = result.error.issues[0]!;
        problems.push({ path: `records.${record.id}.${issue.path.join('.')}`, code: 'record_misfit', message: designMessage('record_misfit', ctx.locale, { id: record.id, field: issue.path.join('.'), reason: issue.message }) });
      }
    }
    if (batch.length < 1_000) break;
    lastId = batch[batch.length - 1]!.id;
  }
  if (misfits > 0) throw publishRefused([{ path: 'content.fields', code: 'records_misfit', message: designMessage('records_misfit', ctx.locale, { count: misfits }) }, ...problems]);
  return { content: model as unknown as Record<string, unknown>, applied: { fields: model.fields.length } };
}

const publishers: Record<ArtifactKind, (tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, content: unknown) => Promise<Applied>> = {
  process: publishProcess,
  form: publishForm,
  report: publishReport,
  page: publishPage,
  entity: publishEntity,
};

/** Checks `content` as the kind requires and applies it to the runtime, inside the caller's transaction. */
export function applyContent(tx: Tx, ctx: RequestContext, deps: PublishDeps, artifact: ArtifactRow, content: unknown): Promise<Applied> {
  return publishers[artifact.kind](tx, ctx, deps, artifact, content);
}
