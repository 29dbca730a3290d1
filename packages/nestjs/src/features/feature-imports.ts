import { Module, type DynamicModule } from '@nestjs/common';
import type { ResilienceMetricsOptions } from '../observability/observability-options.interface.js';
import { isOn, type DefinitionOptions } from '../options/definition-options.js';
import { importOptionalPeer } from '../observability/optional-peer.js';
import type { FeatureContext } from './feature-context.interface.js';

/** The opt-in features one module definition wires. */
export interface FeatureSelection {
  /** The live view; it then declares the health controller after its own routes. */
  readonly live: boolean;
  readonly admin: boolean;
  /** The `metrics` given (Prometheus), when they are on. */
  readonly metrics: ResilienceMetricsOptions | undefined;
  /**
   * OpenTelemetry: `false` when turned off, else whether it is wired, known once
   * `@opentelemetry/api` was looked for by default (rejects if its install is broken).
   */
  readonly openTelemetry: false | Promise<boolean>;
  /** Inbound load shedding: its global guard. */
  readonly loadShedding: boolean;
}

/**
 * The features the definition options ask for. The live view and the admin routes need the health
 * controller (they are mounted beside it); metrics are on when `metrics` is given (even `{}`);
 * OpenTelemetry unless `openTelemetry: false`, and by default only when `@opentelemetry/api` can
 * be imported.
 */
export function selectFeatures(declared: DefinitionOptions): FeatureSelection {
  const health = declared.health !== false;
  const metrics = declared.metrics;
  return {
    live: health && declared.live !== undefined && declared.live !== false,
    admin: health && declared.admin !== undefined,
    metrics: metrics === undefined || metrics === null || metrics === false ? undefined : metrics,
    openTelemetry: openTelemetryWired(declared.openTelemetry),
    loadShedding: isOn(declared.loadShedding),
  };
}

/**
 * The modules of the selected features, and only those: an application that uses none of the live
 * view, the admin routes, metrics, OpenTelemetry and load shedding loads none of their code (nor prom-client, nor
 * `@opentelemetry/api` with `openTelemetry: false`). Each is imported with `import()` here, the one
 * place naming their files, and handed to Nest as a `Promise<DynamicModule>` in `imports`, which
 * Nest awaits while it scans the modules.
 */
export function featureImports(selected: FeatureSelection, context: FeatureContext): Promise<DynamicModule>[] {
  const imports: Promise<DynamicModule>[] = [];
  if (selected.live) imports.push(load(async () => (await import('../live/live-view.module.js')).ResilienceLiveViewModule.register(context)));
  if (selected.admin) imports.push(load(async () => (await import('../admin/admin.module.js')).ResilienceAdminModule.register(context)));
  if (selected.loadShedding) {
    imports.push(load(async () => (await import('../load-shedding/load-shedding.module.js')).ResilienceLoadSheddingModule.register(context)));
  }
  // One module per definition holds what Prometheus and OpenTelemetry both read.
  let policyMetrics: Promise<DynamicModule> | undefined;
  const metricSources = (): Promise<DynamicModule> =>
    (policyMetrics ??= load(async () => (await import('../observability/metrics/policy-metrics.module.js')).ResiliencePolicyMetricsModule.register(context)));
  const metrics = selected.metrics;
  if (metrics !== undefined) {
    imports.push(
      load(async () => (await import('../observability/prometheus/prometheus.module.js')).ResiliencePrometheusModule.register(context, metrics, metricSources())),
    );
  }
  const openTelemetry = selected.openTelemetry;
  if (openTelemetry !== false) {
    const wire = async (): Promise<DynamicModule> => {
      if (!(await openTelemetry)) return NO_FEATURE;
      return (await import('../observability/opentelemetry/opentelemetry.module.js')).ResilienceOpenTelemetryModule.register(context, metricSources());
    };
    imports.push(load(wire));
  }
  return imports;
}

/**
 * `false` turns it off; any other setting than the default asks for it (validation checks the
 * value); the default looks for `@opentelemetry/api`.
 */
function openTelemetryWired(setting: DefinitionOptions['openTelemetry']): false | Promise<boolean> {
  if (setting === false) return false;
  if (setting !== undefined) return Promise.resolve(true);
  const found = importOptionalPeer('@opentelemetry/api').then((api) => api !== undefined);
  // A broken install rejects: awaited at start-up, which it fails; never an unhandled rejection.
  found.catch(() => undefined);
  return found;
}

/**
 * A feature module to be. Never rejects: the promise is made when the module is defined, maybe
 * long before Nest awaits it (or never, if the definition is not used), and a rejection then would
 * be an unhandled one. A failure (a broken install) fails the application's start-up instead.
 */
function load(wire: () => Promise<DynamicModule>): Promise<DynamicModule> {
  return wire().catch((error: unknown) => failing(error));
}

/** A feature that could not be loaded: the application's start-up fails with the reason. */
@Module({})
class ResilienceFeatureFailure {}

function failing(error: unknown): DynamicModule {
  return {
    module: ResilienceFeatureFailure,
    providers: [
      {
        provide: Symbol('bulwark:feature-failure'),
        useFactory: () => {
          throw error;
        },
      },
    ],
  };
}

/** What an import of a feature turned out not to be needed resolves to (OpenTelemetry without its API). */
@Module({})
class ResilienceNoFeature {}

const NO_FEATURE: DynamicModule = { module: ResilienceNoFeature };
