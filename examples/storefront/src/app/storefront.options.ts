import type { CircuitBreakerStateChange, ResilienceStore } from '@bulwark/core';
import type { ResilienceAdminOptions } from '@bulwark/nestjs';
import type { LoggerService, LogLevel } from '@nestjs/common';

/** The storefront's dependencies. */
export type DependencyName = 'pricing' | 'ranking' | 'metrics';
export const DEPENDENCIES: readonly DependencyName[] = ['pricing', 'ranking', 'metrics'];

/** Base URLs of the downstream services, e.g. `http://127.0.0.1:41234`. */
export type DownstreamUrls = Readonly<Record<DependencyName, string>>;

/** The resilience timings an application may change (the demo and the tests shorten them). */
export interface StorefrontTimings {
  /** How long an open breaker rejects calls before a trial call. The article: 30 s. */
  recoveryTimeout: number;
  /** Timeout of every attempt of a call to an internal service. The article: 2-3 s. */
  internalTimeout: number;
  /** Delay before the first retry, before jitter. The article: 100 ms. */
  retryBaseDelay: number;
}

/** The article's numbers: what `npm start` runs with. */
export const ARTICLE_TIMINGS: Readonly<StorefrontTimings> = Object.freeze({
  recoveryTimeout: 30_000,
  internalTimeout: 3_000,
  retryBaseDelay: 100,
});

/** `ARTICLE_TIMINGS` with the application's overrides. */
export function storefrontTimings(options: Pick<StorefrontOptions, 'timings'>): StorefrontTimings {
  return { ...ARTICLE_TIMINGS, ...options.timings };
}

/** Everything the application factory takes. */
export interface StorefrontOptions {
  downstreams: DownstreamUrls;
  /** Overrides of `ARTICLE_TIMINGS`. */
  timings?: Partial<StorefrontTimings>;
  /** Nest's logger (default: Nest's console logger); `false` for none. */
  logger?: LoggerService | LogLevel[] | false;
  /** Called on every breaker transition (ResilienceModule logs each one). */
  onBreakerStateChange?: (change: CircuitBreakerStateChange) => void;
  /**
   * Breaker state shared with the other replicas (`npm run demo:cluster` passes a Redis store);
   * default: none, each process keeps its own breakers.
   */
  store?: ResilienceStore;
  /** The admin routes (`POST /health/resilience/:name/force-open | disable | reset`); default: not mounted. */
  admin?: ResilienceAdminOptions;
}

/** Injection token of the `StorefrontOptions`. */
export const STOREFRONT_OPTIONS = Symbol('storefront:options');

/**
 * How long a remembered price may be shown while pricing is down. A decorator argument, so fixed
 * at class definition: `staleIfError` has no section in the module options.
 */
export const PRICE_MAX_STALENESS_MS = 15 * 60_000;

/** How old dashboard metrics may get before "slightly stale" becomes "unavailable". */
export const METRICS_MAX_STALENESS_MS = 5 * 60_000;
