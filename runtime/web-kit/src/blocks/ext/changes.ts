/**
 * A pack route written to by a form of the page, told to the tables that list the same resource: a form
 * posting to `/api/ext/metering/readings` refreshes a table over `/api/ext/metering/readings?…`.
 */
const EVENT = 'shuiyun:ext-changed';

/** The resource a path names: its path without the query. */
const resourceOf = (path: string) => path.split('?')[0]!.replace(/\/+$/, '');

export function announceChange(path: string): void {
  window.dispatchEvent(new CustomEvent<string>(EVENT, { detail: resourceOf(path) }));
}

/** Calls `reload` when a form wrote to the resource `path` lists; answers the unsubscribe. */
export function onChange(path: string, reload: () => void): () => void {
  const mine = resourceOf(path);
  const listener = (event: Event) => {
    if ((event as CustomEvent<string>).detail === mine) reload();
  };
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
