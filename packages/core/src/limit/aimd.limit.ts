import { DEFAULT_AIMD_OPTIONS, validateAimdOptions, type AimdLimitOptions } from './aimd.options.js';
import type { LimitAlgorithm } from './limit-algorithm.interface.js';
import { resolveLimitBounds } from './limit-bounds.options.js';

/** Loss-based limit: grows by one per busy sample, backs off by a factor on each drop. See `AimdLimitOptions`. */
export class AimdLimit implements LimitAlgorithm {
  readonly minLimit: number;
  readonly maxLimit: number;
  private readonly backoffRatio: number;
  private readonly dropThreshold: number;
  private estimate: number;
  private current: number;

  constructor(options: AimdLimitOptions = {}, validationPath = 'aimd') {
    validateAimdOptions(options, validationPath);
    const defaults = DEFAULT_AIMD_OPTIONS;
    const bounds = resolveLimitBounds(options, defaults);
    this.minLimit = bounds.minLimit;
    this.maxLimit = bounds.maxLimit;
    this.backoffRatio = options.backoffRatio ?? defaults.backoffRatio;
    this.dropThreshold = options.dropThreshold ?? defaults.dropThreshold;
    this.estimate = bounds.initialLimit;
    this.current = bounds.initialLimit;
  }

  get limit(): number {
    return this.current;
  }

  onSample(rttMs: number, inFlight: number, dropped: boolean): number {
    if (!(rttMs >= 0)) return this.current;
    let next: number;
    if (dropped || rttMs > this.dropThreshold) next = this.estimate * this.backoffRatio;
    // Calls never filled half the limit: nothing says there is room for more.
    else if (inFlight * 2 >= this.estimate) next = this.estimate + 1;
    else return this.current;
    this.estimate = next < this.minLimit ? this.minLimit : next > this.maxLimit ? this.maxLimit : next;
    this.current = Math.floor(this.estimate);
    return this.current;
  }
}
