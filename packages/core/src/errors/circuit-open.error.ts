import { ResilienceError } from './resilience.error.js';

/** Raised instead of calling the protected function while a breaker does not permit calls. */
export class CircuitOpenError extends ResilienceError {
  override readonly name = 'CircuitOpenError';
  /** Milliseconds until the breaker lets a trial call through; `Infinity` when forced open. */
  readonly retryAfterMs: number;

  constructor(breakerName: string, retryAfterMs: number, state: string = 'open') {
    super(`Circuit breaker "${breakerName}" is ${state}`, breakerName);
    this.retryAfterMs = retryAfterMs;
  }

  /** The name of the breaker that rejected the call (same as `policyName`). */
  get breakerName(): string {
    return this.policyName;
  }
}
