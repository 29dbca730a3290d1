import type { LimitAlgorithm } from './limit-algorithm.interface.js';
import { resolveLimitBounds } from './limit-bounds.options.js';
import { DEFAULT_VEGAS_OPTIONS, validateVegasOptions, type VegasLimitOptions } from './vegas.options.js';

/** A call faster than this (ms) counts as this: a zero would make the queue estimate meaningless. */
const RTT_FLOOR_MS = 0.001;

/**
 * Delay-based limit after TCP Vegas: estimates the calls queued at the dependency from how much
 * slower each call was than the fastest one seen, and keeps that queue small. Options and formula:
 * `VegasLimitOptions`.
 */
export class VegasLimit implements LimitAlgorithm {
  readonly minLimit: number;
  readonly maxLimit: number;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly smoothing: number;
  private readonly probeMultiplier: number;
  private estimate: number;
  private current: number;
  private noLoadRtt = Infinity;
  private periodMin = Infinity;
  private sinceProbe = 0;

  constructor(options: VegasLimitOptions = {}, validationPath = 'vegas') {
    validateVegasOptions(options, validationPath);
    const defaults = DEFAULT_VEGAS_OPTIONS;
    const bounds = resolveLimitBounds(options, defaults);
    this.minLimit = bounds.minLimit;
    this.maxLimit = bounds.maxLimit;
    this.alpha = options.alpha ?? defaults.alpha;
    this.beta = options.beta ?? defaults.beta;
    this.smoothing = options.smoothing ?? defaults.smoothing;
    this.probeMultiplier = options.probeMultiplier ?? defaults.probeMultiplier;
    this.estimate = bounds.initialLimit;
    this.current = bounds.initialLimit;
  }

  get limit(): number {
    return this.current;
  }

  /** The fastest call since the last re-measurement, in ms (`Infinity` before the first sample). */
  get noLoadRttMs(): number {
    return this.noLoadRtt;
  }

  onSample(rttMs: number, inFlight: number, dropped: boolean): number {
    if (!(rttMs >= 0 && rttMs < Infinity)) return this.current;
    const rtt = rttMs > RTT_FLOOR_MS ? rttMs : RTT_FLOOR_MS;
    if (rtt < this.periodMin) this.periodMin = rtt;
    if (rtt < this.noLoadRtt) this.noLoadRtt = rtt;
    // Now and then, forget calls older than the last period: the dependency may have become slower
    // for good. The fastest call of a whole period, rather than the latest, keeps a queue that
    // formed since from passing for the dependency's own latency.
    if (++this.sinceProbe >= this.probeMultiplier * this.estimate) {
      this.sinceProbe = 0;
      this.noLoadRtt = this.periodMin;
      this.periodMin = Infinity;
      return this.current;
    }
    const estimate = this.estimate;
    const log = Math.log10(estimate < 10 ? 10 : estimate);
    let target: number;
    if (dropped) {
      target = estimate - log;
    } else if (inFlight * 2 < estimate) {
      // Calls never filled half the limit: latency says nothing about more.
      return this.current;
    } else {
      const queued = Math.ceil(estimate * (1 - this.noLoadRtt / rtt));
      if (queued <= log) target = estimate + this.beta * log;
      else if (queued < this.alpha * log) target = estimate + log;
      else if (queued > this.beta * log) target = estimate - log;
      else return this.current;
    }
    target = target < this.minLimit ? this.minLimit : target > this.maxLimit ? this.maxLimit : target;
    this.estimate = estimate + (target - estimate) * this.smoothing;
    this.current = Math.floor(this.estimate);
    return this.current;
  }
}
