import type { ResilienceModuleOptions } from '../../options/resilience-options.interface.js';
import type { ResilienceMetricsOptions } from '../observability-options.interface.js';

/** Injection token of the `metrics` given when the module was defined (`forRoot`, or `forRootAsync`'s own). */
export const STATIC_METRICS_OPTIONS = Symbol.for('bulwark:static-metrics-options');

/**
 * The metrics settings in force, or `undefined` when metrics are off. With `forRootAsync`, metrics
 * are declared with the module (`forRootAsync({ metrics: {} })`, with its `path` if any): their
 * code is wired, and their endpoint mounted, before the factory runs. The factory may still choose
 * the registry; it cannot turn off metrics whose endpoint is declared (the route would stay mounted).
 */
export function metricsSettings(
  staticMetrics: ResilienceMetricsOptions | false | undefined,
  options: ResilienceModuleOptions,
): ResilienceMetricsOptions | undefined {
  const resolved = options.metrics;
  const declared = staticMetrics === false ? undefined : staticMetrics;
  if (resolved === false) {
    if (declared?.path === undefined) return undefined;
    throw new Error(
      `metrics: false came from the options factory, but the metrics endpoint "${declared.path}" is declared before the factory ` +
        `runs and would stay mounted: leave metrics out of ResilienceModule.forRootAsync({ metrics }) to turn them off.`,
    );
  }
  if (resolved?.path !== undefined && resolved.path !== declared?.path) {
    throw new Error(
      `metrics.path "${resolved.path}" came from the options factory, but the metrics endpoint is declared before the ` +
        `factory runs: pass it to the module itself, ResilienceModule.forRootAsync({ metrics: { path: '${resolved.path}' }, useFactory, ... }).`,
    );
  }
  if (resolved === undefined && declared === undefined) return undefined;
  return { ...declared, ...resolved };
}

/** The mount path of the metrics endpoint known when the module is defined, if any. */
export function staticMetricsPath(metrics: ResilienceMetricsOptions | false | undefined): string | undefined {
  if (metrics === false || metrics === undefined || metrics === null) return undefined;
  const path = (metrics as { path?: unknown }).path;
  return typeof path === 'string' && path.trim() !== '' ? path : undefined;
}
