/**
 * Limits retries to a share of calls, so that a blip cannot turn into a retry storm: every call
 * deposits, every retry withdraws. Called on the call path: no I/O.
 */
export interface RetryBudget {
  /** A call started (its first attempt). */
  recordCall(): void;
  /** A retry is about to run: true takes one retry from the budget, false means give up now. */
  tryRetry(): boolean;
}
