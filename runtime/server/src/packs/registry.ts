import type { Pack } from '@shuiyun/sdk';

/**
 * The packs this runtime carries, one version per pack id. A release of the runtime brings new versions;
 * `deploy` puts a newer version in place while the runtime runs (tenants then upgrade to it).
 */
export class PackRegistry {
  private readonly packs = new Map<string, Pack>();

  /** `onDeploy` runs for every pack put in place (the runtime registers the workers it does not run yet). */
  constructor(
    packs: readonly Pack[] = [],
    private readonly onDeploy: (pack: Pack) => void = () => undefined,
  ) {
    for (const pack of packs) this.deploy(pack);
  }

  deploy(pack: Pack): void {
    this.onDeploy(pack);
    this.packs.set(pack.id, pack);
  }

  get(id: string): Pack | undefined {
    return this.packs.get(id);
  }

  list(): Pack[] {
    return [...this.packs.values()];
  }

  /** As a map, for dependency lookups. */
  byId(): ReadonlyMap<string, Pack> {
    return this.packs;
  }
}
