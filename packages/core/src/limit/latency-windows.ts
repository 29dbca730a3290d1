/** Latencies below this (ms) count as this: a zero would make every ratio of latencies meaningless. */
const RTT_FLOOR_MS = 0.001;

/** Windows before the first baseline probe. */
const FIRST_PROBE_AFTER = 10;

/**
 * The measurements a latency-based limit works on: short windows of samples (their mean latency,
 * the most calls in flight, whether one was dropped) and a baseline, the latency of the dependency
 * when it does not queue, re-measured by a probe every `longWindow` windows.
 *
 * Why probe: a baseline learnt from ordinary traffic drifts up under sustained load (every call
 * queues a little, so the "usual" latency becomes the loaded one) and the limit creeps with it, far
 * past the point where the dependency started queueing. Only latency measured at a lower
 * concurrency tells a slower dependency from a queueing one, so a probe halves the limit (less its
 * headroom), lets the calls in flight drain, and takes the mean latency of calls started after the
 * drain as the new baseline. It costs about two round trips at half the limit every `longWindow`
 * windows.
 *
 * A window closes after `max(shortWindow, limit)` samples: about one round trip at full use, so the
 * limit moves once per round trip whatever the dependency's speed, and a window of a busy limiter
 * averages enough samples to be steady. Nothing here reads a clock or holds a timer.
 */
export class LatencyWindows {
  /** Mean latency of the window that just closed, in ms. */
  shortRtt = NaN;
  /** Most calls in flight seen in the window that just closed. */
  maxInFlight = 0;
  /** Whether the window that just closed held a dropped call. */
  dropped = false;
  /** No-load latency, in ms: each probe's (the first window's before the first), lowered by any faster window. */
  baseRtt = NaN;
  /** The limit while a probe runs; `NaN` otherwise. */
  probeLimit = NaN;
  /** Probes so far. */
  probes = 0;

  private count = 0;
  private sum = 0;
  private windowMax = 0;
  private windowDropped = false;
  private windowsSinceProbe: number;
  /** When the probe's in-flight calls had drained to the probe limit (`NaN` until then). */
  private drainedAt = NaN;
  private probeCount = 0;
  private probeSum = 0;

  constructor(
    private readonly shortWindow: number,
    private readonly longWindow: number,
    private readonly minLimit: number,
    /** Calls the limit keeps beyond what latency justifies (Gradient2's `queueSize`): a probe leaves them out too. */
    private readonly headroom: number,
  ) {
    // The first baseline comes from the first window, at the initial limit: already queueing if
    // that limit is past the dependency's knee. Probe early to replace it with an unqueued one.
    this.windowsSinceProbe = longWindow > FIRST_PROBE_AFTER ? longWindow - FIRST_PROBE_AFTER : 0;
  }

  get probing(): boolean {
    return this.probeLimit === this.probeLimit;
  }

  /**
   * Books one sample. Returns true when it closed a window to act on (`shortRtt`, `maxInFlight`,
   * `dropped` and `baseRtt` describe it); false while a window fills or a probe runs.
   */
  add(rttMs: number, inFlight: number, dropped: boolean, now: number, estimate: number): boolean {
    const rtt = rttMs > RTT_FLOOR_MS ? rttMs : RTT_FLOOR_MS;
    if (this.probing) {
      this.probe(rtt, inFlight, now);
      return false;
    }
    this.count++;
    this.sum += rtt;
    if (inFlight > this.windowMax) this.windowMax = inFlight;
    if (dropped) this.windowDropped = true;
    if (this.count < this.shortWindow || this.count < estimate) return false;
    this.shortRtt = this.sum / this.count;
    this.maxInFlight = this.windowMax;
    this.dropped = this.windowDropped;
    this.count = 0;
    this.sum = 0;
    this.windowMax = 0;
    this.windowDropped = false;
    // A window faster than the baseline: the dependency got faster (a slow spell the last probe
    // measured is over). Never below what was seen, so the baseline only errs towards caution.
    if (!(this.baseRtt <= this.shortRtt)) this.baseRtt = this.shortRtt;
    if (++this.windowsSinceProbe >= this.longWindow) {
      this.startProbe(estimate);
      return false;
    }
    return true;
  }

  /** Re-measures the baseline now rather than at the end of the long window. */
  probeSoon(estimate: number): void {
    if (!this.probing) this.startProbe(estimate);
  }

  private startProbe(estimate: number): void {
    // Half of the limit latency justifies: below the knee even while the baseline is still twice
    // too high (as the first one may be); half of the whole limit would stay above a small knee.
    const half = Math.floor((estimate - this.headroom) / 2);
    this.probeLimit = half > this.minLimit ? half : this.minLimit;
    this.drainedAt = NaN;
    this.probeCount = 0;
    this.probeSum = 0;
    this.probes++;
  }

  private probe(rtt: number, inFlight: number, now: number): void {
    if (this.drainedAt !== this.drainedAt) {
      // Calls admitted from here on run with at most `probeLimit` in flight.
      if (inFlight <= this.probeLimit) this.drainedAt = now;
      return;
    }
    // A call that started before the drain ran alongside more calls than the probe allows.
    if (now - rtt < this.drainedAt) return;
    this.probeCount++;
    this.probeSum += rtt;
    if (this.probeCount < this.shortWindow || this.probeCount < this.probeLimit) return;
    this.baseRtt = this.probeSum / this.probeCount;
    this.probeLimit = NaN;
    this.windowsSinceProbe = 0;
    // The window under way when the probe started mixed loads: start afresh.
    this.count = 0;
    this.sum = 0;
    this.windowMax = 0;
    this.windowDropped = false;
  }
}
