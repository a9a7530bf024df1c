import { api } from '@shuiyun/web-kit';
import type { BlockSetting } from '@shuiyun/web-kit/blocks';
import { useEffect, useState } from 'react';

export interface SourceOption {
  value: string;
  label: string;
}

export type SourceLists = Partial<Record<NonNullable<BlockSetting['source']>, SourceOption[] | 'failed'>>;

/** A list answer or a page of one. */
function itemsOf<T>(answer: unknown): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const items = (answer as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}

const loaders: Record<NonNullable<BlockSetting['source']>, (signal: AbortSignal) => Promise<SourceOption[]>> = {
  templates: async (signal) =>
    itemsOf<{ code: string; name: string }>(await api.get('/api/reports/templates', { pageSize: 200 }, signal)).map((t) => ({ value: t.code, label: `${t.name} (${t.code})` })),
  entities: async (signal) =>
    itemsOf<{ code: string; name: string; publishedVersion?: number | null }>(await api.get('/api/design/artifacts', { kind: 'entity', pageSize: 200 }, signal)).map((e) => ({ value: e.code, label: `${e.name} (${e.code})` })),
  processes: async (signal) =>
    itemsOf<{ processId: string; name: string | null; version: number }>(await api.get('/api/workflow/definitions', { pageSize: 200 }, signal)).map((d) => ({ value: d.processId, label: d.name ? `${d.name} (${d.processId})` : d.processId })),
};

/** The report templates, entity models and processes the settings' choices offer, read once per designer. */
export function useSourceLists(): SourceLists {
  const [lists, setLists] = useState<SourceLists>({});
  useEffect(() => {
    const controller = new AbortController();
    for (const [source, load] of Object.entries(loaders) as [keyof typeof loaders, (typeof loaders)[keyof typeof loaders]][]) {
      load(controller.signal)
        .then((options) => setLists((l) => ({ ...l, [source]: options })))
        .catch(() => {
          if (!controller.signal.aborted) setLists((l) => ({ ...l, [source]: 'failed' }));
        });
    }
    return () => controller.abort();
  }, []);
  return lists;
}
