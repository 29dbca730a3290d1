import type { BreakerStrategy, OpenReason, TrialVerdict } from './breaker-strategy.interface.js';
import type { OutcomeWindow } from './outcome-window.interface.js';

export interface FailureRateStrategyOptions {
  /** Percent of failures in the window that opens the breaker. */
  failureRateThreshold: number;
  /** Percent of slow calls in the window that opens the breaker. */
  slowCallRateThreshold: number;
  /** Calls the window must hold before any verdict. */
  minimumCalls: number;
  /** Trial calls in a half-open round. */
  trialCalls: number;
  /** False when no call can be slow (no slow-call threshold), so a round can close early. */
  slowCallsPossible: boolean;
}

/**
 * Opens when the window holds at least `minimumCalls` calls and the failure rate or the slow-call
 * rate reaches its threshold. Half-open: the same thresholds over the round's trial calls, decided
 * as soon as the remaining trials can no longer change the verdict.
 *
 * Rates are compared as `count * 100 >= threshold * total`, never as divided floats, so a rate of
 * exactly the threshold opens the breaker whatever the rounding.
 */
export class FailureRateStrategy implements BreakerStrategy {
  private trialsDone = 0;
  private trialFailures = 0;
  private trialSlow = 0;

  constructor(
    readonly window: OutcomeWindow,
    private readonly options: FailureRateStrategyOptions,
  ) {}

  get failureCount(): number {
    return this.window.failures;
  }

  record(failure: boolean, slow: boolean, now: number): OpenReason | undefined {
    const window = this.window;
    window.record(failure, slow, now);
    const total = window.total;
    const options = this.options;
    if (total < options.minimumCalls) return undefined;
    if (window.failures * 100 >= options.failureRateThreshold * total) return 'failure-rate';
    if (window.slow * 100 >= options.slowCallRateThreshold * total) return 'slow-call-rate';
    return undefined;
  }

  startTrials(): void {
    this.trialsDone = 0;
    this.trialFailures = 0;
    this.trialSlow = 0;
  }

  recordTrial(failure: boolean, slow: boolean): TrialVerdict {
    const options = this.options;
    const calls = options.trialCalls;
    this.trialsDone++;
    if (failure) this.trialFailures++;
    if (slow) this.trialSlow++;
    const failureLimit = options.failureRateThreshold * calls;
    const slowLimit = options.slowCallRateThreshold * calls;
    if (this.trialFailures * 100 >= failureLimit || this.trialSlow * 100 >= slowLimit) return 'open';
    // Closed as soon as even all remaining trials failing (and being slow) could not open it.
    const remaining = calls - this.trialsDone;
    const worstSlow = options.slowCallsPossible ? this.trialSlow + remaining : this.trialSlow;
    if ((this.trialFailures + remaining) * 100 < failureLimit && worstSlow * 100 < slowLimit) return 'closed';
    return undefined;
  }

  reset(): void {
    this.window.clear();
    this.startTrials();
  }
}
