import type { RetryOptions } from '@bulwark/core';
import { createResilienceDecorator } from './apply-resilience-spec.js';
import { policySpec } from './policy-spec.js';

/**
 * Retries a method with exponential backoff and jitter (defaults: 3 retries, 100 ms base,
 * x2, full jitter, 10 s cap). `@Retry()`, `@Retry('name')` or `@Retry({ name?, ...overrides })`.
 */
export function Retry(nameOrOptions?: string | (RetryOptions & { name?: string })): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('retry', policySpec('@Retry', nameOrOptions));
}
