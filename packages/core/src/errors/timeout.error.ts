import { ResilienceError } from './resilience.error.js';

/** Raised when a call outlives its timeout (or an inherited outer deadline). */
export class TimeoutError extends ResilienceError {
  override readonly name = 'TimeoutError';
  /** The timeout that expired, in milliseconds. */
  readonly duration: number;

  constructor(policyName: string, duration: number) {
    super(`Call "${policyName}" timed out after ${duration} ms`, policyName);
    this.duration = duration;
  }
}
