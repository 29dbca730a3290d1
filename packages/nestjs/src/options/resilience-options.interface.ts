import type {
  AdmissionControllerOptions,
  CircuitBreakerOptions,
  Clock,
  ResilienceStore,
  RetryOptions,
  TimeoutOptions,
} from '@bulwark/core';
import type { ModuleMetadata, Type } from '@nestjs/common';
import type { ResilienceAdminOptions } from '../admin/admin-options.interface.js';
import type { ResilienceLiveOptions } from '../live/live-options.interface.js';
import type { DeadlinesOptions } from '../deadlines/deadlines.options.js';
import type { ResilienceBulkheadOptions } from './bulkhead-options.js';
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
  /**
   * Where every bulkhead starts: `{ maxConcurrent, maxQueue }`, or `{ adaptive: true | { ...limit
   * options }, maxQueue }` to make bulkheads adaptive unless their own options say `maxConcurrent`
   * (or `adaptive: false`). Not a `LimitAlgorithm` object: it would be shared by every bulkhead.
   */
  bulkhead?: ResilienceBulkheadOptions;
}

/**
 * Inbound load shedding (`loadShedding` option): the admission controller's options. `limit` takes
 * the limit algorithm's options (Gradient2 by default; bounds default to `initialLimit` 100,
 * `minLimit` 10, `maxLimit` 1 000), `maxQueue` (100), `queueTarget` / `queueInterval` (CoDel, 5 /
 * 100 ms), `sheddableShare` (0.75) and `retryAfterMs` (1 000).
 */
export type LoadSheddingOptions = AdmissionControllerOptions;

export interface ResilienceHealthOptions {
  /** Route of the health controller, default `health/resilience`. */
  path?: string;
}

export interface ResilienceErrorMappingOptions {
  /** Put the error's own message (which names the breaker, method or timeout) in the body. Default false. */
  detail?: boolean;
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
  /**
   * Named bulkheads, shared by every method that names them: static (`{ maxConcurrent, maxQueue }`)
   * or adaptive (`{ adaptive: true | { algorithm, initialLimit, minLimit, maxLimit, ... }, maxQueue }`).
   */
  bulkheads?: Record<string, ResilienceBulkheadOptions>;
  /** When true, a decorator naming a policy that is not configured fails start-up. Default false. */
  strict?: boolean;
  /**
   * Whether the module is global, its registries, options and health service injectable in every
   * module. Default true; `false` makes it an ordinary module: import the module that imports
   * `ResilienceModule.forRoot()` (and exports `ResilienceModule`) where they are injected. The
   * decorators work in every module either way.
   */
  isGlobal?: boolean;
  /** The `/health/resilience` controller, or `false` to mount none. */
  health?: ResilienceHealthOptions | false;
  /**
   * Whether Bulwark's own routes (health, live view, admin, metrics) appear in the application's
   * OpenAPI document (`@nestjs/swagger`). Default false: they carry `@ApiExcludeController()`'s
   * metadata.
   */
  openApi?: boolean;
  /**
   * Whether the keys of per-key breakers (often tenant ids or e-mail addresses) appear in health,
   * the live view and metrics. Default false: a family shows its summed state and counts only
   * (`keyCount`, `keyStates`), events on the live stream carry no key, and metrics have no `key`
   * label. With true, each key is listed, and metrics label the first 100 keys of each family.
   */
  exposeKeys?: boolean;
  /**
   * Maps CircuitOpenError / BulkheadFullError to 503 (with Retry-After) and TimeoutError to 504 for
   * HTTP handlers, with bodies that name nothing internal (the detail is logged). Default true;
   * `{ detail: true }` also puts the error's message (breaker, method, timeout) in the body, for
   * internal APIs; `false` leaves the errors to the application's own filters.
   */
  errorMapping?: boolean | ResilienceErrorMappingOptions;
  /**
   * The time budget callers send with a request, in relative ms (`x-request-deadline-ms`;
   * `grpc-timeout` on gRPC): it becomes the request's deadline, shared by every resilient call of
   * the handler (the smaller of it and the handler's `@Deadline(ms)`). Values are clamped (not a
   * number: ignored; negative: no time left; above `max`: `max`). On by default; `false` ignores
   * the header (`@Deadline` still applies). Whatever this says, a request whose client goes away
   * cancels the calls it is still making.
   */
  deadlines?: DeadlinesOptions | false;
  /** Time source of every policy (tests pass a `FakeClock`). */
  clock?: Clock;
  /**
   * Inbound load shedding: a global guard admits HTTP requests while fewer than an adaptive limit
   * are in flight, lets `default` ones wait briefly (a CoDel-style queue), and answers the rest
   * 503 with `Retry-After` before any interceptor, pipe or handler runs. `@Priority('critical' |
   * 'default' | 'sheddable')` on handlers or controllers ranks requests; Bulwark's own routes are
   * never shed. Off by default (no guard is registered, none of its code loaded); `true` for the
   * defaults, or its options. It decides whether the guard is registered: `forRootAsync` takes it
   * beside the factory.
   */
  loadShedding?: boolean | LoadSheddingOptions;
  /**
   * The live view under `health.path`: `GET <health.path>/events` (Server-Sent Events) and
   * `GET <health.path>/dashboard`. Off by default; `true` mounts it, `{ guard }` mounts it behind
   * the guard.
   */
  live?: boolean | ResilienceLiveOptions;
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

/**
 * `ResilienceModule.forFeature()`: named policies a feature module declares beside the code that
 * uses them. They are the application's (one name, one policy, whichever module names it), as if
 * given to `forRoot`: they override decorators' inline options, and count as configured for `strict`.
 */
export type ResilienceFeatureOptions = Pick<ResilienceModuleOptions, 'circuitBreakers' | 'retries' | 'timeouts' | 'bulkheads'>;

export interface ResilienceOptionsFactory {
  createResilienceOptions(): ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
}

/**
 * `forRootAsync`: the options from a factory, except those that decide how the module is defined:
 * which routes are mounted (`health`, `live`, `admin`, `metrics.path`, `openApi`), which features
 * are wired and their code loaded (`live`, `admin`, `metrics`, `openTelemetry`), and `isGlobal`.
 * The module is defined before the factory runs, so those go here, beside the factory; the factory
 * may repeat them but not change them (start-up fails if it does, rather than mount routes that
 * answer 404 or leave out ones it asks for).
 */
export interface ResilienceModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inject?: any[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => ResilienceModuleOptions | Promise<ResilienceModuleOptions>;
  useClass?: Type<ResilienceOptionsFactory>;
  useExisting?: Type<ResilienceOptionsFactory>;
  /**
   * The health controller's path, or `false` for none. Without it the controller is mounted at
   * `health/resilience`, and a `health.path` from the factory moves it (routes are registered
   * after the factory ran); `health: false` from the factory fails start-up.
   */
  health?: ResilienceHealthOptions | false;
  /** The live view (event stream and dashboard): `true` or `{ guard }`; off by default. */
  live?: boolean | ResilienceLiveOptions;
  /** The admin routes and their guard; off unless given here. */
  admin?: ResilienceAdminOptions;
  /** Bulwark's routes in the application's OpenAPI document; default false. */
  openApi?: boolean;
  /**
   * Metrics are wired (their code loaded, their endpoint declared) when the module is defined, so
   * `metrics` goes here, with its `path` if any. `metrics` from the factory is merged over this one
   * (a registry, say); it cannot turn metrics on, add a path, or turn off metrics whose endpoint is
   * declared here.
   */
  metrics?: ResilienceMetricsOptions | false;
  /**
   * `false` wires no OpenTelemetry code. Without it, OpenTelemetry is wired when
   * `@opentelemetry/api` is installed, and the factory may still turn it off or name the Meter.
   */
  openTelemetry?: ResilienceOpenTelemetryOptions | boolean;
  /** Whether the module is global; default true. */
  isGlobal?: boolean;
  /**
   * Load shedding registers its guard when the module is defined, so `loadShedding` goes here; with
   * it given here, the factory may give `loadShedding` options, merged over these (it cannot turn
   * load shedding on or off).
   */
  loadShedding?: boolean | LoadSheddingOptions;
}
