import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { PolicyDeclarations } from './discovery/policy-declarations.js';
import { ResilienceExplorer } from './discovery/resilience.explorer.js';
import { ResilienceEventBus } from './events/resilience-event-bus.js';
import { ResilienceErrorInterceptor } from './errors/resilience-error.interceptor.js';
import { ResilienceErrorLogger } from './errors/resilience-error.logger.js';
import { remountHealthController, type ResilienceHealthController } from './health/resilience-health.controller.js';
import { ResilienceHealthIndicator } from './health/resilience-health.indicator.js';
import { ResilienceHealthService } from './health/resilience-health.service.js';
import { remountLiveControllers } from './live/live-controllers.js';
import { observabilityProviders } from './observability/observability.providers.js';
import type {
  ResilienceModuleAsyncOptions,
  ResilienceModuleOptions,
  ResilienceOptionsFactory,
} from './options/resilience-options.interface.js';
import { validateResilienceOptions } from './options/validate-resilience-options.js';
import { PipelineFactory } from './pipeline/pipeline.factory.js';
import { BulkheadRegistry } from './registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from './registries/circuit-breaker.registry.js';
import { FallbackRegistry } from './registries/fallback.registry.js';
import { RetryRegistry } from './registries/retry.registry.js';
import { TimeoutRegistry } from './registries/timeout.registry.js';
import { RESILIENCE_OPTIONS } from './resilience.constants.js';
import { mountedControllers } from './routes/mounted-controllers.js';
import { checkFactoryRouteOptions, staticRouteOptions, withDeclaredRoutes, type RouteOptions } from './routes/route-options.js';
import { ResilienceStoreBinding } from './store/resilience-store.binding.js';

const REGISTRIES = [CircuitBreakerRegistry, RetryRegistry, TimeoutRegistry, BulkheadRegistry, FallbackRegistry];
const EXPORTS = [...REGISTRIES, RESILIENCE_OPTIONS, ResilienceHealthService, ResilienceHealthIndicator, ResilienceEventBus];

/**
 * Registers Bulwark in an application (global). Policy state lives in this module's providers:
 * two applications in one process never share a breaker.
 *
 * The routes (`health`, `live`, `admin`, `metrics.path`, `openApi`) are decided when the module is
 * defined: `forRootAsync` takes them beside its factory, and mounts exactly what `forRoot` would.
 */
@Module({})
export class ResilienceModule {
  static forRoot(options: ResilienceModuleOptions = {}): DynamicModule {
    return {
      module: ResilienceModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: mountedControllers(options).controllers,
      providers: [
        // Validated when the application is created, so a bad option fails start-up (and
        // `compile()` in tests rejects) with the policy and field named.
        { provide: RESILIENCE_OPTIONS, useFactory: () => resolveOptions(options) },
        ...commonProviders(options.errorMapping !== false),
        ...observabilityProviders(options.metrics),
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync(asyncOptions: ResilienceModuleAsyncOptions): DynamicModule {
    const routes = staticRouteOptions(asyncOptions);
    const mounted = mountedControllers(routes);
    return {
      module: ResilienceModule,
      global: true,
      imports: [DiscoveryModule, ...(asyncOptions.imports ?? [])],
      controllers: mounted.controllers,
      providers: [
        ...asyncOptionsProviders(asyncOptions, routes, mounted.health),
        ...commonProviders(true),
        ...observabilityProviders(asyncOptions.metrics),
      ],
      exports: EXPORTS,
    };
  }
}

function commonProviders(errorMapping: boolean): Provider[] {
  return [
    PolicyDeclarations,
    ...REGISTRIES,
    ResilienceStoreBinding,
    ResilienceEventBus,
    PipelineFactory,
    ResilienceExplorer,
    ResilienceHealthService,
    ResilienceHealthIndicator,
    ResilienceErrorLogger,
    ...(errorMapping ? [{ provide: APP_INTERCEPTOR, useClass: ResilienceErrorInterceptor }] : []),
  ];
}

function resolveOptions(options: unknown): ResilienceModuleOptions {
  validateResilienceOptions(options);
  return Object.freeze({ ...(options ?? {}) });
}

function asyncOptionsProviders(
  asyncOptions: ResilienceModuleAsyncOptions,
  routes: RouteOptions,
  health: Type<ResilienceHealthController> | undefined,
): Provider[] {
  const finish = (options: ResilienceModuleOptions): ResilienceModuleOptions => {
    const fromFactory = resolveOptions(options);
    checkFactoryRouteOptions(routes, fromFactory);
    const resolved = resolveOptions(withDeclaredRoutes(fromFactory, routes));
    // Declared before the factory ran; a path from the factory moves them (routes are registered
    // after providers are created).
    const path = fromFactory.health === undefined || fromFactory.health === false ? undefined : fromFactory.health.path;
    if (health !== undefined && routes.health === undefined && path !== undefined) {
      remountHealthController(health, path);
      remountLiveControllers(health, path);
    }
    return resolved;
  };
  if (asyncOptions.useFactory !== undefined) {
    const factory = asyncOptions.useFactory;
    return [
      {
        provide: RESILIENCE_OPTIONS,
        inject: asyncOptions.inject ?? [],
        useFactory: async (...args: unknown[]) => finish(await factory(...args)),
      },
    ];
  }
  const factoryClass = asyncOptions.useClass ?? asyncOptions.useExisting;
  if (factoryClass === undefined) {
    throw new Error('ResilienceModule.forRootAsync needs useFactory, useClass or useExisting');
  }
  const providers: Provider[] = [
    {
      provide: RESILIENCE_OPTIONS,
      inject: [factoryClass],
      useFactory: async (factory: ResilienceOptionsFactory) => finish(await factory.createResilienceOptions()),
    },
  ];
  if (asyncOptions.useClass !== undefined) providers.push(asyncOptions.useClass);
  return providers;
}
