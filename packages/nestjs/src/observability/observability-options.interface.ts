/** Level of the half-open and closed lines (openings are always warnings). */
export type TransitionLogLevel = 'log' | 'debug' | 'verbose';

export interface ResilienceLoggingOptions {
  /** Level of the half-open, closed and disabled lines. Default `'log'`. */
  level?: TransitionLogLevel;
  /**
   * At most one line per breaker per kind of transition in this many ms; repeats are counted and
   * the count is reported on the next line. Default `10_000`; `0` logs every transition.
   */
  rateLimitMs?: number;
}

/**
 * The part of a prom-client `Registry` Bulwark uses. Declared here so prom-client stays an
 * optional peer: a prom-client `Registry` (v14 or v15) fits it.
 */
export interface PrometheusRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface ResilienceMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's default `register`. */
  registry?: PrometheusRegistry;
  /** Mounts `GET <path>` serving the registry's text (for applications without a `/metrics` endpoint). */
  path?: string;
}

export interface ResilienceOpenTelemetryOptions {
  /** Name of the Meter the instruments are created on. Default `'@bulwark/nestjs'`. */
  meterName?: string;
}
