import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureContext } from '../../features/feature-context.interface.js';
import { PEER_IMPORTER } from '../optional-peer.js';
import { CALL_DURATION_SOURCE } from './call-duration.js';
import { callDurationSourceProvider, ResilienceMetricSources } from './policy-metric-sources.js';

/** What the metrics exporters (Prometheus, OpenTelemetry) read: one per module definition, shared by both. */
@Module({})
export class ResiliencePolicyMetricsModule {
  static register(context: FeatureContext): DynamicModule {
    return {
      module: ResiliencePolicyMetricsModule,
      imports: [context.core],
      providers: [{ provide: PEER_IMPORTER, useValue: null }, callDurationSourceProvider, ResilienceMetricSources],
      exports: [PEER_IMPORTER, CALL_DURATION_SOURCE, ResilienceMetricSources],
    };
  }
}
