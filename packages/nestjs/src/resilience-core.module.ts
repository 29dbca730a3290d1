import { Module, type DynamicModule, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { PolicyDeclarations } from './discovery/policy-declarations.js';
import { ResilienceExplorer } from './discovery/resilience.explorer.js';
import { RequestDeadlineInterceptor } from './deadlines/request-deadline.interceptor.js';
import { ResilienceErrorInterceptor } from './errors/resilience-error.interceptor.js';
import { ResilienceErrorLogger } from './errors/resilience-error.logger.js';
import { ResilienceEventBus } from './events/resilience-event-bus.js';
import { ResilienceHealthIndicator } from './health/resilience-health.indicator.js';
import { ResilienceHealthService } from './health/resilience-health.service.js';
import { InboundAdmission } from './load-shedding/inbound-admission.js';
import { CircuitBreakerLogger } from './observability/logging/circuit-breaker.logger.js';
import { ApplicationPipelines } from './pipeline/instance-pipelines.js';
import { PipelineFactory } from './pipeline/pipeline.factory.js';
import { BulkheadRegistry } from './registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from './registries/circuit-breaker.registry.js';
import { FallbackRegistry } from './registries/fallback.registry.js';
import { RetryRegistry } from './registries/retry.registry.js';
import { TimeoutRegistry } from './registries/timeout.registry.js';
import { RESILIENCE_OPTIONS } from './resilience.constants.js';
import { ResilienceStoreBinding } from './store/resilience-store.binding.js';

const REGISTRIES = [CircuitBreakerRegistry, RetryRegistry, TimeoutRegistry, BulkheadRegistry, FallbackRegistry];

/**
 * What `ResilienceModule` makes injectable (and what its feature modules use). `ApplicationPipelines`
 * is internal: Nest injects it into the instances of decorated classes.
 */
const EXPORTS = [
  ...REGISTRIES,
  RESILIENCE_OPTIONS,
  ResilienceHealthService,
  ResilienceHealthIndicator,
  ResilienceEventBus,
  ApplicationPipelines,
  InboundAdmission,
  ResilienceErrorLogger,
];

/**
 * The engine behind the decorators, the registries, health, error mapping and transition logs:
 * what every application of `ResilienceModule` has. One per module definition (its providers hold
 * the policy state: two applications never share a breaker). `ResilienceModule` imports and
 * re-exports it; the feature modules (live view, admin, metrics, OpenTelemetry) import it too.
 */
@Module({})
export class ResilienceCoreModule {}

export interface CoreDefinition {
  /** Provides `RESILIENCE_OPTIONS` (validated, `forFeature` policies merged). */
  readonly options: Provider[];
  /** `forRootAsync`'s `imports`, for its options factory. */
  readonly imports: NonNullable<ModuleMetadata['imports']>;
  /** Whether the error-mapping interceptor is registered (`forRootAsync` decides at run time). */
  readonly errorMapping: boolean;
  /** The health controller, unless the live view declares it (or `health: false`). */
  readonly controllers: Type[];
}

/** The core module of one definition. */
export function defineCoreModule(definition: CoreDefinition): DynamicModule {
  return {
    module: ResilienceCoreModule,
    imports: [DiscoveryModule, ...definition.imports],
    controllers: definition.controllers,
    providers: [
      // Validated when the application is created, so a bad option fails start-up (and
      // `compile()` in tests rejects) with the policy and field named.
      ...definition.options,
      PolicyDeclarations,
      ...REGISTRIES,
      ResilienceStoreBinding,
      InboundAdmission,
      ResilienceEventBus,
      PipelineFactory,
      ApplicationPipelines,
      ResilienceExplorer,
      ResilienceHealthService,
      ResilienceHealthIndicator,
      ResilienceErrorLogger,
      CircuitBreakerLogger,
      ...(definition.errorMapping ? [{ provide: APP_INTERCEPTOR, useClass: ResilienceErrorInterceptor }] : []),
      // After the error mapping: registered later, it runs inside it, so a request whose budget
      // runs out is answered 504 like any other timeout.
      { provide: APP_INTERCEPTOR, useClass: RequestDeadlineInterceptor },
    ],
    exports: EXPORTS,
  };
}
