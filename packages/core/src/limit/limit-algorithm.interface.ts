/**
 * A concurrency limit that learns from the calls it lets through: a pure object, fed one sample per
 * completed call, that owns no timer and reads no clock (the caller passes `now`). Bulwark's
 * adaptive bulkhead and admission controller read `limit` after each sample and admit calls while
 * fewer than `limit` run.
 */
export interface LimitAlgorithm {
  /** The limit never goes below it. */
  readonly minLimit: number;
  /** The limit never goes above it. */
  readonly maxLimit: number;
  /** How many calls may run at once now: an integer between the algorithm's minimum and maximum. */
  readonly limit: number;
  /**
   * One completed call.
   *
   * @param rttMs - how long it held its slot, in ms (from the slot to the settlement of its work).
   * @param inFlight - calls running when it completed, itself included.
   * @param dropped - whether it failed or timed out (loss-based algorithms back off on drops).
   * @param now - the clock reading at completion, in ms (the call started at `now - rttMs`).
   * @returns the limit after the sample (what `limit` now reads).
   */
  onSample(rttMs: number, inFlight: number, dropped: boolean, now: number): number;
}
