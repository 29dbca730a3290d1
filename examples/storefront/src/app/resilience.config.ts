import type { ResilienceModuleOptions } from '@bulwark/nestjs';
import { isDependencyFailure, isTransientFailure } from './downstream.error.js';
import type { StorefrontOptions, StorefrontTimings } from './storefront.options.js';

/**
 * The storefront's resilience policies, with the article's numbers:
 * - a breaker on every external dependency (5 consecutive failures open it; `recoveryTimeout`
 *   later one trial call decides). None is `critical`: each has a degradation path, so an open
 *   breaker makes `/health/resilience` report `degraded` with HTTP 200, never `down`.
 * - retries with exponential backoff and full jitter (100 ms base, x2, 10 s cap), on transient
 *   failures only; 3 by default, 2 for pricing, 1 for search, which has a good fallback and a
 *   user waiting.
 * - the `internal` timeout profile (3 s) on every call: these are internal services.
 * - `strict`: a decorator naming a policy configured nowhere here fails start-up.
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
    defaults: {
      circuitBreaker: { failureThreshold: 5, recoveryTimeout: timings.recoveryTimeout, isFailure: isDependencyFailure },
      retry: {
        maxRetries: 3,
        baseDelay: timings.retryBaseDelay,
        multiplier: 2,
        jitter: 'full',
        maxDelay: 10_000,
        retryOn: isTransientFailure,
      },
    },
    circuitBreakers: {
      pricing: { critical: false },
      ranking: { critical: false },
      metrics: { critical: false },
    },
    retries: {
      pricing: { maxRetries: 2 },
      ranking: { maxRetries: 1 },
      metrics: {},
    },
    timeouts: { internal: timings.internalTimeout },
    strict: true,
  };
}
