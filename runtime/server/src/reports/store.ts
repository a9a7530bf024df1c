import { reportDatasets, reportTemplates, type Tx } from '@shuiyun/db';
import { type Dataset, parseDataset } from '@shuiyun/reports';
import { and, eq, inArray } from 'drizzle-orm';
import { artifactChecksum } from './checksum.js';
import { hasRawSql } from './dataset-policy.js';
import { type ReportTemplate, reportTemplateSchema } from './template.js';
import { newestVersion, onlyNewestVersions } from '../http/versions.js';

export type DatasetRow = typeof reportDatasets.$inferSelect;
export type TemplateRow = typeof reportTemplates.$inferSelect;

/** Who saves, and into which tenant. */
export interface Author {
  tenantId: number;
  tenantPath: string;
  userId: number;
}

export interface Saved<T> {
  row: T;
  /** False when the document was unchanged since the newest version (no new version was made). */
  isNew: boolean;
}

export function newestDataset(tx: Tx, tenantId: number, code: string): Promise<DatasetRow | undefined> {
  return newestVersion(tx, reportDatasets, reportDatasets.code, tenantId, code);
}

export function newestTemplate(tx: Tx, tenantId: number, code: string): Promise<TemplateRow | undefined> {
  return newestVersion(tx, reportTemplates, reportTemplates.code, tenantId, code);
}

/**
 * Stores a checked dataset definition as the next version of its code, unless it is the newest version
 * already (same checksum): saving twice makes one version, as deploying an unchanged process does.
 * The stored document carries its version, so it parses back as what it is.
 */
export async function saveDatasetVersion(tx: Tx, author: Author, dataset: Dataset, definition: Record<string, unknown>, newest: DatasetRow | undefined): Promise<Saved<DatasetRow>> {
  const checksum = artifactChecksum(definition);
  if (newest?.checksum === checksum) return { row: newest, isNew: false };
  const version = (newest?.version ?? 0) + 1;
  const [row] = await tx
    .insert(reportDatasets)
    .values({
      tenantId: author.tenantId,
      tenantPath: author.tenantPath,
      code: dataset.id,
      version,
      label: dataset.label,
      sourceKind: dataset.source.kind,
      rawSql: hasRawSql(dataset),
      definition: { ...definition, version },
      checksum,
      createdBy: author.userId,
    })
    .returning();
  return { row: row!, isNew: true };
}

/** The same for a checked template (stored as parsed, with its defaults filled in). */
export async function saveTemplateVersion(tx: Tx, author: Author, template: ReportTemplate, newest: TemplateRow | undefined): Promise<Saved<TemplateRow>> {
  const document = template as unknown as Record<string, unknown>;
  const checksum = artifactChecksum(document);
  if (newest?.checksum === checksum) return { row: newest, isNew: false };
  const [row] = await tx
    .insert(reportTemplates)
    .values({
      tenantId: author.tenantId,
      tenantPath: author.tenantPath,
      code: template.code,
      version: (newest?.version ?? 0) + 1,
      name: template.name,
      datasetCode: template.dataset.code,
      datasetVersion: template.dataset.version ?? null,
      template: document,
      checksum,
      createdBy: author.userId,
    })
    .returning();
  return { row: row!, isNew: true };
}

/** A stored template, typed (it was checked when saved). */
export const templateOf = (row: TemplateRow): ReportTemplate => reportTemplateSchema.parse(row.template);

/**
 * Parsed datasets by row id. A stored version never changes, so an entry never goes stale; the map is
 * bounded so thousands of versions cannot grow it without end.
 */
export class ParsedDatasets {
  private readonly parsed = new Map<number, Dataset>();
  constructor(private readonly limit = 1_000) {}

  of(row: Pick<DatasetRow, 'id' | 'definition'>): Dataset {
    const hit = this.parsed.get(row.id);
    if (hit) return hit;
    const dataset = parseDataset(row.definition);
    if (this.parsed.size >= this.limit) this.parsed.delete(this.parsed.keys().next().value as number);
    this.parsed.set(row.id, dataset);
    return dataset;
  }
}

/** A dataset a report can run on: a tenant's stored version, or a built-in one. */
export interface ResolvedDataset {
  dataset: Dataset;
  origin: 'tenant' | 'builtin';
  /** The stored version's row id; null for a built-in dataset. */
  id: number | null;
}

export type DatasetResolution = ResolvedDataset | 'unknown' | 'unknown_version';

/**
 * What a dataset code means in a tenant: the tenant's own dataset of that code (the pinned version, or
 * its newest) shadows the built-in one of the same code; without one, the built-in dataset. A pin on a
 * built-in dataset must name its version.
 */
export async function resolveDataset(
  tx: Tx,
  parsed: ParsedDatasets,
  builtin: ReadonlyMap<string, Dataset>,
  tenantId: number,
  ref: { code: string; version?: number | undefined },
): Promise<DatasetResolution> {
  const newest = await newestDataset(tx, tenantId, ref.code);
  if (newest) {
    let row: DatasetRow | undefined = newest;
    if (ref.version !== undefined && ref.version !== newest.version) {
      [row] = await tx
        .select()
        .from(reportDatasets)
        .where(and(eq(reportDatasets.tenantId, tenantId), eq(reportDatasets.code, ref.code), eq(reportDatasets.version, ref.version)));
    }
    if (!row) return 'unknown_version';
    return { dataset: parsed.of(row), origin: 'tenant', id: row.id };
  }
  const shipped = builtin.get(ref.code);
  if (!shipped) return 'unknown';
  if (ref.version !== undefined && ref.version !== shipped.version) return 'unknown_version';
  return { dataset: shipped, origin: 'builtin', id: null };
}

/** The newest version's id of each named template code in a tenant (drill-down targets). */
export async function templateIdsByCode(tx: Tx, tenantId: number, codes: readonly string[]): Promise<Map<string, number>> {
  if (codes.length === 0) return new Map();
  const rows = await tx
    .select({ id: reportTemplates.id, code: reportTemplates.code })
    .from(reportTemplates)
    .where(
      and(
        eq(reportTemplates.tenantId, tenantId),
        inArray(reportTemplates.code, [...new Set(codes)]),
        onlyNewestVersions(reportTemplates, reportTemplates.code),
      ),
    );
  return new Map(rows.map((r) => [r.code, r.id]));
}

/** Codes of the templates whose newest version reads a dataset code, in a tenant. */
export async function templatesUsing(tx: Tx, tenantId: number, datasetCode: string): Promise<string[]> {
  const rows = await tx
    .select({ code: reportTemplates.code })
    .from(reportTemplates)
    .where(
      and(
        eq(reportTemplates.tenantId, tenantId),
        eq(reportTemplates.datasetCode, datasetCode),
        onlyNewestVersions(reportTemplates, reportTemplates.code),
      ),
    )
    .orderBy(reportTemplates.code);
  return rows.map((r) => r.code);
}
