/** How randomness is mixed into a backoff delay. */
export type JitterKind = 'full' | 'equal' | 'decorrelated' | 'none';

/** Every jitter kind, in the order error messages list them. */
export const JITTER_KINDS: readonly JitterKind[] = Object.freeze(['full', 'equal', 'decorrelated', 'none'] as const);

/**
 * Computes the wait before a retry. Stateless by design: one strategy is shared by every
 * concurrent call of a policy, so whatever a strategy needs from the previous wait is passed in
 * (the calling loop keeps it in a local), never stored on the strategy.
 */
export interface BackoffStrategy {
  /**
   * Milliseconds to wait before retry number `attempt` (1 for the first retry). `previousDelay` is
   * what this strategy returned for `attempt - 1`; it is ignored for `attempt` 1.
   */
  delay(attempt: number, previousDelay: number): number;
}

/** The settings a jitter strategy may read, as held by the backoff that applies it. */
export interface JitterBounds {
  readonly baseDelay: number;
  readonly maxDelay: number;
  /** Uniform in [0, 1), like `Math.random`. */
  readonly random: () => number;
}

/** One way of randomising a delay. Pure apart from `bounds.random`, so strategies are swappable. */
export interface JitterStrategy {
  /**
   * `calculated` is the exponential delay already capped at `bounds.maxDelay`; `previousDelay` is
   * the delay returned for the previous retry (`bounds.baseDelay` for the first). The result must
   * lie in [0, bounds.maxDelay].
   */
  apply(calculated: number, previousDelay: number, bounds: JitterBounds): number;
}
