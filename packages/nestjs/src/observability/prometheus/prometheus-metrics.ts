import type * as PromClient from 'prom-client';
import { breakerLabels, cumulativeBuckets, type CallDurationSource } from '../metrics/call-duration.js';
import { CALL_DURATION_METRIC, POLICY_METRICS, type PolicyMetricDefinition, type PolicyMetricSources } from '../metrics/policy-metrics.js';

/** What Bulwark uses of prom-client (imported on demand: it is an optional peer). */
export type PromClientModule = Pick<typeof PromClient, 'Counter' | 'Gauge' | 'register'>;

/** A metric object as a prom-client registry holds it, with its name. */
export interface RegisteredMetric {
  readonly name: string;
  readonly metric: object;
}

/** Marks Bulwark's metrics, so another application's (or another copy's) can be told from a user's. */
export const BULWARK_METRIC = Symbol.for('bulwark:prometheus-metric');

/**
 * Creates (unregistered) prom-client metrics that read the policies on scrape: a `collect`
 * callback copies the policies' own counters, so nothing runs per call.
 */
export function createPrometheusMetrics(prom: PromClientModule, sources: PolicyMetricSources): RegisteredMetric[] {
  const metrics: RegisteredMetric[] = POLICY_METRICS.map((definition) => ({
    name: definition.name,
    metric: scalarMetric(prom, definition, sources),
  }));
  const { name, help } = CALL_DURATION_METRIC;
  metrics.push({ name, metric: new PrecomputedHistogram(name, help, sources.durations) });
  for (const { metric } of metrics) Object.defineProperty(metric, BULWARK_METRIC, { value: true });
  return metrics;
}

function scalarMetric(prom: PromClientModule, definition: PolicyMetricDefinition, sources: PolicyMetricSources): object {
  const config = { name: definition.name, help: definition.help, labelNames: [...definition.labelNames], registers: [] };
  if (definition.kind === 'gauge') {
    return new prom.Gauge({
      ...config,
      collect() {
        this.reset();
        definition.collect(sources, (labels, value) => this.set(labels, value));
      },
    });
  }
  return new prom.Counter({
    ...config,
    collect() {
      this.reset();
      definition.collect(sources, (labels, value) => this.inc(labels, value));
    },
  });
}

export function isBulwarkMetric(metric: unknown): boolean {
  return typeof metric === 'object' && metric !== null && (metric as Record<symbol, unknown>)[BULWARK_METRIC] === true;
}

interface HistogramSample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A histogram whose buckets are already counted by the policies. prom-client's `Histogram` can
 * only `observe` single values, so this is a metric object of its own, shaped as prom-client's
 * registry reads metrics (`get()` with `_bucket`/`_sum`/`_count` samples, as its Histogram gives).
 */
class PrecomputedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['name', 'key'];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly source: CallDurationSource,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramSample[] }> {
    const values: HistogramSample[] = [];
    for (const series of this.source.durationHistograms()) {
      const { histogram } = series;
      const labels = breakerLabels(series);
      for (const bucket of cumulativeBuckets(histogram)) {
        values.push({ labels: { ...labels, le: bucket.le === Infinity ? '+Inf' : bucket.le }, value: bucket.count, metricName: `${this.name}_bucket` });
      }
      values.push({ labels, value: histogram.sumMs / 1000, metricName: `${this.name}_sum` });
      values.push({ labels, value: histogram.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** `registry.resetMetrics()`: the counts belong to the policies, there is nothing here to reset. */
  reset(): void {}
}
