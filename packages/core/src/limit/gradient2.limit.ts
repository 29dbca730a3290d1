import type { LimitAlgorithm } from './limit-algorithm.interface.js';
import { LatencyWindows } from './latency-windows.js';
import { resolveLimitBounds } from './limit-bounds.options.js';
import { DEFAULT_GRADIENT2_OPTIONS, validateGradient2Options, type Gradient2LimitOptions } from './gradient2.options.js';

/** Windows in a row pinned at `minLimit` with latency beyond tolerance before the baseline is re-measured early. */
const PINNED_WINDOWS_BEFORE_PROBE = 10;

/**
 * Latency-gradient limit (the default of adaptive bulkheads and load shedding): grows while the
 * latency of each window stays within `tolerance` of the baseline, shrinks in proportion once the
 * dependency queues. Options and formula: `Gradient2LimitOptions`.
 */
export class Gradient2Limit implements LimitAlgorithm {
  readonly minLimit: number;
  readonly maxLimit: number;
  private readonly smoothing: number;
  private readonly tolerance: number;
  private readonly queueSize: number;
  private readonly windows: LatencyWindows;
  private estimate: number;
  private current: number;
  private pinned = 0;

  constructor(options: Gradient2LimitOptions = {}, validationPath = 'gradient2') {
    validateGradient2Options(options, validationPath);
    const defaults = DEFAULT_GRADIENT2_OPTIONS;
    const bounds = resolveLimitBounds(options, defaults);
    this.minLimit = bounds.minLimit;
    this.maxLimit = bounds.maxLimit;
    this.smoothing = options.smoothing ?? defaults.smoothing;
    this.tolerance = options.tolerance ?? defaults.tolerance;
    this.queueSize = options.queueSize ?? defaults.queueSize;
    this.windows = new LatencyWindows(options.shortWindow ?? defaults.shortWindow, options.longWindow ?? defaults.longWindow, this.minLimit, this.queueSize);
    this.estimate = bounds.initialLimit;
    this.current = bounds.initialLimit;
  }

  get limit(): number {
    return this.current;
  }

  /** The latency the limit compares windows with (the dependency's when it does not queue), in ms; `NaN` before the first window. */
  get baselineRttMs(): number {
    return this.windows.baseRtt;
  }

  onSample(rttMs: number, inFlight: number, dropped: boolean, now: number): number {
    // Not a duration (a clock stepping back, a NaN): nothing to learn.
    if (!(rttMs >= 0 && rttMs < Infinity)) return this.current;
    const windows = this.windows;
    const closed = windows.add(rttMs, inFlight, dropped, now, this.estimate);
    if (closed) this.adjust(windows);
    this.current = windows.probing ? windows.probeLimit : Math.floor(this.estimate);
    return this.current;
  }

  private adjust(windows: LatencyWindows): void {
    const estimate = this.estimate;
    const ratio = (this.tolerance * windows.baseRtt) / windows.shortRtt;
    const gradient = ratio < 0.5 ? 0.5 : ratio > 1 ? 1 : ratio;
    // Calls never filled half the limit: latency says nothing about more, so do not grow on it.
    if (gradient === 1 && windows.maxInFlight < estimate / 2) return;
    const target = estimate * gradient + this.queueSize;
    let next = estimate + (target - estimate) * this.smoothing;
    next = next < this.minLimit ? this.minLimit : next > this.maxLimit ? this.maxLimit : next;
    this.estimate = next;
    // Pinned at the floor and still slow: the dependency itself got slower, not busier. Learn its new baseline.
    if (gradient < 1 && next === this.minLimit) {
      if (++this.pinned >= PINNED_WINDOWS_BEFORE_PROBE) {
        this.pinned = 0;
        windows.probeSoon(next);
      }
    } else {
      this.pinned = 0;
    }
  }
}
