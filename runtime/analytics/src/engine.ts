import { setImmediate as nextTurn } from 'node:timers/promises';
import type { WireParams } from './params.js';

/** A result row as ClickHouse writes it in JSONEachRow (64-bit integers and decimals arrive as strings). */
export type Row = Record<string, unknown>;

/**
 * The transport under the store: one ClickHouse, embedded (chDB) or remote (a server over HTTP). It runs
 * whatever SQL it is given; the store decides what callers may send.
 */
export interface AnalyticsEngine {
  readonly kind: 'chdb' | 'clickhouse';
  /** A statement without a result (DDL, INSERT … SELECT). */
  command(sql: string, params?: WireParams): Promise<void>;
  /** A query whose whole result fits in memory. */
  rows<T extends Row = Row>(sql: string, params?: WireParams): Promise<T[]>;
  /** A query read chunk by chunk; breaking out of the loop cancels it. */
  stream<T extends Row = Row>(sql: string, params?: WireParams): AsyncGenerator<T, void, undefined>;
  /** One INSERT of newline-delimited JSON rows (JSONEachRow), given as consecutive slices of the payload. */
  insertJsonEachRow(table: string, columns: readonly string[], payload: readonly Buffer[]): Promise<void>;
  ping(): Promise<void>;
  /** Waits for running operations, then releases the engine. Idempotent. */
  close(): Promise<void>;
}

/**
 * Output settings both engines get, so a row reads the same from either: 64-bit integers and decimals as
 * JSON strings (a JSON number loses digits past 2^53).
 */
export const exactJsonSettings = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
} as const;

/**
 * Keeps count of running operations so close() can wait for them, and of open streams so close() can end
 * them: a reader that stopped pulling without leaving its loop would otherwise hold close() forever.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private readonly streams = new Set<() => void>();

  /** Registers an open stream; `release` frees its resources and may be called more than once. */
  openStream(release: () => void): () => void {
    const end = () => {
      if (this.streams.delete(end)) release();
    };
    this.streams.add(end);
    return end;
  }

  endStreams(): void {
    for (const end of [...this.streams]) end();
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    return work;
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

/**
 * Joins payload slices into one buffer, copying a few megabytes per turn of the event loop: a single
 * Buffer.concat of a 1M-reading batch (140 MB) held the loop for about 100 ms.
 */
export async function joinSlices(slices: readonly Buffer[]): Promise<Buffer> {
  if (slices.length === 1) return slices[0]!;
  const joined = Buffer.allocUnsafe(slices.reduce((total, slice) => total + slice.length, 0));
  let offset = 0;
  let sinceTurn = 0;
  for (const slice of slices) {
    offset += slice.copy(joined, offset);
    sinceTurn += slice.length;
    if (sinceTurn >= 8 * 1024 * 1024) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return joined;
}
