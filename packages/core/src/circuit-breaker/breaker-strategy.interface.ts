import type { OutcomeWindow } from './outcome-window.interface.js';

/** Why a closed breaker opens, as decided by its strategy. */
export type OpenReason = 'failure-threshold' | 'failure-rate' | 'slow-call-rate';

/** What a half-open round of trial calls concluded, once it is certain; `undefined` while it is not. */
export type TrialVerdict = 'open' | 'closed' | undefined;

/**
 * How a breaker judges outcomes (consecutive failures, or rates over a window). The policy owns the
 * state machine, the permits and the generations; a strategy only counts and gives verdicts, so it
 * is only ever told about calls that belong to the current state.
 */
export interface BreakerStrategy {
  /** The recent calls reported in snapshots (and, in rate mode, judged). */
  readonly window: OutcomeWindow;
  /** Failures reported in snapshots: consecutive ones, or those in the window. */
  readonly failureCount: number;
  /** Records a call completed while closed; returns why the breaker must open, if it must. */
  record(failure: boolean, slow: boolean, now: number): OpenReason | undefined;
  /** Starts a new half-open round. */
  startTrials(): void;
  /** Records the outcome of a trial call of the current round. */
  recordTrial(failure: boolean, slow: boolean): TrialVerdict;
  /** Forgets every call (the breaker closed, was reset or disabled). */
  reset(): void;
}
