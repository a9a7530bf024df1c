import { describe, expect, it } from 'vitest';
import { BatcherClosedError, ReadingBatcher } from './reading-batcher.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('ReadingBatcher', () => {
  it('writes a batch as soon as maxBatch items wait, and settles each push only after the write', async () => {
    const written: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new ReadingBatcher<number>({
      sink: async (batch) => {
        await gate;
        written.push(batch);
      },
      maxBatch: 3,
      maxDelayMs: 10_000,
      highWaterMark: 10,
    });
    const settled: number[] = [];
    const pushes = [1, 2, 3].map((n) => batcher.push(n).then(() => settled.push(n)));
    await tick(5);
    expect(settled).toEqual([]); // the sink has not finished: nothing is acknowledged yet
    release();
    await Promise.all(pushes);
    expect(written).toEqual([[1, 2, 3]]);
    expect(settled).toEqual([1, 2, 3]);
  });

  it('writes a partial batch after maxDelayMs', async () => {
    const written: number[][] = [];
    const batcher = new ReadingBatcher<number>({ sink: async (b) => void written.push(b), maxBatch: 100, maxDelayMs: 20, highWaterMark: 100 });
    const started = Date.now();
    await batcher.push(7);
    expect(written).toEqual([[7]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('keeps items through failed writes and retries until the sink recovers; nothing is acknowledged early or lost', async () => {
    let failures = 2;
    const written: number[] = [];
    const errors: unknown[] = [];
    const batcher = new ReadingBatcher<number>({
      sink: async (batch) => {
        if (failures-- > 0) throw new Error('store down');
        written.push(...batch);
      },
      maxBatch: 2,
      maxDelayMs: 5,
      highWaterMark: 10,
      retryDelayMs: 5,
      onWriteError: (e) => errors.push(e),
    });
    await Promise.all([1, 2, 3].map((n) => batcher.push(n)));
    expect(written.sort()).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(2);
    expect(batcher.stats).toMatchObject({ items: 3, failedWrites: 2 });
  });

  it('applies back-pressure: push waits while highWaterMark items are pending', async () => {
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    const batcher = new ReadingBatcher<number>({
      sink: async () => {
        await gate;
      },
      maxBatch: 2,
      maxDelayMs: 1,
      highWaterMark: 4,
    });
    const first = [1, 2, 3, 4].map((n) => batcher.push(n));
    let fifthIn = false;
    const fifth = batcher.push(5).then(() => (fifthIn = true));
    await tick(20);
    expect(batcher.pending).toBe(4);
    expect(fifthIn).toBe(false);
    release();
    gate = Promise.resolve();
    await Promise.all([...first, fifth]);
    expect(fifthIn).toBe(true);
  });

  it('close makes a last attempt; items it cannot write are rejected (never acknowledged) and new pushes refused', async () => {
    const batcher = new ReadingBatcher<number>({
      sink: async () => {
        throw new Error('store down for good');
      },
      maxBatch: 10,
      maxDelayMs: 10_000,
      highWaterMark: 10,
      retryDelayMs: 1,
    });
    const pending = batcher.push(1);
    const outcome = pending.then(
      () => 'acknowledged',
      (e: Error) => e.message,
    );
    await batcher.close();
    expect(await outcome).toBe('store down for good');
    await expect(batcher.push(2)).rejects.toBeInstanceOf(BatcherClosedError);
  });

  it('keeps arrival order across batches', async () => {
    const written: number[] = [];
    const batcher = new ReadingBatcher<number>({
      sink: async (b) => {
        await tick(Math.random() * 3);
        written.push(...b);
      },
      maxBatch: 7,
      maxDelayMs: 2,
      highWaterMark: 50,
    });
    const all = Array.from({ length: 200 }, (_, i) => i);
    await Promise.all(all.map((n) => batcher.push(n)));
    expect(written).toEqual(all);
  });
});
