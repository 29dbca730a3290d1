/**
 * The durations of the last successful requests to one origin (a ring of `size` samples), for a
 * hedging delay at a percentile of recent latency. Fixed memory; O(size) per read, on hedging only.
 */
export class LatencyWindow {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;

  constructor(readonly size = 100) {
    this.samples = new Float64Array(size);
  }

  record(durationMs: number): void {
    this.samples[this.next] = durationMs;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** The `p`-th percentile (0-100) of the samples, or undefined with fewer than `minimum` of them. */
  percentile(p: number, minimum = 20): number | undefined {
    if (this.count < minimum) return undefined;
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }
}
