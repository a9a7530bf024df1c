import { ApiError, type Artifact, type ArtifactContent } from '@shuiyun/web-kit';
import { useCallback, useEffect, useRef, useState } from 'react';
import { designApi } from '../lib/design-api.js';
import { messageOf } from '../lib/errors.js';

/** Autosave this long after the last change. */
export const AUTOSAVE_MS = 1500;

export type SaveState = 'saved' | 'dirty' | 'saving' | 'error' | 'conflict';

/** Local changes not yet saved, kept in localStorage until the server has them (a crash, a closed tab). */
interface Backup {
  revision: number;
  content: ArtifactContent;
  name?: string | undefined;
  at: string;
}

const backupKey = (id: number) => `shuiyun.designer.unsaved.${id}`;

function readBackup(id: number): Backup | null {
  try {
    const raw = localStorage.getItem(backupKey(id));
    return raw ? (JSON.parse(raw) as Backup) : null;
  } catch {
    return null;
  }
}

function writeBackup(id: number, backup: Backup | null) {
  try {
    if (backup) localStorage.setItem(backupKey(id), JSON.stringify(backup));
    else localStorage.removeItem(backupKey(id));
  } catch {
    // Storage full or disabled: the autosave still runs.
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface Mutable {
  id: number;
  content: ArtifactContent | null;
  name: string | undefined;
  /** The server's draft revision our next save builds on. */
  revision: number;
  /** Local change counter, and the change the server has. */
  change: number;
  savedChange: number;
  saving: Promise<boolean> | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  backupTimer: ReturnType<typeof setTimeout> | undefined;
  conflict: boolean;
  canWrite: boolean;
}

export interface Draft {
  artifact: Artifact | null;
  content: ArtifactContent | null;
  state: SaveState;
  error: string | null;
  loadError: unknown;
  /** Unsaved changes of an earlier session that another save has overtaken: offer them back. */
  stale: Backup | null;
  /** Changes from this session (or restored) that the server does not have yet. */
  restored: boolean;
  change(content: ArtifactContent): void;
  rename(name: string): void;
  /** Saves now; true when the server has every change. */
  save(all?: boolean): Promise<boolean>;
  /** Reads the artifact again, dropping local changes. */
  reload(): Promise<void>;
  /** After a conflict: save our content over the newer server draft. */
  overwrite(): Promise<boolean>;
  restoreStale(): void;
  dropStale(): void;
  /** Replaces the summary fields (publish state) from the server without touching the content. */
  refreshSummary(): Promise<void>;
  /**
   * Takes the artifact a publish answered with: its publish state, and its draft when the server
   * normalised it (new revision) and nothing local is pending.
   */
  adopt(artifact: Artifact): void;
  /** The draft revision the next save builds on. */
  revision(): number;
  hasUnsaved(): boolean;
}

/**
 * The draft of one artifact: local content, autosave 1.5 s after the last change, optimistic
 * concurrency on the draft revision (409 `conflict`), a localStorage copy of unsaved changes.
 */
export function useDraft(id: number, canWrite: boolean): Draft {
  const [artifact, setArtifact] = useState<Artifact | null>(null);
  const [content, setContent] = useState<ArtifactContent | null>(null);
  const [state, setState] = useState<SaveState>('saved');
  const [error, setError] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [stale, setStale] = useState<Backup | null>(null);
  const [restored, setRestored] = useState(false);
  const ref = useRef<Mutable>({
    id,
    content: null,
    name: undefined,
    revision: 0,
    change: 0,
    savedChange: 0,
    saving: null,
    timer: undefined,
    backupTimer: undefined,
    conflict: false,
    canWrite,
  });
  ref.current.canWrite = canWrite;

  /** One PUT of the current content; true when the server took it. */
  const saveOnce = useCallback(async (): Promise<boolean> => {
    const r = ref.current;
    const change = r.change;
    const body = { content: r.content!, revision: r.revision, ...(r.name !== undefined ? { name: r.name } : {}) };
    setState('saving');
    r.saving = (async () => {
      try {
        const saved = await designApi.saveDraft(r.id, body);
        r.revision = saved.draft.revision;
        r.savedChange = change;
        if (body.name !== undefined && r.name === body.name) r.name = undefined;
        setArtifact((a) => ({ ...saved, name: r.name ?? saved.name, draft: { ...saved.draft, content: a?.draft.content ?? saved.draft.content } }));
        setError(null);
        if (r.change === change) {
          writeBackup(r.id, null);
          setRestored(false);
          setState('saved');
        } else setState('dirty');
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.code === 'conflict') {
          r.conflict = true;
          setState('conflict');
          setError(e.message);
        } else {
          setState('error');
          setError(messageOf(e, 'error'));
        }
        return false;
      } finally {
        r.saving = null;
      }
    })();
    return r.saving;
  }, []);

  /**
   * Saves until the server has every change (`all`), or once and then waits for the next autosave.
   * True when nothing is left unsaved.
   */
  const save = useCallback(
    async (all = true): Promise<boolean> => {
      const r = ref.current;
      clearTimeout(r.timer);
      for (;;) {
        if (r.saving) {
          await r.saving;
          continue;
        }
        if (r.change === r.savedChange) return true;
        if (r.conflict || !r.canWrite || r.content === null) return false;
        if (!(await saveOnce())) return false;
        if (r.change === r.savedChange) return true;
        if (!all) {
          clearTimeout(r.timer);
          r.timer = setTimeout(() => void save(false), AUTOSAVE_MS);
          return false;
        }
      }
    },
    [saveOnce],
  );

  const keepBackup = useCallback(() => {
    const r = ref.current;
    clearTimeout(r.backupTimer);
    r.backupTimer = setTimeout(() => {
      if (r.change !== r.savedChange && r.content !== null) writeBackup(r.id, { revision: r.revision, content: r.content, name: r.name, at: new Date().toISOString() });
    }, 300);
  }, []);

  const load = useCallback(async (options: { restore: boolean }) => {
    const r = ref.current;
    clearTimeout(r.timer);
    setLoadError(null);
    try {
      const loaded = await designApi.get(r.id);
      r.revision = loaded.draft.revision;
      r.content = loaded.draft.content;
      r.name = undefined;
      r.change = 0;
      r.savedChange = 0;
      r.conflict = false;
      setArtifact(loaded);
      setError(null);
      setState('saved');
      setRestored(false);
      setStale(null);
      const backup = options.restore ? readBackup(r.id) : null;
      if (!options.restore) writeBackup(r.id, null);
      if (backup && !same(backup.content, loaded.draft.content)) {
        if (backup.revision === loaded.draft.revision && r.canWrite) {
          // Nobody saved since: these are simply our unsaved changes.
          r.content = backup.content;
          r.name = backup.name;
          r.change = 1;
          setRestored(true);
          setState('dirty');
          r.timer = setTimeout(() => void save(false), AUTOSAVE_MS);
        } else {
          setStale(backup);
        }
      } else if (backup) {
        writeBackup(r.id, null);
      }
      setContent(r.content);
    } catch (e) {
      setLoadError(e);
    }
  }, [save]);

  useEffect(() => {
    void load({ restore: true });
    const r = ref.current;
    return () => {
      // Leaving the editor saves what is left (the request outlives the page's components).
      clearTimeout(r.backupTimer);
      if (r.change !== r.savedChange && !r.conflict && r.content !== null) {
        writeBackup(r.id, { revision: r.revision, content: r.content, name: r.name, at: new Date().toISOString() });
        void save();
      }
    };
  }, [id, load, save]);

  const change = useCallback(
    (next: ArtifactContent) => {
      const r = ref.current;
      if (!r.canWrite) return;
      if (r.content !== null && same(next, r.content)) return;
      r.content = next;
      r.change += 1;
      setContent(next);
      keepBackup();
      if (r.conflict) return;
      setState((s) => (s === 'saving' ? s : 'dirty'));
      clearTimeout(r.timer);
      r.timer = setTimeout(() => void save(false), AUTOSAVE_MS);
    },
    [keepBackup, save],
  );

  const rename = useCallback(
    (name: string) => {
      const r = ref.current;
      if (!r.canWrite) return;
      r.name = name;
      r.change += 1;
      setArtifact((a) => (a ? { ...a, name } : a));
      keepBackup();
      void save();
    },
    [keepBackup, save],
  );

  const overwrite = useCallback(async () => {
    const r = ref.current;
    const latest = await designApi.get(r.id);
    r.revision = latest.draft.revision;
    r.conflict = false;
    if (r.change === r.savedChange) r.change += 1;
    return save();
  }, [save]);

  const restoreStale = useCallback(() => {
    const r = ref.current;
    if (!stale) return;
    r.content = stale.content;
    r.name = stale.name;
    r.change += 1;
    setContent(stale.content);
    setStale(null);
    setRestored(true);
    void save();
  }, [stale, save]);

  const dropStale = useCallback(() => {
    writeBackup(ref.current.id, null);
    setStale(null);
  }, []);

  const refreshSummary = useCallback(async () => {
    const latest = await designApi.get(ref.current.id);
    setArtifact((a) => (a ? { ...latest, name: ref.current.name ?? latest.name, draft: { ...latest.draft, content: a.draft.content } } : latest));
  }, []);

  const adopt = useCallback((latest: Artifact) => {
    const r = ref.current;
    if (latest.draft.revision > r.revision) {
      r.revision = latest.draft.revision;
      if (r.change === r.savedChange && r.saving === null) {
        r.content = latest.draft.content;
        setContent(latest.draft.content);
      }
    }
    setArtifact((a) => ({ ...latest, name: r.name ?? latest.name, draft: { ...latest.draft, content: a?.draft.content ?? latest.draft.content } }));
  }, []);

  const hasUnsaved = useCallback(() => ref.current.change !== ref.current.savedChange || ref.current.saving !== null, []);

  return {
    artifact,
    content,
    state,
    error,
    loadError,
    stale,
    restored,
    change,
    rename,
    save,
    reload: () => load({ restore: false }),
    overwrite,
    restoreStale,
    dropStale,
    refreshSummary,
    adopt,
    revision: () => ref.current.revision,
    hasUnsaved,
  };
}
