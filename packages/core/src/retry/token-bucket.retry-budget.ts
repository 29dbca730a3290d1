import { systemClock, type Clock } from '../clock/clock.js';
import type { RetryBudget } from './retry-budget.interface.js';
import {
  DEFAULT_MIN_MAX_TOKENS,
  DEFAULT_MIN_RETRIES_PER_SECOND,
  validateRetryBudgetOptions,
  type RetryBudgetOptions,
} from './retry-budget.options.js';

/** What a budget saw since its last `drain()`: what a shared store adds to the fleet's bucket. */
export interface RetryBudgetDelta {
  /** Calls recorded (each deposited `ratio` tokens). */
  readonly calls: number;
  /** Retries granted (each took one token). */
  readonly retries: number;
  /** Retries refused for want of a token. */
  readonly refused: number;
}

/**
 * Sums of a few hundred `ratio` deposits drift below the exact value (ten deposits of 0.1 make
 * 0.9999999999999999): a token is granted from this balance, so the tenth call's token is not lost.
 */
const ONE_TOKEN = 1 - 1e-9;

/**
 * A local retry budget: a token bucket where each call deposits `ratio` tokens, each retry takes
 * one (granted only from a whole token), and `minRetriesPerSecond` tokens a second trickle in,
 * computed from the clock when a token is needed (no timer). The bucket starts full.
 *
 * Cost per call: `recordCall()` is an addition and a comparison (no clock read; deposits and the
 * trickle commute under the cap, so the trickle is only added up when a retry asks for a token).
 *
 * For a shared store (`@bulwark/redis`) it doubles as the local view of the fleet's bucket: the
 * store reads the deltas with `drain()`, adds them to the shared bucket, and sets the fleet's
 * answer back with `tokens = balance` (or adjusts with `deposit(amount)`).
 */
export class TokenBucketRetryBudget implements RetryBudget {
  /** Tokens each call deposits. */
  readonly ratio: number;
  /** Tokens added per second whatever the traffic. */
  readonly minRetriesPerSecond: number;
  /** Most tokens the bucket holds. */
  readonly maxTokens: number;

  private readonly clock: Clock;
  private readonly refillPerMs: number;
  private balance: number;
  /** When the trickle was last added up. */
  private refilledAt: number;

  private calls = 0;
  private retries = 0;
  private refused = 0;

  constructor(options: RetryBudgetOptions) {
    validateRetryBudgetOptions(options, 'retryBudget');
    this.ratio = options.ratio;
    this.minRetriesPerSecond = options.minRetriesPerSecond ?? DEFAULT_MIN_RETRIES_PER_SECOND;
    this.maxTokens = options.maxTokens ?? Math.max(DEFAULT_MIN_MAX_TOKENS, this.minRetriesPerSecond);
    this.clock = options.clock ?? systemClock;
    this.refillPerMs = this.minRetriesPerSecond / 1000;
    this.balance = this.maxTokens;
    this.refilledAt = this.clock.now();
  }

  /** A call started: deposits `ratio` tokens (up to `maxTokens`). */
  recordCall(): void {
    this.calls++;
    const balance = this.balance + this.ratio;
    this.balance = balance < this.maxTokens ? balance : this.maxTokens;
  }

  /** A retry is about to run: takes a token if there is a whole one (see `take`), and counts the answer. */
  tryRetry(): boolean {
    if (this.take()) {
      this.retries++;
      return true;
    }
    this.refused++;
    return false;
  }

  /** Takes one token if the balance holds a whole one; counts nothing (for stores running their own books). */
  take(): boolean {
    this.refill();
    if (this.balance < ONE_TOKEN) return false;
    const balance = this.balance - 1;
    this.balance = balance > 0 ? balance : 0;
    return true;
  }

  /** The balance now, trickle included (fractional). */
  get tokens(): number {
    this.refill();
    return this.balance;
  }

  /** Replaces the balance (kept within [0, maxTokens]); the trickle restarts from now. */
  set tokens(balance: number) {
    checkFinite('tokens', balance);
    this.refill();
    this.balance = clamp(balance, this.maxTokens);
  }

  /** Adds `amount` tokens (a negative amount withdraws); the balance stays within [0, maxTokens]. */
  deposit(amount: number): void {
    checkFinite('a deposit', amount);
    this.refill();
    this.balance = clamp(this.balance + amount, this.maxTokens);
  }

  /** The calls, retries granted and retries refused since the previous `drain()` (or creation), then zeroes them. */
  drain(): RetryBudgetDelta {
    const delta: RetryBudgetDelta = { calls: this.calls, retries: this.retries, refused: this.refused };
    this.calls = 0;
    this.retries = 0;
    this.refused = 0;
    return delta;
  }

  /** Adds the trickle since the last reading. A clock that steps back adds nothing (and restarts from there). */
  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    if (elapsed > 0 && this.balance < this.maxTokens) {
      const balance = this.balance + elapsed * this.refillPerMs;
      this.balance = balance < this.maxTokens ? balance : this.maxTokens;
    }
  }
}

function clamp(balance: number, max: number): number {
  return balance < 0 ? 0 : balance > max ? max : balance;
}

/** A NaN balance would refuse every retry from then on, silently: fail loudly instead. */
function checkFinite(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`TokenBucketRetryBudget: ${what} must be a finite number (got ${String(value)})`);
}
