import type {
  CircuitBreakerOptions,
  ErrorClass,
  RetryOptions,
  StaleIfErrorOptions,
} from '@bulwark/core';
import type { ResilienceBulkheadOptions } from '../options/bulkhead-options.js';

/** What a policy decorator recorded: a policy name and/or option overrides. */
export interface PolicySpec<O> {
  /** Explicit name (`@Retry('pricing')`), or undefined for the `ClassName.methodName` default. */
  readonly name?: string;
  /** Overrides given in the decorator (`@Retry({ maxRetries: 2 })`). */
  readonly options?: O;
}

/**
 * The key of a per-key circuit breaker, from the decorated method's arguments (called with the
 * method's `this`): `(tenantId) => tenantId` gives each tenant its own breaker.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CircuitBreakerKeyFunction = (...args: any[]) => string;

/** What `@CircuitBreaker` recorded: a name, overrides, and for per-key breakers the key function. */
export interface CircuitBreakerSpec extends PolicySpec<CircuitBreakerOptions> {
  /** Present for a per-key breaker: one breaker per key under the name. */
  readonly key?: CircuitBreakerKeyFunction;
}

/** `@CircuitBreaker({ name?, key?, ...overrides })`. */
export type CircuitBreakerDecoratorOptions = CircuitBreakerOptions & {
  name?: string;
  /** One breaker per key (per tenant, ...): the key from the method's arguments. */
  key?: CircuitBreakerKeyFunction;
};

export interface TimeoutSpec {
  /** A named timeout or profile (`@Timeout('internal')`). */
  readonly name?: string;
  /** A duration given in the decorator (`@Timeout(5000)`, `@Timeout({ duration })`). */
  readonly duration?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FallbackFunction = (...argsThenError: any[]) => unknown;

export interface FallbackDecoratorOptions {
  /** Name of a method of the same class, called as `method(...args, error)`. */
  method?: string;
  /** A function called as `fn(...args, error)` with `this` bound to the instance. */
  fn?: FallbackFunction;
  /** Which errors fall back: error classes or a predicate. Default: every error. */
  on?: ErrorClass[] | ((error: unknown) => boolean);
  /**
   * `true` makes a resolved value fall back too (a degraded answer): the handler is then called
   * with the value where the error would be. Default: every value is kept.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onResult?: (value: any) => boolean;
  /** Serve the last successful result for the same arguments, no older than `maxAge` ms. */
  staleIfError?: StaleIfErrorOptions;
  /** Cache key of the arguments for `staleIfError` (default: JSON of the arguments). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  key?: (...args: any[]) => string;
}

export interface FallbackSpec {
  readonly options: FallbackDecoratorOptions;
}

/** Everything the Bulwark decorators recorded on one method (or class). */
export interface ResilienceSpecs {
  readonly fallback?: FallbackSpec;
  readonly retry?: PolicySpec<RetryOptions>;
  readonly circuitBreaker?: CircuitBreakerSpec;
  readonly timeout?: TimeoutSpec;
  readonly bulkhead?: PolicySpec<ResilienceBulkheadOptions>;
}

export type SpecKind = keyof ResilienceSpecs;

/** Decorator names by spec kind, for messages. */
export const DECORATOR_NAMES: Readonly<Record<SpecKind, string>> = {
  fallback: '@Fallback',
  retry: '@Retry',
  circuitBreaker: '@CircuitBreaker',
  timeout: '@Timeout',
  bulkhead: '@Bulkhead',
};
