import type { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';

/** Whether a store is sharing state right now (health reports it; see `ResilienceStore.status`). */
export interface ResilienceStoreStatus {
  /** The store reaches its backend: outcomes and transitions are shared (false: every breaker is local-only). */
  readonly connected: boolean;
  /** The store hears other replicas' transitions as they happen (its subscription is confirmed). */
  readonly subscribed: boolean;
}

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
  /** Whether sharing works right now, for health; optional (a store without it shows no `store` entry). */
  status?(): ResilienceStoreStatus;
  /** Stops syncing and releases the store's own connections (not the client it was given). */
  close(): Promise<void>;
}
