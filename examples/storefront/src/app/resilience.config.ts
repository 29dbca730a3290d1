import type { HttpResilienceOptions } from '@bulwark/http';
import { ResilientHttpModule } from '@bulwark/http/nestjs';
import { TimeoutError, type ResilienceModuleOptions } from '@bulwark/nestjs';
import type { DynamicModule } from '@nestjs/common';
import { STOREFRONT_OPTIONS, storefrontTimings, type DependencyName, type StorefrontOptions, type StorefrontTimings } from './storefront.options.js';

/**
 * The storefront's resilience policies, with the article's numbers. Each dependency is called
 * through its own `@bulwark/http` client (see `downstreamHttpOptions`), whose breakers are a family
 * of the application's registry named after the dependency, one breaker per origin:
 * - 5 consecutive failures open a breaker; `recoveryTimeout` later one trial call decides. None is
 *   `critical`: each dependency has a degradation path, so an open breaker makes
 *   `/health/resilience` report `degraded` with HTTP 200, never `down`.
 * - `strict`: a decorator naming a policy configured nowhere fails start-up.
 * - inbound deadlines are on (the module's default): a request's `x-request-deadline-ms` bounds
 *   every call made for it, and the HTTP clients pass what is left on.
 * - with `store` (several replicas, `npm run demo:cluster`): every replica shares the breakers.
 */
export function storefrontResilienceOptions(
  timings: StorefrontTimings,
  { store, admin }: Pick<StorefrontOptions, 'store' | 'admin'> = {},
): ResilienceModuleOptions {
  return {
    ...(store === undefined ? {} : { store }),
    ...(admin === undefined ? {} : { admin }),
    // The demo's dashboard and event stream (off unless asked for: guard them in production).
    live: true,
    // The HTTP clients' breakers take these, under their HTTP classification of failures.
    defaults: { circuitBreaker: { failureThreshold: 5, recoveryTimeout: timings.recoveryTimeout, critical: false } },
    strict: true,
  };
}

/** Retries per dependency: search has a good fallback and a user waiting. */
const MAX_RETRIES: Readonly<Record<DependencyName, number>> = { pricing: 2, ranking: 1, metrics: 3 };

/**
 * The HTTP client of a dependency, on top of `@bulwark/http`'s defaults (10 s per request, the
 * HTTP classification of failures, a server's `Retry-After` honoured, the deadline passed on):
 * - `internalTimeout` (3 s) per attempt: these are internal services.
 * - retries with exponential backoff and full jitter (100 ms base, x2, 10 s cap) of network errors
 *   and failure statuses (5xx, 408, 429), but not of an attempt that timed out: it already spent
 *   the whole budget, and retrying a slow service multiplies the page's latency and the load on a
 *   service that is struggling.
 * - ranking hedges its reads: a search slower than the p95 of recent ones gets a second request,
 *   and the first answer wins.
 */
export function downstreamHttpOptions(name: DependencyName, timings: StorefrontTimings): HttpResilienceOptions {
  return {
    name,
    attemptTimeout: timings.internalTimeout,
    retry: { maxRetries: MAX_RETRIES[name], baseDelay: timings.retryBaseDelay, retryOn: isNotTimeout },
    ...(name === 'ranking' ? { hedging: true } : {}),
  };
}

/**
 * A feature module's import for the `HttpService` of dependency `name`: the dependency's client
 * (`downstreamHttpOptions`) with its base URL from `STOREFRONT_OPTIONS`. Its breakers are the
 * registry's family `name`.
 */
export function downstreamHttpModule(name: DependencyName): DynamicModule {
  return ResilientHttpModule.registerAsync({
    inject: [STOREFRONT_OPTIONS],
    useFactory: (options: StorefrontOptions) => ({
      ...downstreamHttpOptions(name, storefrontTimings(options)),
      axios: { baseURL: options.downstreams[name] },
    }),
  });
}

function isNotTimeout(error: unknown): boolean {
  return !(error instanceof TimeoutError);
}
