/**
 * Answers remembered for a while: found ones for `ttlMs`, misses (null) for the shorter `missTtlMs`, so a
 * meter registered behind a concentrator is picked up soon. Lookups of one key in flight are shared.
 */
export class ExpiringCache<T> {
  private readonly entries = new Map<string, { value: Promise<T>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly missTtlMs: number,
    private readonly maxEntries = 200_000,
  ) {}

  lookup(scope: number | string, key: string, load: () => Promise<T>): Promise<T> {
    const id = `${scope}\u0000${key}`;
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(id, { value, until: now + this.ttlMs });
    value.then(
      (v) => {
        if (v === null) this.entries.set(id, { value, until: Date.now() + this.missTtlMs });
      },
      () => this.entries.delete(id),
    );
    return value;
  }
}
