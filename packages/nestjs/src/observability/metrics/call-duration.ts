import type { CallDurationHistogram } from '@bulwark/core';

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

/** Reads `durationHistogram` from every policy that keeps one. */
export class PolicyCallDurationSource implements CallDurationSource {
  constructor(private readonly policies: () => readonly MaybeTimedPolicy[]) {}

  durationHistograms(): NamedCallDurationHistogram[] {
    const result: NamedCallDurationHistogram[] = [];
    for (const policy of this.policies()) {
      const histogram = policy.durationHistogram;
      if (histogram === undefined || histogram === null) continue;
      result.push(policy.key === undefined ? { name: policy.name, histogram } : { name: policy.name, key: policy.key, histogram });
    }
    return result;
  }
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
