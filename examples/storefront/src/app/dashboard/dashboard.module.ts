import { httpCircuitBreakerOptions, resilientFetch, type ResilientFetch } from '@bulwark/http';
import { CircuitBreakerRegistry } from '@bulwark/nestjs';
import { Module } from '@nestjs/common';
import { downstreamHttpOptions } from '../resilience.config.js';
import { STOREFRONT_OPTIONS, storefrontTimings, type StorefrontOptions } from '../storefront.options.js';
import { DashboardController } from './dashboard.controller.js';
import { METRICS_FETCH, MetricsService } from './metrics.service.js';

/**
 * The shop's figures from the metrics service, called with `resilientFetch` rather than an
 * `HttpService`: the same client, as a plain `fetch`.
 */
@Module({
  controllers: [DashboardController],
  providers: [
    {
      provide: METRICS_FETCH,
      inject: [CircuitBreakerRegistry, STOREFRONT_OPTIONS],
      // A resilientFetch keeps its breakers to itself unless given a family: this one is the
      // registry's, so health, metrics and the live view show "metrics" as they show the others.
      useFactory: (breakers: CircuitBreakerRegistry, options: StorefrontOptions): ResilientFetch => {
        const client = downstreamHttpOptions('metrics', storefrontTimings(options));
        return resilientFetch({ ...client, circuitBreakers: breakers.createFamily('metrics', httpCircuitBreakerOptions(client)) });
      },
    },
    MetricsService,
  ],
})
export class DashboardModule {}
