/**
 * A page's selections: a lookup (or a row action) picks a row under a name (`account`), and the tables
 * of the page that follow that name list what belongs to it (`/bills?accountId=…`). One value per name,
 * kept while the app runs, so a block mounted after the pick sees it too. (`useSelection` in
 * selection.ts is the React side.)
 */

export type Selected = Record<string, unknown> | null;

const values = new Map<string, Selected>();
const listeners = new Map<string, Set<() => void>>();

/** The row picked under `name`, or null. */
export function currentSelection(name: string): Selected {
  return values.get(name) ?? null;
}

/** Picks `row` under `name` (null clears it) and tells the blocks that follow it. */
export function publishSelection(name: string, row: Selected): void {
  const before = values.get(name) ?? null;
  if (before === row) return;
  values.set(name, row);
  for (const listener of [...(listeners.get(name) ?? [])]) listener();
}

/** Calls `listener` whenever the selection `name` changes; answers the unsubscribe. */
export function onSelection(name: string, listener: () => void): () => void {
  let set = listeners.get(name);
  if (!set) listeners.set(name, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
