import pg from 'pg';

export type NotificationHandler = (payload: string) => void;

/**
 * LISTEN on a dedicated PostgreSQL connection, for news between runtime nodes (a role changed, a
 * session ended). The connection comes back by itself after a failure; `onReconnect` lets callers
 * catch up on what they may have missed while it was down.
 */
export class PostgresListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<NotificationHandler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly url: string) {}

  async subscribe(channel: string, handler: NotificationHandler): Promise<void> {
    const known = this.handlers.has(channel);
    if (!known) this.handlers.set(channel, new Set());
    this.handlers.get(channel)!.add(handler);
    await this.connect();
    if (!known) await this.client?.query(`listen ${pg.escapeIdentifier(channel)}`);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.add(handler);
  }

  private connect(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (n) => this.handlers.get(n.channel)?.forEach((h) => h(n.payload ?? '')));
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      this.client = client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    const retry = (delay: number) =>
      setTimeout(() => {
        this.connect().then(
          () => this.reconnectHandlers.forEach((h) => h()),
          () => retry(Math.min(delay * 2, 30_000)),
        );
      }, delay).unref();
    retry(500);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
