import { CircuitBreakerPolicy, composePolicies, ExecutionScope, runInScope, TimeoutPolicy, type Clock, type ResiliencePolicy } from '@bulwark/core';

/**
 * Every call the store makes to Redis goes through here: a short timeout and the store's own
 * circuit breaker (Bulwark's policies, eating our own cooking). When Redis is down, slow or
 * partitioned the breaker opens and the store is local-only: its calls fail at once instead of
 * queueing, and nothing waits on them. The first call after the recovery timeout is the trial;
 * when it succeeds the store is told to resync.
 *
 * Its calls run at the root scope, whatever call's context the store's work was started from: a
 * user call's deadline (or its end) must neither cut a Redis call short nor leave it without the
 * link's own timeout, and a user call's timeout is not Redis failing.
 */
export class RedisLink {
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: ResiliencePolicy;

  constructor(
    options: { commandTimeoutMs: number; failureThreshold: number; recoveryTimeout: number; clock?: Clock },
    handlers: { down(): void; up(): void; failed(): void },
  ) {
    const clock = options.clock;
    this.breaker = new CircuitBreakerPolicy({
      name: 'redis',
      failureThreshold: options.failureThreshold,
      recoveryTimeout: options.recoveryTimeout,
      ...(clock === undefined ? {} : { clock }),
    });
    const timeout = new TimeoutPolicy({ name: 'redis', duration: options.commandTimeoutMs, ...(clock === undefined ? {} : { clock }) });
    this.policy = composePolicies(this.breaker, timeout);
    this.breaker.onStateChange(({ to, from }) => {
      if (to === 'open' && from !== 'half-open') handlers.down();
      else if (to === 'closed') handlers.up();
    });
    // A failure while still closed says Redis may be going: the store starts probing, so an idle
    // store also finds out (and goes local-only) instead of waiting for its next batch.
    this.breaker.onCallOutcome(({ outcome }) => {
      if (outcome === 'failure') handlers.failed();
    });
  }

  /** Consecutive failed calls (0 once one succeeds). */
  get failures(): number {
    return this.breaker.snapshot().failureCount;
  }

  /** Whether Redis answers in time (the breaker is closed; half-open, only its trial call goes). */
  get up(): boolean {
    return this.breaker.state === 'closed';
  }

  /** Runs one Redis round-trip under the timeout and the breaker. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return runInScope(ExecutionScope.root, () => this.policy.execute(call));
  }
}
