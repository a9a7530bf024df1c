/**
 * Collects items (readings on their way to the analytics store) into batches by size and by time,
 * writes each batch with one call to the sink, and settles every item's promise only once its batch
 * is durable. Transports acknowledge a device's message (MQTT PUBACK, HTTP 200) when that promise
 * resolves, so a crash before the write loses nothing the device believes delivered.
 *
 * Back-pressure: `push` waits while the batcher holds `highWaterMark` items, so a burst slows the
 * transports down instead of growing memory without bound. A failed write is retried with back-off;
 * the items stay buffered (and unacknowledged) until it succeeds or the batcher is closed.
 */
export interface BatcherOptions<T> {
  /** Writes one batch durably; throws when it could not. */
  sink: (batch: T[]) => Promise<void>;
  /** Flush when this many items are waiting. */
  maxBatch: number;
  /** Flush at the latest this long after the first waiting item arrived. */
  maxDelayMs: number;
  /** `push` waits while this many items are buffered or being written. */
  highWaterMark: number;
  /** First retry delay after a failed write; doubles up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told about every failed write (the batch will be retried). */
  onWriteError?: (error: unknown, batchSize: number) => void;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class BatcherClosedError extends Error {
  constructor() {
    super('the reading batcher is closed');
    this.name = 'BatcherClosedError';
  }
}

export class ReadingBatcher<T> {
  private waiting: Waiting<T>[] = [];
  /** Items handed to the sink and not yet durable. */
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly spaceWaiters: (() => void)[] = [];
  private retryDelay: number;

  /** Running totals, for metrics and tests. */
  readonly stats = { batches: 0, items: 0, failedWrites: 0 };

  constructor(private readonly options: BatcherOptions<T>) {
    if (options.maxBatch < 1 || options.highWaterMark < options.maxBatch) {
      throw new Error('maxBatch must be ≥ 1 and highWaterMark ≥ maxBatch');
    }
    this.retryDelay = options.retryDelayMs ?? 100;
  }

  /** Items buffered or being written. */
  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  /** Resolves when `item` is durable; waits first while the batcher is full. */
  async push(item: T): Promise<void> {
    while (!this.closed && this.pending >= this.options.highWaterMark) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.closed) throw new BatcherClosedError();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxBatch) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
    });
  }

  /** Writes everything buffered now and resolves when it is durable. */
  async flush(): Promise<void> {
    while (this.waiting.length > 0 || this.writing) {
      this.kick();
      await this.writing;
    }
  }

  /**
   * Refuses new items and makes one last attempt at everything buffered: items whose write still
   * fails are rejected (and so never acknowledged to their devices, which will deliver them again).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.spaceWaiters.splice(0).forEach((wake) => wake());
    await this.flush();
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts a write unless one is running; one write at a time keeps batches in arrival order. */
  private kick(): void {
    this.clearTimer();
    if (this.writing || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.inFlight += batch.length;
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.waiting.length >= this.options.maxBatch) this.kick();
      else if (this.waiting.length > 0) this.timer ??= setTimeout(() => this.kick(), this.options.maxDelayMs);
    });
  }

  private async write(batch: Waiting<T>[]): Promise<void> {
    const items = batch.map((w) => w.item);
    for (;;) {
      try {
        await this.options.sink(items);
        break;
      } catch (error) {
        this.stats.failedWrites++;
        this.options.onWriteError?.(error, items.length);
        if (this.closed) {
          this.inFlight -= batch.length;
          batch.forEach((w) => w.reject(error instanceof Error ? error : new Error(String(error))));
          this.wakeSpaceWaiters();
          return;
        }
        await new Promise((r) => setTimeout(r, this.retryDelay));
        this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs ?? 5_000);
      }
    }
    this.retryDelay = this.options.retryDelayMs ?? 100;
    this.inFlight -= batch.length;
    this.stats.batches++;
    this.stats.items += batch.length;
    batch.forEach((w) => w.resolve());
    this.wakeSpaceWaiters();
  }

  private wakeSpaceWaiters(): void {
    while (this.spaceWaiters.length > 0 && this.pending < this.options.highWaterMark) this.spaceWaiters.shift()!();
  }
}
