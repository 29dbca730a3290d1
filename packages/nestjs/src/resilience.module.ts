import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { PolicyDeclarations } from './discovery/policy-declarations.js';
import { ResilienceExplorer } from './discovery/resilience.explorer.js';
import { ResilienceEventBus } from './events/resilience-event-bus.js';
import { ResilienceErrorInterceptor } from './errors/resilience-error.interceptor.js';
import {
  createHealthController,
  remountHealthController,
  type ResilienceHealthController,
} from './health/resilience-health.controller.js';
import { ResilienceHealthIndicator } from './health/resilience-health.indicator.js';
import { ResilienceHealthService } from './health/resilience-health.service.js';
import { remountLiveControllers, withLiveControllers } from './live/live-controllers.js';
import { observabilityControllers, observabilityProviders } from './observability/observability.providers.js';
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
import { DEFAULT_HEALTH_PATH, RESILIENCE_OPTIONS } from './resilience.constants.js';
import { ResilienceStoreBinding } from './store/resilience-store.binding.js';

const REGISTRIES = [CircuitBreakerRegistry, RetryRegistry, TimeoutRegistry, BulkheadRegistry, FallbackRegistry];
const EXPORTS = [...REGISTRIES, RESILIENCE_OPTIONS, ResilienceHealthService, ResilienceHealthIndicator, ResilienceEventBus];

/**
 * Registers Bulwark in an application (global). Policy state lives in this module's providers:
 * two applications in one process never share a breaker.
 */
@Module({})
export class ResilienceModule {
  static forRoot(options: ResilienceModuleOptions = {}): DynamicModule {
    const health = options.health;
    return {
      module: ResilienceModule,
      global: true,
      imports: [DiscoveryModule],
      controllers: [
        ...(health === false
          ? []
          : withLiveControllers(createHealthController(health?.path ?? DEFAULT_HEALTH_PATH), health?.path ?? DEFAULT_HEALTH_PATH, options)),
        ...observabilityControllers(options.metrics),
      ],
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
    const staticHealth = asyncOptions.health;
    const controller = staticHealth === false ? undefined : createHealthController(staticHealth?.path ?? DEFAULT_HEALTH_PATH);
    return {
      module: ResilienceModule,
      global: true,
      imports: [DiscoveryModule, ...(asyncOptions.imports ?? [])],
      controllers: [
        ...(controller === undefined || staticHealth === false ? [] : withLiveControllers(controller, staticHealth?.path ?? DEFAULT_HEALTH_PATH)),
        ...observabilityControllers(asyncOptions.metrics),
      ],
      providers: [
        ...asyncOptionsProviders(asyncOptions, staticHealth, controller),
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
    ...(errorMapping ? [{ provide: APP_INTERCEPTOR, useClass: ResilienceErrorInterceptor }] : []),
  ];
}

function resolveOptions(options: unknown): ResilienceModuleOptions {
  validateResilienceOptions(options);
  return Object.freeze({ ...(options ?? {}) });
}

function asyncOptionsProviders(
  asyncOptions: ResilienceModuleAsyncOptions,
  staticHealth: ResilienceModuleAsyncOptions['health'],
  controller: Type<ResilienceHealthController> | undefined,
): Provider[] {
  const finish = (options: ResilienceModuleOptions): ResilienceModuleOptions => {
    const resolved = resolveOptions(options);
    // The controller was declared before the factory ran; a path from the factory moves it
    // (routes are registered after providers are created).
    if (controller !== undefined && staticHealth === undefined && resolved.health) {
      remountHealthController(controller, resolved.health.path ?? DEFAULT_HEALTH_PATH);
      remountLiveControllers(controller, resolved.health.path ?? DEFAULT_HEALTH_PATH);
    }
    return staticHealth === undefined ? resolved : Object.freeze({ ...resolved, health: staticHealth });
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
