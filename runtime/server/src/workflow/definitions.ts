import { createHash } from 'node:crypto';
import { type Tx, workflowDefinitions, workflowForms, workflowSubscriptions, workflowTimers } from '@shuiyun/db';
import { compileForm, FormSchemaError, type CompiledForm } from '@shuiyun/forms';
import { AppError } from '@shuiyun/http';
import { newestVersion } from '../http/versions.js';
import { compileDefinition, type CompiledDefinition, DeployError, type ProcessInfo, firstDueAt } from '@shuiyun/workflow';
import { eq, sql } from 'drizzle-orm';

export type DefinitionRow = typeof workflowDefinitions.$inferSelect;
export type FormRow = typeof workflowForms.$inferSelect;

export interface DeployResource {
  /** File name as the designer saves it: `*.bpmn` or `*.form`. */
  name: string;
  content: string;
}

export interface DeployedProcess {
  id: number;
  processId: string;
  version: number;
  name: string | null;
  /** False when the process was unchanged since its newest version (no new version). */
  isNew: boolean;
}

export interface DeployedForm {
  id: number;
  formId: string;
  version: number;
  isNew: boolean;
}

const checksum = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Compiled definitions and forms by row id. A deployed version never changes, so an entry never goes
 * stale; the cache is bounded so a tenant deploying thousands of versions cannot grow it without end.
 */
export class DefinitionCache {
  private readonly definitions = new Map<number, CompiledDefinition>();
  private readonly forms = new Map<number, CompiledForm>();

  constructor(private readonly limit = 2_000) {}

  async definition(tx: Tx, id: number): Promise<CompiledDefinition> {
    const hit = this.definitions.get(id);
    if (hit) return hit;
    const [row] = await tx.select({ xml: workflowDefinitions.xml }).from(workflowDefinitions).where(eq(workflowDefinitions.id, id));
    if (!row) throw new AppError('not_found', { details: [{ path: 'definitionId', message: `no process definition ${id}` }] });
    const compiled = compileDefinition(row.xml);
    remember(this.definitions, id, compiled, this.limit);
    return compiled;
  }

  form(row: Pick<FormRow, 'id' | 'schema'>): CompiledForm {
    const hit = this.forms.get(row.id);
    if (hit) return hit;
    const compiled = compileForm(row.schema);
    remember(this.forms, row.id, compiled, this.limit);
    return compiled;
  }

  /** Seeds the cache with what a deployment just compiled. */
  put(id: number, compiled: CompiledDefinition): void {
    remember(this.definitions, id, compiled, this.limit);
  }
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  if (map.size >= limit) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/** One 400 for everything wrong with a deployment, each detail naming the file and the element or field. */
function deploymentRefused(details: { path: string; message: string; elementId?: string }[]): AppError {
  return new AppError('validation_failed', { details });
}

interface Target {
  tenantId: number;
  tenantPath: string;
  userId: number | null;
}

/**
 * 部署: compiles every file first (nothing is stored unless all of them are good), then stores each
 * process and form as a new version unless it is unchanged. A new version of a process takes over its
 * message and timer start events from the version before.
 */
export async function deployResources(tx: Tx, cache: DefinitionCache, target: Target, resources: DeployResource[], now: Date): Promise<{ processes: DeployedProcess[]; forms: DeployedForm[] }> {
  const problems: { path: string; message: string; elementId?: string }[] = [];
  const bpmn: { resource: DeployResource; compiled: CompiledDefinition }[] = [];
  const forms: { resource: DeployResource; schema: Record<string, unknown>; formId: string }[] = [];
  const names = new Set<string>();
  resources.forEach((resource, index) => {
    const where = `body.resources[${index}]`;
    if (names.has(resource.name)) problems.push({ path: `${where}.name`, message: `${resource.name} is listed twice` });
    names.add(resource.name);
    if (/\.bpmn$/i.test(resource.name)) {
      try {
        bpmn.push({ resource, compiled: compileDefinition(resource.content) });
      } catch (error) {
        if (!(error instanceof DeployError)) throw error;
        for (const issue of error.issues) {
          problems.push({ path: `${where}.content${issue.elementId ? `#${issue.elementId}` : ''}`, message: `${resource.name}: ${issue.reason}`, ...(issue.elementId ? { elementId: issue.elementId } : {}) });
        }
      }
    } else if (/\.form$/i.test(resource.name)) {
      let schema: unknown;
      try {
        schema = JSON.parse(resource.content);
      } catch (error) {
        problems.push({ path: `${where}.content`, message: `${resource.name} is not JSON: ${(error as Error).message}` });
        return;
      }
      try {
        const compiled = compileForm(schema);
        if (!compiled.id) problems.push({ path: `${where}.content.id`, message: `${resource.name}: a deployed form needs an id (user tasks name it in zeebe:formDefinition formId)` });
        else forms.push({ resource, schema: schema as Record<string, unknown>, formId: compiled.id });
      } catch (error) {
        if (!(error instanceof FormSchemaError)) throw error;
        for (const issue of error.issues) problems.push({ path: `${where}.content${issue.path ? `.${issue.path}` : ''}`, message: `${resource.name}: ${issue.reason}` });
      }
    } else {
      problems.push({ path: `${where}.name`, message: `${resource.name}: only .bpmn and .form files are deployed` });
    }
  });
  const processIds = new Set<string>();
  for (const { resource, compiled } of bpmn) {
    for (const process of compiled.processes) {
      if (processIds.has(process.processId)) problems.push({ path: 'body.resources', message: `${resource.name}: process ${process.processId} is in two files of this deployment` });
      processIds.add(process.processId);
    }
  }
  if (problems.length > 0) throw deploymentRefused(problems);

  const deployedForms: DeployedForm[] = [];
  for (const { resource, schema, formId } of forms) {
    const sum = checksum(JSON.stringify(schema));
    const latest = await latestForm(tx, target.tenantId, formId);
    if (latest?.checksum === sum) {
      deployedForms.push({ id: latest.id, formId, version: latest.version, isNew: false });
      continue;
    }
    const [row] = await tx
      .insert(workflowForms)
      .values({ tenantId: target.tenantId, tenantPath: target.tenantPath, formId, version: (latest?.version ?? 0) + 1, resourceName: resource.name, schema, checksum: sum, deployedBy: target.userId })
      .returning({ id: workflowForms.id, version: workflowForms.version });
    deployedForms.push({ id: row!.id, formId, version: row!.version, isNew: true });
  }

  const deployed: DeployedProcess[] = [];
  for (const { resource, compiled } of bpmn) {
    for (const process of compiled.processes) {
      // A file may hold several processes: each is versioned on its own, by its own part of the file.
      const sum = checksum(`${process.processId}\n${compiled.xml}`);
      const latest = await latestDefinition(tx, target.tenantId, process.processId);
      if (latest?.checksum === sum) {
        deployed.push({ id: latest.id, processId: process.processId, version: latest.version, name: latest.name, isNew: false });
        continue;
      }
      const [row] = await tx
        .insert(workflowDefinitions)
        .values({
          tenantId: target.tenantId,
          tenantPath: target.tenantPath,
          processId: process.processId,
          version: (latest?.version ?? 0) + 1,
          name: process.name ?? null,
          resourceName: resource.name,
          xml: compiled.xml,
          checksum: sum,
          info: process as unknown as Record<string, unknown>,
          deployedBy: target.userId,
        })
        .returning({ id: workflowDefinitions.id, version: workflowDefinitions.version });
      cache.put(row!.id, compiled);
      await replaceStartEvents(tx, target, row!.id, process, now);
      deployed.push({ id: row!.id, processId: process.processId, version: row!.version, name: process.name ?? null, isNew: true });
    }
  }
  return { processes: deployed, forms: deployedForms };
}

/** Message and timer start events belong to the newest version only, as on Zeebe. */
async function replaceStartEvents(tx: Tx, target: Target, definitionId: number, process: ProcessInfo, now: Date): Promise<void> {
  await tx.execute(sql`delete from workflow_subscriptions s using workflow_definitions d
    where s.instance_id is null and s.definition_id = d.id and d.tenant_id = ${target.tenantId} and d.process_id = ${process.processId}`);
  await tx.execute(sql`delete from workflow_timers t using workflow_definitions d
    where t.instance_id is null and t.definition_id = d.id and d.tenant_id = ${target.tenantId} and d.process_id = ${process.processId}`);
  for (const start of process.startEvents) {
    if (start.kind === 'message' && start.messageName) {
      await tx.insert(workflowSubscriptions).values({
        tenantId: target.tenantId,
        tenantPath: target.tenantPath,
        definitionId,
        key: `start:${start.elementId}`,
        elementId: start.elementId,
        messageName: start.messageName,
        correlationKey: null,
      });
    } else if (start.kind === 'timer' && start.timer) {
      const due = firstDueAt(start.timer, now);
      if (!due) continue; // a date in the past never fires
      await tx.insert(workflowTimers).values({
        tenantId: target.tenantId,
        tenantPath: target.tenantPath,
        definitionId,
        key: `start:${start.elementId}`,
        elementId: start.elementId,
        dueAt: due.dueAt,
        repetitionsLeft: due.repetitionsLeft ?? null,
        interval: due.interval ?? null,
      });
    }
  }
}

/** The newest version of a process in one tenant. */
export function latestDefinition(tx: Tx, tenantId: number, processId: string): Promise<DefinitionRow | undefined> {
  return newestVersion(tx, workflowDefinitions, workflowDefinitions.processId, tenantId, processId);
}

/** The newest version of a form in one tenant. */
export function latestForm(tx: Tx, tenantId: number, formId: string): Promise<FormRow | undefined> {
  return newestVersion(tx, workflowForms, workflowForms.formId, tenantId, formId);
}

