import { ResilienceError } from './resilience.error.js';

/** Raised when a bulkhead has no free slot and no room left in its queue. */
export class BulkheadFullError extends ResilienceError {
  override readonly name = 'BulkheadFullError';
  readonly maxConcurrent: number;
  readonly maxQueue: number;

  constructor(policyName: string, maxConcurrent: number, maxQueue: number) {
    super(`Bulkhead "${policyName}" is full (${maxConcurrent} running, ${maxQueue} queued)`, policyName);
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }
}
