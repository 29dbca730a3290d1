import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { breakerLabels, cumulativeBuckets } from '../metrics/call-duration.js';
import { CALL_DURATION_METRIC, POLICY_METRICS, type PolicyMetricDefinition, type PolicyMetricSources } from '../metrics/policy-metrics.js';

/**
 * Creates Bulwark's instruments on `meter` as observable instruments read by one batch callback
 * at collection time (nothing runs per call). Returns a function removing the callback.
 *
 * The OpenTelemetry API has no asynchronous histogram, and a synchronous one would cost a
 * `record()` per call (or replaying every call at collection). The call durations, counted in
 * buckets by the policies, are therefore exported in Prometheus's histogram layout as three
 * observable counters: `bulwark_call_duration_seconds_bucket{name,le}` (cumulative per upper
 * bound, `le="+Inf"` last), `_sum` and `_count`.
 */
export function observePolicyMetrics(meter: Meter, sources: PolicyMetricSources): () => void {
  const instruments = new Map<PolicyMetricDefinition, Observable>();
  for (const definition of POLICY_METRICS) {
    const options = { description: definition.help };
    instruments.set(
      definition,
      definition.kind === 'gauge' ? meter.createObservableGauge(definition.name, options) : meter.createObservableCounter(definition.name, options),
    );
  }
  const { name, help } = CALL_DURATION_METRIC;
  const buckets = meter.createObservableCounter(`${name}_bucket`, { description: `${help} (cumulative count per upper bound le)` });
  const sums = meter.createObservableCounter(`${name}_sum`, { description: `${help} (sum)` });
  const counts = meter.createObservableCounter(`${name}_count`, { description: `${help} (count)` });

  const callback = (result: BatchObservableResult): void => {
    for (const [definition, instrument] of instruments) {
      definition.collect(sources, (labels, value) => result.observe(instrument, value, labels));
    }
    for (const series of sources.durations.durationHistograms()) {
      const { histogram } = series;
      const labels = breakerLabels(series);
      for (const bucket of cumulativeBuckets(histogram)) {
        result.observe(buckets, bucket.count, { ...labels, le: bucket.le === Infinity ? '+Inf' : String(bucket.le) });
      }
      result.observe(sums, histogram.sumMs / 1000, labels);
      result.observe(counts, histogram.count, labels);
    }
  };
  const observables = [...instruments.values(), buckets, sums, counts];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
