import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureContext } from '../../features/feature-context.interface.js';
import { OpenTelemetryExporter } from './opentelemetry.exporter.js';

/** OpenTelemetry instruments and span events (on by default when `@opentelemetry/api` is installed). */
@Module({})
export class ResilienceOpenTelemetryModule {
  static register(context: FeatureContext, policyMetrics: Promise<DynamicModule>): DynamicModule {
    return {
      module: ResilienceOpenTelemetryModule,
      imports: [context.core, policyMetrics],
      providers: [OpenTelemetryExporter],
    };
  }
}
