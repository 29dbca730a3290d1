import type {
  BulkheadOptions,
  CircuitBreakerOptions,
  Clock,
  ResilienceStore,
  RetryOptions,
  TimeoutOptions,
} from '@bulwark/core';
import type { ModuleMetadata, Type } from '@nestjs/common';
import type { ResilienceAdminOptions } from '../live/live-options.interface.js';
import type {
  ResilienceLoggingOptions,
  ResilienceMetricsOptions,
  ResilienceOpenTelemetryOptions,
} from '../observability/observability-options.interface.js';

/** A timeout given as milliseconds or as options. */
export type TimeoutSetting = number | TimeoutOptions;

export interface ResilienceDefaults {
  circuitBreaker?: CircuitBreakerOptions;
  retry?: RetryOptions;
  /** Duration used by `@Timeout()` without arguments (default 10 000 ms). */
  timeout?: TimeoutSetting;
  bulkhead?: BulkheadOptions;
}

export interface ResilienceHealthOptions {
  /** Route of the health controller, default `health/resilience`. */
  path?: string;
}

export interface ResilienceModuleOptions {
  /** Options every policy of a kind starts from (named ones and those created for decorators). */
  defaults?: ResilienceDefaults;
  /** Named circuit breakers, shared by every method that names them. */
  circuitBreakers?: Record<string, CircuitBreakerOptions>;
  /** Named retry policies. */
  retries?: Record<string, RetryOptions>;
  /** Named timeouts; the built-in profiles `database`, `internal`, `external`, `health` can be overridden. */
  timeouts?: Record<string, TimeoutSetting>;
  /** Named bulkheads, shared by every method that names them. */
  bulkheads?: Record<string, BulkheadOptions>;
  /** When true, a decorator naming a policy that is not configured fails start-up. Default false. */
  strict?: boolean;
  /** The `/health/resilience` controller, or `false` to mount none. */
  health?: ResilienceHealthOptions | false;
  /**
   * Maps CircuitOpenError / BulkheadFullError to 503 (with Retry-After) and TimeoutError to 504 for
   * HTTP handlers. Default true.
   */
  errorMapping?: boolean;
  /** Time source of every policy (tests pass a `FakeClock`). */
  clock?: Clock;
  /**
   * The live view under `health.path`: `GET <health.path>/events` (Server-Sent Events) and
   * `GET <health.path>/dashboard`. Default true; false mounts neither.
   */
  live?: boolean;
  /**
   * `POST <health.path>/:name/force-open | disable | reset`, behind the given guard. Off unless
   * given; without a guard, start-up fails.
   */
  admin?: ResilienceAdminOptions;
  /**
   * Circuit breaker transitions logged through Nest's `Logger` (context `Bulwark`), rate-limited.
   * Default on (`{ level: 'log', rateLimitMs: 10_000 }`); `false` for none.
   */
  logging?: ResilienceLoggingOptions | boolean;
  /**
   * Prometheus metrics through prom-client (an optional peer). Given (even `{}`), enables them in
   * `registry` (default: prom-client's default `register`); `path` also mounts `GET <path>`.
   */
  metrics?: ResilienceMetricsOptions | false;
  /**
   * OpenTelemetry instruments on the Meter `@bulwark/nestjs` and span events on the active span.
   * Default: on when `@opentelemetry/api` can be imported (a no-op without a registered SDK).
   */
  openTelemetry?: ResilienceOpenTelemetryOptions | boolean;
  /**
   * Shared policy state across replicas, e.g. `redisStore({ client })` from `@bulwark/redis`.
   * Every breaker is handed to it when created; it is closed with the application. Default: none
   * (each process keeps its own breakers).
   */
  store?: ResilienceStore;
}

export interface ResilienceOptionsFactory {
  createResilienceOptions(): ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
}

export interface ResilienceModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inject?: any[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
  useClass?: Type<ResilienceOptionsFactory>;
  useExisting?: Type<ResilienceOptionsFactory>;
  /**
   * The health controller is declared when the module is defined, before the factory runs: give
   * `health` here to choose its path (or `false`) statically. A `health` returned by the factory
   * also works for the path; `false` from the factory makes the routes answer 404.
   */
  health?: ResilienceHealthOptions | false;
  /**
   * Like `health`: the metrics endpoint is declared when the module is defined, so `metrics.path`
   * goes here. `metrics` from the factory is merged over this one (a registry, or `false` to turn
   * metrics off: the endpoint then answers 404) but cannot add a path.
   */
  metrics?: ResilienceMetricsOptions | false;
}
