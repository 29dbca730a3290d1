import type { Redis } from 'ioredis';
import { closeConnection } from './redis-connection.factory.js';

/** What the subscription tells its store. */
export interface SubscriptionHandlers {
  /** A message on the channel. */
  message(message: string): void;
  /** Redis confirmed the SUBSCRIBE (at start, and again after every reconnect: news may have been missed meanwhile). */
  subscribed(): void;
  /** A confirmed subscription was lost (its connection closed). */
  lost(): void;
}

/**
 * The store's subscription to its channel, on a connection of its own, and whether Redis has
 * confirmed it. It subscribes on every `ready` of its connection and counts as subscribed only
 * once Redis answered; a refused SUBSCRIBE (an ACL without the channel, a proxy without pub/sub) is
 * asked again, backing off. A connection that ends for good (a Cluster node that left) is
 * replaced by a new one from `open`.
 *
 * Every connection it opens has an `error` listener (ioredis reports connection errors there;
 * the state they leave is what `subscribed` says), and every timer it starts is unref'd and
 * cleared by `close()`.
 */
export class RedisSubscription {
  /** The last error a connection reported or SUBSCRIBE answered (for the store's log). */
  lastError: string | undefined = undefined;
  private connection: Redis | undefined = undefined;
  private confirmed = false;
  private closed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    readonly channel: string,
    /** Opens a new connection (undefined: not possible yet, e.g. no Cluster node known). */
    private readonly open: () => Redis | undefined,
    private readonly handlers: SubscriptionHandlers,
  ) {}

  /** Redis confirmed the subscription and its connection is up. */
  get subscribed(): boolean {
    return this.confirmed;
  }

  /** Opens the connection (no effect while one is open). */
  start(): void {
    if (this.closed || this.connection !== undefined) return;
    let connection: Redis | undefined;
    try {
      connection = this.open();
    } catch (error) {
      this.lastError = (error as Error).message;
    }
    if (connection === undefined) {
      this.later(() => this.start());
      return;
    }
    this.connection = connection;
    connection.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    connection.on('ready', () => this.subscribe(connection));
    connection.on('message', (channel: string, message: string) => {
      if (connection === this.connection && channel === this.channel) this.handlers.message(message);
    });
    connection.on('close', () => this.drop(connection));
    connection.on('end', () => {
      this.drop(connection);
      if (connection !== this.connection) return;
      this.connection = undefined;
      this.later(() => this.start());
    });
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.confirmed = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) await closeConnection(connection, timeoutMs);
  }

  private subscribe(connection: Redis): void {
    if (this.closed || connection !== this.connection || connection.status !== 'ready') return;
    connection.subscribe(this.channel).then(
      () => {
        if (this.closed || connection !== this.connection || connection.status !== 'ready' || this.confirmed) return;
        this.attempts = 0;
        this.confirmed = true;
        this.handlers.subscribed();
      },
      (error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.later(() => this.subscribe(connection));
      },
    );
  }

  private drop(connection: Redis): void {
    if (connection !== this.connection || !this.confirmed) return;
    this.confirmed = false;
    this.handlers.lost();
  }

  /** Runs `retry` (instead of any retry still waiting) after a delay that grows with consecutive failures (100 ms to 2 s). */
  private later(retry: () => void): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.attempts++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, Math.min(100 * this.attempts, 2_000));
    this.timer.unref();
  }
}
