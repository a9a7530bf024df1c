import { asSystem, type Db } from '@shuiyun/db';
import type { Logger } from 'pino';
import { markSeen } from '../devices/index.js';

/**
 * Online state and last contact, written in the background: a device that reports every few seconds
 * costs one UPDATE per flush interval, not one per message, and a slow database never holds up a PUBACK.
 */
export class SeenTracker {
  private latest = new Map<number, Date>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    intervalMs = 2_000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  record(deviceId: number, at: Date): void {
    const known = this.latest.get(deviceId);
    if (!known || at > known) this.latest.set(deviceId, at);
  }

  /** Writes what was seen since the last flush; resolves when it is in the database. */
  async flush(): Promise<void> {
    await this.flushing;
    if (this.latest.size === 0) return;
    const batch = this.latest;
    this.latest = new Map();
    this.flushing = asSystem(this.db, async (tx) => {
      for (const [deviceId, at] of batch) await markSeen(tx, deviceId, at);
    })
      .catch((err: unknown) => {
        // Put them back: the next flush tries again with whatever is newer.
        for (const [id, at] of batch) this.record(id, at);
        this.logger.error({ err }, 'recording device contact failed');
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
