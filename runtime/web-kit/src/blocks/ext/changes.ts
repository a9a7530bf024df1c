/**
 * A pack route written to by a form of the page, told to the tables that list the same resource or a
 * resource above it: a form posting to `/api/ext/metering/readings` refreshes a table over
 * `/api/ext/metering/readings?…`, one posting to `/api/ext/billing/requests/open` a table over
 * `/api/ext/billing/requests`.
 */
import { changes, resourceOf } from './config.js';

const EVENT = 'shuiyun:ext-changed';

export function announceChange(path: string): void {
  window.dispatchEvent(new CustomEvent<string>(EVENT, { detail: resourceOf(path) }));
}

/** Calls `reload` when a form wrote to the resource `path` lists (or one under it); answers the unsubscribe. */
export function onChange(path: string, reload: () => void): () => void {
  const listener = (event: Event) => {
    if (changes((event as CustomEvent<string>).detail, path)) reload();
  };
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
