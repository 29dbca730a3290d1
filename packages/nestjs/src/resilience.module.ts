import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { featureImports, selectFeatures } from './features/feature-imports.js';
import { missingPeerError } from './observability/optional-peer.js';
import {
  checkFactoryDefinitionOptions,
  staticDefinitionOptions,
  withDeclaredOptions,
  type DefinitionOptions,
} from './options/definition-options.js';
import { featurePolicies, ResilienceFeaturePolicies, withFeaturePolicies } from './options/feature-policies.js';
import type {
  ResilienceFeatureOptions,
  ResilienceModuleAsyncOptions,
  ResilienceModuleOptions,
  ResilienceOptionsFactory,
} from './options/resilience-options.interface.js';
import { validateResilienceOptions } from './options/validate-resilience-options.js';
import { defineCoreModule } from './resilience-core.module.js';
import { RESILIENCE_OPTIONS } from './resilience.constants.js';
import { MountedRoutes } from './routes/mounted-routes.js';

/** Builds the options providers from the routes and features of the definition. */
type OptionsProviders = (routes: MountedRoutes, openTelemetryWired: false | Promise<boolean>) => Provider[];

/**
 * Registers Bulwark in an application (global unless `isGlobal: false`). Policy state lives in
 * the providers of the module it defines: two applications in one process never share a breaker.
 *
 * What the module is made of is decided when it is defined: its routes (`health`, `live`, `admin`,
 * `metrics.path`, `openApi`) and its opt-in features (`live`, `admin`, `metrics`, `openTelemetry`),
 * each an internal module of its own, loaded only when asked for. `forRootAsync` takes those
 * options beside its factory, and defines exactly what `forRoot` would.
 */
@Module({})
export class ResilienceModule {
  static forRoot(options: ResilienceModuleOptions = {}): DynamicModule {
    return defineResilienceModule(options ?? {}, [], options?.errorMapping !== false, () => [
      {
        provide: RESILIENCE_OPTIONS,
        inject: [DiscoveryService, ModulesContainer],
        useFactory: (discovery: DiscoveryService, modules: ModulesContainer) =>
          withFeaturePolicies(resolveOptions(options), 'ResilienceModule.forRoot', featurePolicies(discovery, modules)),
      },
    ]);
  }

  static forRootAsync(asyncOptions: ResilienceModuleAsyncOptions): DynamicModule {
    const declared = staticDefinitionOptions(asyncOptions);
    const factory = optionsFactory(asyncOptions);
    return defineResilienceModule(declared, asyncOptions.imports ?? [], true, (routes, openTelemetryWired) => [
      {
        provide: RESILIENCE_OPTIONS,
        inject: [...factory.inject, DiscoveryService, ModulesContainer],
        useFactory: async (...args: unknown[]) => {
          const [discovery, modules] = args.splice(-2) as [DiscoveryService, ModulesContainer];
          const options = finish(await factory.create(...args), declared, routes, await openTelemetryWired);
          return withFeaturePolicies(options, 'the ResilienceModule.forRootAsync factory', featurePolicies(discovery, modules));
        },
      },
      ...factory.providers,
    ]);
  }

  /**
   * Named policies declared by a feature module, beside the code that uses them:
   * `imports: [ResilienceModule.forFeature({ circuitBreakers: { orders: { failureThreshold: 3 } } })]`.
   * They join the application's module options when it starts (validated the same way); one name
   * configured differently here and in `forRoot` (or another `forFeature`) fails start-up naming both.
   */
  static forFeature(policies: ResilienceFeatureOptions): DynamicModule {
    return {
      module: ResilienceModule,
      providers: [{ provide: ResilienceFeaturePolicies, useValue: new ResilienceFeaturePolicies(policies) }],
    };
  }
}

function defineResilienceModule(
  declared: DefinitionOptions,
  imports: NonNullable<ModuleMetadata['imports']>,
  errorMapping: boolean,
  options: OptionsProviders,
): DynamicModule {
  const routes = new MountedRoutes(declared);
  const features = selectFeatures(declared);
  // With the live view, the health controller is declared by it, after its own routes: Express
  // matches routes in registration order, and `events` / `dashboard` must win over `/:name`.
  const controllers = routes.health !== undefined && !features.live ? [routes.health] : [];
  const core = defineCoreModule({ imports, errorMapping, controllers, options: options(routes, features.openTelemetry) });
  return {
    module: ResilienceModule,
    global: declared.isGlobal !== false,
    imports: [core, ...featureImports(features, { core, imports, routes })],
    exports: [core],
  };
}

function resolveOptions(options: unknown): ResilienceModuleOptions {
  validateResilienceOptions(options);
  return Object.freeze({ ...(options ?? {}) });
}

/**
 * The options from a `forRootAsync` factory, checked against the module already defined, with the
 * definition options in force. A `health.path` from the factory, when none was given statically,
 * moves the routes (they are registered after providers are created).
 */
function finish(
  fromFactory: ResilienceModuleOptions,
  declared: DefinitionOptions,
  routes: MountedRoutes,
  openTelemetryWired: boolean,
): ResilienceModuleOptions {
  const checked = resolveOptions(fromFactory);
  checkFactoryDefinitionOptions(declared, checked);
  const setting = checked.openTelemetry;
  // The default found no `@opentelemetry/api` when the module was defined: nothing was wired.
  if (!openTelemetryWired && setting !== undefined && setting !== false) throw missingPeerError('openTelemetry', '@opentelemetry/api');
  const resolved = resolveOptions(withDeclaredOptions(checked, declared));
  const path = checked.health === undefined || checked.health === false ? undefined : checked.health.path;
  if (declared.health === undefined && path !== undefined) routes.remount(path);
  return resolved;
}

interface OptionsFactory {
  readonly inject: NonNullable<Extract<Provider, { useFactory: unknown }>['inject']>;
  readonly create: (...args: unknown[]) => ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
  readonly providers: Provider[];
}

function optionsFactory(asyncOptions: ResilienceModuleAsyncOptions): OptionsFactory {
  if (asyncOptions.useFactory !== undefined) {
    return { inject: asyncOptions.inject ?? [], create: asyncOptions.useFactory, providers: [] };
  }
  const factoryClass = asyncOptions.useClass ?? asyncOptions.useExisting;
  if (factoryClass === undefined) {
    throw new Error('ResilienceModule.forRootAsync needs useFactory, useClass or useExisting');
  }
  return {
    inject: [factoryClass],
    create: (factory) => (factory as ResilienceOptionsFactory).createResilienceOptions(),
    providers: asyncOptions.useClass === undefined ? [] : [asyncOptions.useClass],
  };
}
