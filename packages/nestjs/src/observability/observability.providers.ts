import type { Provider, Type } from '@nestjs/common';
import { CircuitBreakerLogger } from './logging/circuit-breaker.logger.js';
import { callDurationSourceProvider, ResilienceMetricSources } from './metrics/policy-metric-sources.js';
import type { ResilienceMetricsOptions } from './observability-options.interface.js';
import { staticMetricsPath, STATIC_METRICS_OPTIONS } from './observability.settings.js';
import { OpenTelemetryExporter } from './opentelemetry/opentelemetry.exporter.js';
import { PEER_IMPORTER } from './optional-peer.js';
import { createMetricsController } from './prometheus/metrics.controller.js';
import { PrometheusExporter } from './prometheus/prometheus.exporter.js';
import { validateMetrics } from './validate-observability-options.js';

/**
 * Logging, Prometheus and OpenTelemetry providers. Each decides from the resolved options whether
 * it does anything, so `forRootAsync` works the same; `metrics` is the `metrics` known when the
 * module is defined (`forRoot`'s, or the one given to `forRootAsync` itself).
 */
export function observabilityProviders(metrics: ResilienceMetricsOptions | false | undefined): Provider[] {
  return [
    {
      provide: STATIC_METRICS_OPTIONS,
      useFactory: () => {
        validateMetrics(metrics, 'metrics');
        return metrics ?? null;
      },
    },
    { provide: PEER_IMPORTER, useValue: null },
    callDurationSourceProvider,
    ResilienceMetricSources,
    CircuitBreakerLogger,
    PrometheusExporter,
    OpenTelemetryExporter,
  ];
}

/** The metrics endpoint, when `metrics.path` is known at module definition. */
export function observabilityControllers(metrics: ResilienceMetricsOptions | false | undefined): Type[] {
  const path = staticMetricsPath(metrics);
  return path === undefined ? [] : [createMetricsController(path)];
}
