import type { Pack } from '@shuiyun/sdk';

/**
 * The packs named in SHUIYUN_PACKS, by package name. The runtime does not depend on any pack at build
 * time (packs depend on the SDK, never the other way round): each is imported when the runtime starts,
 * and must export its checked manifest (`definePack(…)`) as its default export.
 */
export async function loadPacks(names: readonly string[]): Promise<Pack[]> {
  const packs: Pack[] = [];
  for (const name of names) {
    let loaded: { default?: unknown };
    try {
      loaded = (await import(name)) as { default?: unknown };
    } catch (error) {
      throw new Error(`SHUIYUN_PACKS names ${name}, which cannot be loaded: ${(error as Error).message}`, { cause: error });
    }
    const pack = loaded.default as Pack | undefined;
    if (!pack || typeof pack !== 'object' || typeof pack.id !== 'string' || typeof pack.version !== 'string' || !Object.isFrozen(pack)) {
      throw new Error(`${name} does not export a pack as its default export (export default definePack({ … }))`);
    }
    packs.push(pack);
  }
  return packs;
}
