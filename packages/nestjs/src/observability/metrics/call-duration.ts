import type { CallDurationHistogram, KeyedCircuitBreakers } from '@bulwark/core';

export interface NamedCallDurationHistogram {
  readonly name: string;
  /** The key of a per-key breaker (exported as the `key` label). */
  readonly key?: string;
  readonly histogram: CallDurationHistogram;
}

/** Where the metrics exporters read call-duration histograms from, on each scrape. */
export interface CallDurationSource {
  durationHistograms(): NamedCallDurationHistogram[];
}

/** Injection token of the application's `CallDurationSource`. */
export const CALL_DURATION_SOURCE = Symbol.for('bulwark:call-duration-source');

/** A policy that may keep a histogram (`CircuitBreakerPolicy`, unless `durationBuckets: false`). */
interface MaybeTimedPolicy {
  readonly name: string;
  readonly key?: string | undefined;
  readonly durationHistogram?: CallDurationHistogram | undefined;
}

/**
 * Reads `durationHistogram` from every policy that keeps one; a family of per-key breakers gives
 * one histogram summing its keys (and those it dropped), or with `exposeKeys` one per key for its
 * first `maxKeyLabels` keys.
 */
export class PolicyCallDurationSource implements CallDurationSource {
  constructor(
    private readonly policies: () => readonly MaybeTimedPolicy[],
    private readonly families: () => readonly KeyedCircuitBreakers[] = () => [],
    private readonly exposeKeys = false,
    private readonly maxKeyLabels = Infinity,
  ) {}

  durationHistograms(): NamedCallDurationHistogram[] {
    const result: NamedCallDurationHistogram[] = [];
    for (const policy of this.policies()) push(result, policy);
    for (const family of this.families()) {
      if (this.exposeKeys) {
        for (const breaker of family.list().slice(0, this.maxKeyLabels)) push(result, breaker);
        continue;
      }
      const summed = sumHistograms([family.retiredDurationHistogram, ...family.list().map((breaker) => breaker.durationHistogram)]);
      if (summed !== undefined) result.push({ name: family.name, histogram: summed });
    }
    return result;
  }
}

function push(result: NamedCallDurationHistogram[], policy: MaybeTimedPolicy): void {
  const histogram = policy.durationHistogram;
  if (histogram === undefined || histogram === null) return;
  result.push(policy.key === undefined ? { name: policy.name, histogram } : { name: policy.name, key: policy.key, histogram });
}

/** The histograms added up, bucket by bucket (those with other bounds are left out); undefined when none. */
function sumHistograms(histograms: readonly (CallDurationHistogram | undefined)[]): CallDurationHistogram | undefined {
  let sum: { boundsMs: readonly number[]; counts: number[]; count: number; sumMs: number } | undefined;
  for (const histogram of histograms) {
    if (histogram === undefined) continue;
    if (sum === undefined) sum = { boundsMs: histogram.boundsMs, counts: histogram.counts.map(() => 0), count: 0, sumMs: 0 };
    if (histogram.counts.length !== sum.counts.length) continue;
    for (let i = 0; i < histogram.counts.length; i++) sum.counts[i]! += histogram.counts[i]!;
    sum.count += histogram.count;
    sum.sumMs += histogram.sumMs;
  }
  return sum;
}

/** One exported bucket: its upper bound in seconds (`+Inf` last) and the cumulative count. */
export interface CumulativeBucket {
  readonly le: number;
  readonly count: number;
}

/** The labels of a breaker's series: its name, and the key of a per-key breaker. */
export function breakerLabels(policy: { readonly name: string; readonly key?: string | undefined }): Record<string, string> {
  return policy.key === undefined ? { name: policy.name } : { name: policy.name, key: policy.key };
}

/** Cumulative buckets in seconds, as Prometheus (and the OTel counters mirroring it) expose them. */
export function cumulativeBuckets(histogram: CallDurationHistogram): CumulativeBucket[] {
  const buckets: CumulativeBucket[] = [];
  let running = 0;
  for (let i = 0; i < histogram.boundsMs.length; i++) {
    running += histogram.counts[i] ?? 0;
    buckets.push({ le: histogram.boundsMs[i]! / 1000, count: running });
  }
  buckets.push({ le: Infinity, count: histogram.count });
  return buckets;
}
