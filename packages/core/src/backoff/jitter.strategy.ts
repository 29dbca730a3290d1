import type { JitterKind, JitterStrategy } from './backoff.interface.js';

/** No randomness: the exponential delay as calculated. Predictable, and so prone to herding. */
export const noJitter: JitterStrategy = {
  apply: (calculated) => calculated,
};

/** Uniform in [0, calculated]: the widest spread, and the article's default. */
export const fullJitter: JitterStrategy = {
  apply: (calculated, _previous, bounds) => calculated * bounds.random(),
};

/** calculated/2 + uniform[0, calculated/2]: keeps at least half the backoff, still spreads. */
export const equalJitter: JitterStrategy = {
  apply: (calculated, _previous, bounds) => {
    const half = calculated / 2;
    return half + half * bounds.random();
  },
};

/**
 * AWS "decorrelated jitter": min(maxDelay, uniform[baseDelay, previousDelay * 3]). Each delay
 * grows from the previous one rather than from the attempt number, so concurrent callers drift
 * apart instead of colliding again at the next step.
 */
export const decorrelatedJitter: JitterStrategy = {
  apply: (_calculated, previousDelay, bounds) => {
    const low = bounds.baseDelay;
    const delay = low + (previousDelay * 3 - low) * bounds.random();
    // The range can only invert when maxDelay < baseDelay capped the previous delay; the cap wins.
    return Math.max(0, Math.min(bounds.maxDelay, delay));
  },
};

/** The built-in strategy for each jitter kind. */
export const JITTER_STRATEGIES: Readonly<Record<JitterKind, JitterStrategy>> = Object.freeze({
  full: fullJitter,
  equal: equalJitter,
  decorrelated: decorrelatedJitter,
  none: noJitter,
});
