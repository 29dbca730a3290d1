import { TokenBucketRetryBudget, type RetryBudget } from '@bulwark/core';

/** What a budget needs from its store. */
export interface RetryBudgetHost {
  /** Something changed: queue `budget` for the next batch. */
  budgetChanged(budget: RedisRetryBudget): void;
}

/**
 * One retry policy's share of the fleet's retry budget. Decisions are local, on a token bucket
 * (`TokenBucketRetryBudget`) holding the fleet's balance at the last sync plus this replica's
 * deposits and minus its retries; the calls and retries made since are sent in the store's
 * batches and the fleet's balance comes back. While Redis is unreachable it is a plain local bucket.
 */
export class RedisRetryBudget implements RetryBudget {
  queued = false;
  /** The local bucket: the replica's view of the fleet's. */
  readonly local: TokenBucketRetryBudget;

  constructor(
    readonly name: string,
    /** The fleet bucket's hash in Redis. */
    readonly hash: string,
    options: { ratio: number; minRetriesPerSecond: number; maxTokens: number },
    private readonly host: RetryBudgetHost,
  ) {
    this.local = new TokenBucketRetryBudget(options);
  }

  recordCall(): void {
    this.local.recordCall();
    if (!this.queued) this.host.budgetChanged(this);
  }

  tryRetry(): boolean {
    const granted = this.local.tryRetry();
    if (granted && !this.queued) this.host.budgetChanged(this);
    return granted;
  }

  /** The fleet's balance after a batch (it already counts the batch's deltas); a debt reads as empty. */
  synced(fleetTokens: number): void {
    if (Number.isFinite(fleetTokens)) this.local.tokens = fleetTokens;
  }
}
