/**
 * A fixed-bucket histogram of call durations, cumulative since the breaker was created, kept in
 * plain fields: the breaker already times every call it admits, so recording costs a short
 * comparison loop and two increments, and exporters (Prometheus, OpenTelemetry) read it on scrape.
 */
export interface CallDurationHistogram {
  /** Upper bounds of the buckets in ms, ascending; a last `+Inf` bucket is implied. */
  readonly boundsMs: readonly number[];
  /**
   * Calls per bucket, not cumulative: `counts[i]` counts durations in `(boundsMs[i-1], boundsMs[i]]`
   * and `counts[boundsMs.length]` those above the last bound.
   */
  readonly counts: readonly number[];
  /** Calls measured (the sum of `counts`). */
  readonly count: number;
  /** Sum of the measured durations, in ms. */
  readonly sumMs: number;
}

/** Default bucket bounds in ms: 5 ms to 10 s, as Prometheus client defaults do in seconds. */
export const DEFAULT_DURATION_BUCKETS_MS: readonly number[] = Object.freeze([5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000]);

/** The mutable recorder behind `CircuitBreakerPolicy.durationHistogram`. */
export class DurationRecorder {
  private readonly counts: Float64Array;
  private count = 0;
  private sumMs = 0;

  constructor(private readonly boundsMs: readonly number[]) {
    this.counts = new Float64Array(boundsMs.length + 1);
  }

  record(durationMs: number): void {
    const bounds = this.boundsMs;
    let i = 0;
    while (i < bounds.length && durationMs > bounds[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sumMs += durationMs;
  }

  /** A copy, safe to hand to exporters. */
  snapshot(): CallDurationHistogram {
    return { boundsMs: this.boundsMs, counts: Array.from(this.counts), count: this.count, sumMs: this.sumMs };
  }
}
