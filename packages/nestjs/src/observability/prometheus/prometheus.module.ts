import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureContext } from '../../features/feature-context.interface.js';
import type { ResilienceMetricsOptions } from '../observability-options.interface.js';
import { validateMetrics } from '../validate-observability-options.js';
import { createMetricsController } from './metrics.controller.js';
import { staticMetricsPath, STATIC_METRICS_OPTIONS } from './metrics.settings.js';
import { PrometheusExporter } from './prometheus.exporter.js';

/** Prometheus metrics (`metrics`), and their endpoint with `metrics.path`. */
@Module({})
export class ResiliencePrometheusModule {
  static register(context: FeatureContext, metrics: ResilienceMetricsOptions, policyMetrics: Promise<DynamicModule>): DynamicModule {
    const path = staticMetricsPath(metrics);
    return {
      module: ResiliencePrometheusModule,
      imports: [context.core, policyMetrics],
      controllers: path === undefined ? [] : [context.routes.own(createMetricsController(path))],
      providers: [
        {
          provide: STATIC_METRICS_OPTIONS,
          // `forRootAsync`'s own `metrics` is validated here, when the application is created.
          useFactory: () => {
            validateMetrics(metrics, 'metrics');
            return metrics;
          },
        },
        PrometheusExporter,
      ],
    };
  }
}
