import { CircuitBreakerPolicy, composePolicies, TimeoutPolicy, type Clock, type ResiliencePolicy } from '@bulwark/core';

/**
 * Every call the store makes to Redis goes through here: a short timeout and the store's own
 * circuit breaker (Bulwark's policies, eating our own cooking). When Redis is down, slow or
 * partitioned the breaker opens and the store is local-only: its calls fail at once instead of
 * queueing, and nothing waits on them. The first call after the recovery timeout is the trial;
 * when it succeeds the store is told to resync.
 */
export class RedisLink {
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: ResiliencePolicy;

  constructor(
    options: { commandTimeoutMs: number; failureThreshold: number; recoveryTimeout: number; clock?: Clock },
    handlers: { down(): void; up(): void },
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
  }

  /**
   * Whether Redis is believed reachable or due a new try: the breaker is not open, or its recovery
   * time has passed (the next call through the link is the trial; reading the breaker starts none).
   */
  get available(): boolean {
    const state = this.breaker.state;
    return state === 'closed' || state === 'half-open' || this.breaker.trialDue;
  }

  /** Runs one Redis round-trip under the timeout and the breaker. */
  run<T>(call: () => Promise<T>): Promise<T> {
    return this.policy.execute(call);
  }
}
