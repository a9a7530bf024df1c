import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locale } from './columns.js';
import { ExportCancelled, ExportError } from './errors.js';
import type { RowBatch, RowSource } from './sheet.js';

/** What every writer takes besides the sheet and the output. */
export interface WriteOptions {
  /** The language of labels (default zh-CN). */
  locale?: Locale;
  /** Cancels the export: the source's `return()` is called, the output destroyed, `ExportCancelled` thrown. */
  signal?: AbortSignal;
  /** Called after each batch with the number of rows written so far. */
  onRows?: (rowsWritten: number) => void;
}

export interface WriteSummary {
  /** Body rows written (header rows not counted). */
  rows: number;
}

/**
 * One export's hold on its output. Writers own the output: they end it when the file is complete and
 * destroy it on any failure or cancellation, so a half-written file never looks finished. Its `signal`
 * fires when the caller cancels or when the output fails (a client that went away), whichever is first.
 */
export class OutputSession {
  readonly signal: AbortSignal;
  private readonly failure = new AbortController();

  constructor(
    readonly out: Writable,
    private readonly cancel?: AbortSignal,
  ) {
    this.signal = cancel ? AbortSignal.any([cancel, this.failure.signal]) : this.failure.signal;
    out.on('error', this.onError);
    out.on('close', this.onClose);
  }

  private readonly onError = (error: Error) => {
    this.failure.abort(new ExportError('output_failed', error.message, { cause: error }));
  };

  private readonly onClose = () => {
    if (!this.out.writableFinished) this.failure.abort(new ExportError('output_failed', 'the output was closed before the export was complete'));
  };

  /** The error an export stopped by `signal` rejects with. */
  stopReason(): ExportError {
    if (this.cancel?.aborted) return new ExportCancelled(this.cancel.reason);
    const reason: unknown = this.failure.signal.reason;
    return reason instanceof ExportError ? reason : new ExportError('output_failed', String(reason));
  }

  throwIfStopped(): void {
    if (this.signal.aborted) throw this.stopReason();
  }

  /** Settles as `promise` does, or rejects with the stop reason as soon as the export is stopped. */
  race<T>(promise: PromiseLike<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.stopReason());
    return new Promise<T>((resolve, reject) => {
      const onStop = () => reject(this.stopReason());
      this.signal.addEventListener('abort', onStop, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener('abort', onStop);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener('abort', onStop);
          reject(error);
        },
      );
    });
  }

  /** Writes a chunk; when the output's buffer is full, waits for it to drain (back-pressure). */
  async write(chunk: string | Uint8Array): Promise<void> {
    this.throwIfStopped();
    if (!this.out.write(chunk)) await this.waitForDrain(this.out);
  }

  /** Waits for a writable stream whose buffer is full to drain, unless the export is stopped first. */
  async waitForDrain(stream: DrainingStream): Promise<void> {
    if (!needsDrain(stream)) return;
    try {
      await once(stream, 'drain', { signal: this.signal });
    } catch (error) {
      if (this.signal.aborted) throw this.stopReason();
      throw error;
    }
  }

  /** Ends the output and waits until everything is flushed. */
  async end(): Promise<void> {
    this.throwIfStopped();
    this.out.end();
    await this.race(finished(this.out));
    this.release();
  }

  /**
   * Destroys the output after a failure and returns the error to throw: the stop reason when the export
   * was stopped (whatever error the stop caused downstream), else the error itself.
   */
  fail(error: unknown): unknown {
    const thrown = this.signal.aborted ? this.stopReason() : error;
    if (!this.out.destroyed) this.out.destroy();
    this.release();
    return thrown;
  }

  /** Stops watching the output (after it finished). */
  release(): void {
    this.out.off('close', this.onClose);
    // An error the stream still emits after this (its own destroy) must not crash the process.
    this.out.off('error', this.onError);
    this.out.on('error', ignore);
  }
}

const ignore = () => {};

/**
 * A writable stream, from Node or from the `readable-stream` package (v2, which archiver and so exceljs
 * use): the latter has no `writableNeedDrain` getter, only its `_writableState`.
 */
export type DrainingStream = NodeJS.EventEmitter & { writableNeedDrain?: boolean; _writableState?: { needDrain?: boolean; length?: number } };

export const needsDrain = (stream: DrainingStream): boolean => stream.writableNeedDrain ?? stream._writableState?.needDrain ?? false;

/** How long a stopped export waits for a source that is in the middle of producing a batch to close. */
const SOURCE_CLOSE_GRACE_MS = 1_000;

/**
 * Reads the source batch by batch, never ahead of the writer. When the writer stops early (an error, a
 * limit, cancellation), the source's iterator is closed with `return()` and awaited, so its cursor or
 * query has ended when the export settles. A source stopped in the middle of producing a batch (an async
 * generator awaiting its query) runs its `return()` only once that step ends; the export waits for that
 * at most SOURCE_CLOSE_GRACE_MS, so a query that never answers cannot hold a cancelled export.
 */
export async function* readBatches(source: RowSource, session: OutputSession): AsyncGenerator<RowBatch, void, undefined> {
  const iterator: AsyncIterator<RowBatch> | Iterator<RowBatch> =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<RowBatch>)[Symbol.iterator]();
  let exhausted = false;
  let pending = false;
  try {
    for (;;) {
      session.throwIfStopped();
      pending = true;
      const step = await session.race(Promise.resolve(iterator.next()));
      pending = false;
      if (step.done) {
        exhausted = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (!exhausted && iterator.return) {
      let closing: unknown;
      try {
        closing = iterator.return();
      } catch {
        closing = undefined;
      }
      const closed = Promise.resolve(closing).then(ignore, ignore);
      if (!pending) await closed;
      else {
        const grace = new AbortController();
        await Promise.race([closed, sleep(SOURCE_CLOSE_GRACE_MS, undefined, { signal: grace.signal, ref: false }).catch(ignore)]);
        grace.abort();
      }
    }
  }
}
