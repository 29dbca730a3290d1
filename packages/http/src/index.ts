// Public API of @bulwark/http. Everything not exported here is internal.
export { resilientFetch } from './fetch/resilient-fetch.js';
export type { ResilientFetch, ResilientRequestInit } from './fetch/resilient-fetch.js';
export { createHttpPolicies, HttpRequestPolicy } from './policies/http-policies.js';
export type { HttpPolicies, HttpRequestDescription } from './policies/http-policies.js';
export { HttpResilience, httpCircuitBreakerOptions } from './client/http-resilience.js';
export type { HttpAttempt, HttpRequestInfo, SendAttempt } from './client/http-resilience.js';
export { isFailureAnswer, isFailureStatus, isIdempotentRequest, isReadRequest, statusOf } from './classify/http-classification.js';
export {
  DEFAULT_DEADLINE_HEADER,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_HEDGE_DELAY_MS,
  DEFAULT_HTTP_ATTEMPT_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
  validateHttpResilienceOptions,
} from './options/http-resilience.options.js';
export type { HedgingOptions, HttpRequestResilience, HttpResilienceOptions, OutboundDeadlineOptions } from './options/http-resilience.options.js';
