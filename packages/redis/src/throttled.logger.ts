/** Where the store reports. */
export interface StoreLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Warnings about one subject (a breaker's bad data in Redis) at most once per interval: bad data
 * that keeps arriving must not flood the log, and one breaker's must not hide another's.
 */
export class ThrottledLogger {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly logger: StoreLogger,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  warn(subject: string, message: string): void {
    const now = this.now();
    const at = this.last.get(subject);
    if (at !== undefined && now - at < this.intervalMs) return;
    this.last.set(subject, now);
    this.logger.warn(message);
  }

  /** The subject is gone (a detached breaker): forget it. */
  forget(subject: string): void {
    this.last.delete(subject);
  }
}
