// Public API of @bulwark/core/rxjs: the policies as RxJS operators (needs the optional peer rxjs).
export type { PolicyOperatorOptions } from './policy.operator.js';
export { withPolicy } from './policy.operator.js';
export { withBulkhead, withCircuitBreaker, withFallback, withRetry, withTimeout } from './policy-operators.js';
