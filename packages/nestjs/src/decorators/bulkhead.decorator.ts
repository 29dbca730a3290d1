import type { BulkheadOptions } from '@bulwark/core';
import { createResilienceDecorator } from './apply-resilience-spec.js';
import { policySpec } from './policy-spec.js';

/**
 * Limits concurrent executions (`maxConcurrent`, queueing up to `maxQueue`, then
 * `BulkheadFullError`). `@Bulkhead()`, `@Bulkhead('reports')` or `@Bulkhead({ name?, ...overrides })`.
 */
export function Bulkhead(nameOrOptions?: string | (BulkheadOptions & { name?: string })): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('bulkhead', policySpec('@Bulkhead', nameOrOptions));
}
