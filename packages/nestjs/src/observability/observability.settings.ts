import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import type {
  ResilienceLoggingOptions,
  ResilienceMetricsOptions,
  TransitionLogLevel,
} from './observability-options.interface.js';

export const DEFAULT_LOG_RATE_LIMIT_MS = 10_000;
export const DEFAULT_METER_NAME = '@bulwark/nestjs';

/** Injection token of the `metrics` given when the module was defined (`forRoot`, or `forRootAsync`'s own). */
export const STATIC_METRICS_OPTIONS = Symbol.for('bulwark:static-metrics-options');

export interface LoggingSettings {
  readonly level: TransitionLogLevel;
  readonly rateLimitMs: number;
}

/** `logging` with its defaults; `undefined` when logging is off. On unless `logging: false`. */
export function loggingSettings(logging: ResilienceLoggingOptions | boolean | undefined): LoggingSettings | undefined {
  if (logging === false) return undefined;
  const given = logging === true || logging === undefined ? {} : logging;
  return { level: given.level ?? 'log', rateLimitMs: given.rateLimitMs ?? DEFAULT_LOG_RATE_LIMIT_MS };
}

/**
 * The metrics settings in force, or `undefined` when metrics are off. With `forRootAsync`, the
 * endpoint must be declared with the module (`forRootAsync({ metrics: { path } })`): controllers
 * exist before the factory runs. The factory may still enable metrics or choose the registry; it
 * cannot turn off metrics whose endpoint is declared (the route would stay mounted).
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
