import { BulkheadFullError } from '../errors/bulkhead-full.error.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { TimeoutError } from '../errors/timeout.error.js';

/**
 * Why a call fell back: from the class of the error that triggered it, or `result` when `onResult`
 * rejected the value the call resolved with.
 */
export type FallbackReason = 'circuit_open' | 'timeout' | 'bulkhead_full' | 'error' | 'result';

/** Classifies an error for fallback events and counters (anything not raised by a policy is `'error'`). */
export function fallbackReason(error: unknown): Exclude<FallbackReason, 'result'> {
  if (error instanceof CircuitOpenError) return 'circuit_open';
  if (error instanceof TimeoutError) return 'timeout';
  if (error instanceof BulkheadFullError) return 'bulkhead_full';
  return 'error';
}
