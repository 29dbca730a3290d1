/**
 * What a shared store (one breaker across replicas, see `ResilienceStore`) plugs into one breaker.
 * The breaker keeps deciding locally on every call; the sync only hears outcomes and is asked
 * before a half-open round. Both methods run on the call path: field updates, no I/O.
 */
export interface CircuitBreakerSync {
  /** A call admitted while the breaker was closed completed (ignored calls are not reported). */
  recordOutcome(failure: boolean, slow: boolean): void;
  /**
   * An open breaker's recovery timeout has passed: may this replica run the half-open round now?
   * `false` keeps the breaker open (calls fail fast) until the sync says yes or a remote state
   * arrives; the sync asks the cluster in the background.
   */
  acquireTrial(): boolean;
}
