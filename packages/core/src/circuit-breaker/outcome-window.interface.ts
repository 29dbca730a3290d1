/**
 * The recent calls a breaker judges or reports on: how many there were, how many failed, how many
 * were slow. Implementations keep running totals so reading them costs nothing.
 */
export interface OutcomeWindow {
  /** Calls in the window (after the last `refresh`/`record`). */
  readonly total: number;
  readonly failures: number;
  readonly slow: number;
  /** Adds one call's outcome, observed at clock time `now`. */
  record(failure: boolean, slow: boolean, now: number): void;
  /** Drops what has fallen out of the window by clock time `now` (time windows; no-op otherwise). */
  refresh(now: number): void;
  clear(): void;
}
