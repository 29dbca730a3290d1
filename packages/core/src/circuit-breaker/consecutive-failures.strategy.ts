import type { BreakerStrategy, OpenReason, TrialVerdict } from './breaker-strategy.interface.js';
import { CountWindow } from './count-window.js';

/** Outcomes kept in consecutive mode, only to report failure and slow-call rates. */
export const CONSECUTIVE_REPORT_WINDOW_SIZE = 100;

/**
 * Opens after `threshold` failures in a row (a success resets the run). Half-open: any trial failure
 * re-opens at once, `trialCalls` trial successes close. Slow calls are only reported in this mode.
 */
export class ConsecutiveFailuresStrategy implements BreakerStrategy {
  readonly window = new CountWindow(CONSECUTIVE_REPORT_WINDOW_SIZE);
  failureCount = 0;
  private trialSuccesses = 0;

  constructor(
    private readonly threshold: number,
    private readonly trialCalls: number,
  ) {}

  record(failure: boolean, slow: boolean): OpenReason | undefined {
    this.window.record(failure, slow);
    if (!failure) {
      this.failureCount = 0;
      return undefined;
    }
    return ++this.failureCount >= this.threshold ? 'failure-threshold' : undefined;
  }

  startTrials(): void {
    this.trialSuccesses = 0;
  }

  recordTrial(failure: boolean): TrialVerdict {
    if (failure) return 'open';
    return ++this.trialSuccesses >= this.trialCalls ? 'closed' : undefined;
  }

  reset(): void {
    this.failureCount = 0;
    this.trialSuccesses = 0;
    this.window.clear();
  }
}
