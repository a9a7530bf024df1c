import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './connect.js';
import { freshPostgresDatabase, testDatabase } from './testing/postgres.js';

const KEY = 424_242;

describe('session-level advisory locks on postgres (one holder among runtime nodes)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  async function nodes(count: number): Promise<{ url: string; nodes: Database[] }> {
    const fresh = await freshPostgresDatabase();
    cleanup.push(fresh.drop);
    const opened = await Promise.all(Array.from({ length: count }, () => openDatabase({ url: fresh.url, poolSize: 1 })));
    // The last test closes a node itself.
    for (const node of opened) cleanup.push(() => node.close().catch(() => undefined));
    return { url: fresh.url, nodes: opened };
  }

  it('grants the lock to one node at a time; a release hands it to the next', async () => {
    const { nodes: [a, b] } = await nodes(2);
    const held = await a!.tryLock(KEY);
    expect(held).not.toBeNull();
    expect(await b!.tryLock(KEY)).toBeNull();
    // Held on a connection of its own: the node's pool (one connection here) stays free for its work.
    expect(await held!.check()).toBe(true);
    await held!.release();
    await held!.lost;
    const next = await b!.tryLock(KEY);
    expect(next).not.toBeNull();
    expect(await a!.tryLock(KEY)).toBeNull();
    await next!.release();
  });

  it('is lost when its connection is killed, and the server frees it for another node', async () => {
    const { url, nodes: [a, b] } = await nodes(2);
    const held = (await a!.tryLock(KEY))!;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanup.push(() => admin.end());
    const killed = await admin.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_locks where locktype = 'advisory' and objid = $1 and granted`,
      [KEY],
    );
    expect(killed.rows[0]!.n).toBe(1);
    await held.lost;
    expect(await held.check()).toBe(false);
    const taken = await b!.tryLock(KEY);
    expect(taken).not.toBeNull();
    await taken!.release();
  });

  it('is scoped to one database: nodes of another database hold the same key at the same time', async () => {
    const first = await nodes(1);
    const second = await nodes(1);
    const one = await first.nodes[0]!.tryLock(KEY);
    const other = await second.nodes[0]!.tryLock(KEY);
    expect(one).not.toBeNull();
    expect(other).not.toBeNull();
    await one!.release();
    await other!.release();
  });

  it('closing a node gives up a lock its holder never released', async () => {
    const { nodes: [a, b] } = await nodes(2);
    const held = (await a!.tryLock(KEY))!;
    await a!.close();
    await held.lost;
    const taken = await b!.tryLock(KEY);
    expect(taken).not.toBeNull();
    await taken!.release();
  });
});

describe('session-level advisory locks on pglite', () => {
  it('always grants the lock: one process owns the database', async () => {
    const database = await testDatabase('pglite', { migrate: false });
    try {
      const first = await database.tryLock(KEY);
      const second = await database.tryLock(KEY);
      expect(first).not.toBeNull();
      expect(second).not.toBeNull();
      expect(await first!.check()).toBe(true);
      await first!.release();
      await first!.lost;
    } finally {
      await database.close();
    }
  });
});
