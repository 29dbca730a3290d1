import type { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';

/**
 * Shared policy state (for example `@bulwark/redis`): frameworks hand every breaker they create
 * to the store, which keeps it in step with the same breaker on other replicas. Without a store,
 * each breaker is local to its process.
 */
export interface ResilienceStore {
  /** Starts syncing `breaker` (its name and `key` identify it across replicas). */
  attachCircuitBreaker(breaker: CircuitBreakerPolicy): void;
  /** Stops syncing `breaker` (a per-key breaker evicted from its cache). */
  detachCircuitBreaker(breaker: CircuitBreakerPolicy): void;
  /** The retry budget shared by every replica for the retry policy `name`, if the store keeps one. */
  retryBudget?(name: string): RetryBudget | undefined;
  /** Stops syncing and releases the store's own connections (not the client it was given). */
  close(): Promise<void>;
}
