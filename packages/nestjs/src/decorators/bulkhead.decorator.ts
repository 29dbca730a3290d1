import type { ResilienceBulkheadOptions } from '../options/bulkhead-options.js';
import { createResilienceDecorator } from './apply-resilience-spec.js';
import { policySpec } from './policy-spec.js';

/**
 * Limits concurrent executions: `maxConcurrent` at once, queueing up to `maxQueue`, then
 * `BulkheadFullError` (503 from a controller). `@Bulkhead()`, `@Bulkhead('reports')` or
 * `@Bulkhead({ name?, ...overrides })`; `@Bulkhead({ adaptive: true })` (or `{ adaptive: {
 * algorithm, initialLimit, minLimit, maxLimit, ... }, maxQueue }`) learns the limit from the
 * calls' latency instead (Gradient2 by default).
 */
export function Bulkhead(nameOrOptions?: string | (ResilienceBulkheadOptions & { name?: string })): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('bulkhead', policySpec<ResilienceBulkheadOptions>('@Bulkhead', nameOrOptions));
}
