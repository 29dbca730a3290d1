import type { RetryBudget } from '@bulwark/core';

/** What a budget needs from its store. */
export interface RetryBudgetHost {
  /** Something changed: queue `budget` for the next batch. */
  budgetChanged(budget: RedisRetryBudget): void;
}

/**
 * One retry policy's share of the fleet's retry budget. Decisions are local (a token estimate:
 * the fleet's balance at the last sync, plus this replica's deposits, minus its retries); the
 * calls and retries made since are sent in the store's batches and the fleet's balance comes
 * back. While Redis is unreachable it is a plain local token bucket.
 */
export class RedisRetryBudget implements RetryBudget {
  /** Calls and retries since the last batch. */
  calls = 0;
  retries = 0;
  queued = false;
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly name: string,
    /** The bucket's hash in Redis. */
    readonly hash: string,
    readonly ratio: number,
    readonly minRetriesPerSecond: number,
    readonly maxTokens: number,
    private readonly host: RetryBudgetHost,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = maxTokens;
    this.refilledAt = now();
  }

  recordCall(): void {
    this.calls++;
    const tokens = this.tokens + this.ratio;
    this.tokens = tokens > this.maxTokens ? this.maxTokens : tokens;
    if (!this.queued) this.host.budgetChanged(this);
  }

  tryRetry(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    this.retries++;
    if (!this.queued) this.host.budgetChanged(this);
    return true;
  }

  /** The estimate now (tests, health). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /** Takes the deltas for a batch. */
  takeDeltas(): { calls: number; retries: number } {
    const deltas = { calls: this.calls, retries: this.retries };
    this.calls = 0;
    this.retries = 0;
    return deltas;
  }

  /** The fleet's balance after a batch (it already counts the batch's deltas). */
  synced(fleetTokens: number): void {
    this.tokens = Math.min(this.maxTokens, fleetTokens);
    this.refilledAt = this.now();
  }

  /** The trickle of `minRetriesPerSecond`, read lazily (no timer). */
  private refill(): void {
    if (this.minRetriesPerSecond === 0) return;
    const now = this.now();
    const elapsed = now - this.refilledAt;
    if (elapsed <= 0) return;
    this.refilledAt = now;
    this.tokens = Math.min(this.maxTokens, this.tokens + (elapsed / 1000) * this.minRetriesPerSecond);
  }
}
