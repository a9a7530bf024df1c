/** The page's selections in React: a block re-renders when the row picked under a name changes (see selection-store.ts). */
import { useSyncExternalStore } from 'react';
import { currentSelection, onSelection, type Selected } from './selection-store.js';

export { currentSelection, onSelection, publishSelection, type Selected } from './selection-store.js';

const none = () => () => undefined;
const nothing = () => null;

/** The row picked under `name` (re-rendering when it changes); null without a name. */
export function useSelection(name: string | undefined): Selected {
  return useSyncExternalStore(
    name ? (listener) => onSelection(name, listener) : none,
    name ? () => currentSelection(name) : nothing,
    nothing,
  );
}
