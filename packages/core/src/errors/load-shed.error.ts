import { ResilienceError } from './resilience.error.js';

/**
 * Why a request was shed: no capacity and no queue place for it (`'capacity'`), or it waited in
 * the queue past the queue's delay target (`'queue-timeout'`).
 */
export type LoadShedReason = 'capacity' | 'queue-timeout';

/** Raised when an admission controller turns a request away (HTTP 503 with `Retry-After`). */
export class LoadShedError extends ResilienceError {
  override readonly name = 'LoadShedError';
  readonly reason: LoadShedReason;
  /** A suggestion of when to try again, in ms. */
  readonly retryAfterMs: number;

  constructor(controllerName: string, reason: LoadShedReason, retryAfterMs: number) {
    super(`Load shed by "${controllerName}" (${reason === 'capacity' ? 'at capacity' : 'queued too long'})`, controllerName);
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}
