import type { CircuitBreakerPolicy, CircuitBreakerState, CircuitBreakerSync, Disposable } from '@bulwark/core';

/** What a breaker's sync needs from its store (so the sync stays a few fields). */
export interface BreakerSyncHost {
  /** An outcome was counted: queue `sync` for the next batch (`urgent`: send it now). */
  outcomeRecorded(sync: RedisBreakerSync, urgent: boolean): void;
  /** The breaker wants to half-open: may it (see `CircuitBreakerSync.acquireTrial`)? */
  acquireTrial(sync: RedisBreakerSync): boolean;
}

/**
 * One breaker's link to its cluster state: the outcomes counted since the last batch, the trial
 * lease of a half-open round, and the generation of the last cluster state applied (older news
 * is dropped). Lives as long as the breaker is attached to the store.
 */
export class RedisBreakerSync implements CircuitBreakerSync {
  successes = 0;
  failures = 0;
  slow = 0;
  /** Failures after the last success of the batch (consecutive mode). */
  trailingFailures = 0;
  hadSuccess = false;
  /** In the store's list of syncs with something to send. */
  queued = false;
  /** An authoritative read of the cluster state is due (attach, resync). */
  readDue = false;

  /** The trial lease: asked for, granted (to be taken by the next call), or neither. */
  trial: 'none' | 'pending' | 'granted' = 'none';
  /** The granted trial came from the cluster lease (so its verdict must be sent back). */
  trialFromLease = false;
  /** This replica runs the cluster's half-open round. */
  holdsLease = false;
  /** Do not ask for the lease again before this time (ms, the breaker's clock). */
  trialCheckAfter = 0;

  /** A manual transition (force-open, disable, reset) the cluster has not taken yet. */
  pendingManual: CircuitBreakerState | undefined = undefined;

  /** Generation of the last cluster state applied; 0: none known (see `RedisStore.applyClusterState`). */
  gen = 0;
  /** The last cluster state applied (with `gen`). */
  clusterState: string | undefined = undefined;
  /** Counts the cluster states applied: a read is Redis' word only if none arrived while it was under way. */
  applied = 0;
  /** The generation the held trial lease was granted for (its verdict names it). */
  leaseGen = 0;

  /** The breaker's state-change subscription. */
  subscription: Disposable | undefined = undefined;

  constructor(
    readonly breaker: CircuitBreakerPolicy,
    /** Cluster-wide id: the name, and `:key` for a per-key breaker (each part URI-encoded). */
    readonly id: string,
    /** The breaker's hash in Redis. */
    readonly hash: string,
    /** The trial lease's key (same hash tag as `hash`: one slot). */
    readonly lease: string,
    private readonly host: BreakerSyncHost,
  ) {}

  recordOutcome(failure: boolean, slow: boolean): void {
    if (failure) {
      this.failures++;
      this.trailingFailures++;
    } else {
      this.successes++;
      this.trailingFailures = 0;
      this.hadSuccess = true;
    }
    if (slow) this.slow++;
    this.host.outcomeRecorded(this, failure);
  }

  acquireTrial(): boolean {
    return this.host.acquireTrial(this);
  }

  /** Takes the counts for a batch and starts the next one. */
  takeCounts(): { successes: number; failures: number; slow: number; trailingFailures: number; hadSuccess: boolean } {
    const counts = { successes: this.successes, failures: this.failures, slow: this.slow, trailingFailures: this.trailingFailures, hadSuccess: this.hadSuccess };
    this.successes = 0;
    this.failures = 0;
    this.slow = 0;
    this.trailingFailures = 0;
    this.hadSuccess = false;
    return counts;
  }

  get hasCounts(): boolean {
    return this.successes + this.failures > 0;
  }
}
