import { api, type Artifact, type ArtifactContent, type ArtifactKind, type ArtifactSummary, type ArtifactVersion, type Page } from '@shuiyun/web-kit';

/** The runtime's designer API (`/api/design/…`). */
const BASE = '/api/design/artifacts';

export interface ListQuery {
  kind?: ArtifactKind | undefined;
  q?: string | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

export interface PublishResult {
  version: number;
  publishedAt: string;
  /** The artifact after publishing: the server may have normalised the draft (a form's id, a page's HTML), with a new revision. */
  artifact?: Artifact;
}

export interface DiffResult {
  /** null: nothing was published, the diff starts from empty. */
  from: number | null;
  to: number | 'draft';
  patch: string;
  changed?: boolean;
}

export type DiffSide = number | 'draft';

export const designApi = {
  list: (query: ListQuery, signal?: AbortSignal) => api.get<Page<ArtifactSummary>>(BASE, { ...query }, signal),
  create: (body: { kind: ArtifactKind; code: string; name: string; content?: ArtifactContent }) => api.post<Artifact>(BASE, body),
  get: (id: number, signal?: AbortSignal) => api.get<Artifact>(`${BASE}/${id}`, undefined, signal),
  saveDraft: (id: number, body: { content: ArtifactContent; revision: number; name?: string }) => api.put<Artifact>(`${BASE}/${id}/draft`, body),
  /** `revision`: publish only the draft revision the editor saved (409 when someone saved since). */
  publish: (id: number, body: { note?: string | undefined; revision?: number | undefined }) => api.post<PublishResult>(`${BASE}/${id}/publish`, body),
  versions: (id: number) => api.get<{ items: ArtifactVersion[] }>(`${BASE}/${id}/versions`),
  version: (id: number, version: number) => api.get<ArtifactVersion>(`${BASE}/${id}/versions/${version}`),
  /** `from` a version (the active one when absent), `to` a version or the draft. */
  diff: (id: number, from: number | null, to: DiffSide) => api.get<DiffResult>(`${BASE}/${id}/diff`, { from: from ?? undefined, to: String(to) }),
  rollback: (id: number, version: number) => api.post<PublishResult & { rolledBackTo: number }>(`${BASE}/${id}/rollback`, { version }),
  elementTemplates: () => api.get<unknown[]>('/api/design/element-templates'),
};
